// RFC 3339 `date-time` (the JSON Schema format): 2019-10-16T21:24:22.032307+00:00.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bh {

// True when `text` is an RFC 3339 date-time: four-digit year, a real calendar day (leap years
// included), hours 00-23, minutes 00-59, seconds 00-60, optional fraction, and `Z` or a
// ±hh:mm offset. `T`/`t` and `Z`/`z` are both accepted, as RFC 3339 allows.
bool is_rfc3339_date_time(std::string_view text);

// Milliseconds since the Unix epoch (UTC) for a valid RFC 3339 date-time; nullopt otherwise.
// Fractions beyond milliseconds are truncated.
std::optional<std::int64_t> rfc3339_to_epoch_millis(std::string_view text);

}  // namespace bh
