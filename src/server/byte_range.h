// The Range header of a download (RFC 9110 §14): one "bytes=" range is served as 206; several
// ranges, or a unit other than bytes, are ignored (the whole file, 200, as the RFC allows); a
// range that starts past the end is 416.
// Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bh {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

enum class RangeOutcome { kWhole, kPartial, kUnsatisfiable };

struct RangeAnswer {
  RangeOutcome outcome = RangeOutcome::kWhole;
  ByteRange range;  // kPartial only
};

RangeAnswer parse_byte_range(std::string_view header, std::uint64_t size);

}  // namespace bh
