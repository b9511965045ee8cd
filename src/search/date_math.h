// Dates as Elasticsearch reads and writes them: Joda-style formats ("yyyy-MM-dd",
// "strict_date_optional_time||epoch_millis"), fixed-offset time zones, and date math
// ("now-7d/d", "2019-01-01||+1M/d").
//
// All values are milliseconds since the Unix epoch, UTC. Named time zones (Europe/Paris) would
// need a time-zone database that g++ 12's <chrono> lacks; they are refused with a clear message
// and fixed offsets ("+01:00", "-0800", "UTC", "Z") are accepted.
//
// Thread safety: DateFormat and TimeZoneOffset are immutable values; functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bh::search {

struct TimeZoneOffset {
  std::int64_t offset_ms = 0;  // local = utc + offset
  static Result<TimeZoneOffset> parse(std::string_view text);
};

class DateFormat {
 public:
  // The mapping's default: "strict_date_optional_time||epoch_millis".
  static const DateFormat& default_format();
  static Result<DateFormat> parse(std::string_view spec);

  // Parses `text` as one of the alternatives. When round_up is true, fields the text leaves out
  // take their largest value (lte "2019-01-31" covers the whole day, as Elasticsearch does).
  Result<std::int64_t> parse_millis(std::string_view text, const TimeZoneOffset& tz, bool round_up) const;
  // Formats with the first alternative.
  std::string format_millis(std::int64_t millis, const TimeZoneOffset& tz) const;

  struct Token {
    char letter = 0;        // y M d H m s S Z, or 0 for a literal
    int count = 0;
    std::string literal;
  };
  struct Alternative {
    enum class Kind { kIsoOptionalTime, kEpochMillis, kEpochSecond, kPattern } kind = Kind::kPattern;
    std::vector<Token> tokens;
  };

 private:
  std::vector<Alternative> alternatives_;
};

// Date math: "now", "now-1d/d", "2019-01-01||+1M", or a plain date in `format`. round_up is
// set for `gt` and `lte` bounds: rounding (/d) then goes to the last millisecond of the unit.
Result<std::int64_t> parse_date_math(std::string_view text, const DateFormat& format, const TimeZoneOffset& tz,
                                     std::int64_t now_millis, bool round_up);

// Calendar units of date_histogram and date math.
enum class CalendarUnit { kSecond, kMinute, kHour, kDay, kWeek, kMonth, kQuarter, kYear };
// "1M", "month", "1d", "day", "w", "week", "1q", "quarter", "1y", "year", "1h", "1m", "1s"...
Result<CalendarUnit> parse_calendar_unit(std::string_view text);
// Start of the calendar unit holding `millis`, in `tz`.
std::int64_t round_down_to_unit(std::int64_t millis, CalendarUnit unit, const TimeZoneOffset& tz);
// The start of the next unit after the one starting at `start`.
std::int64_t next_unit_start(std::int64_t start, CalendarUnit unit, const TimeZoneOffset& tz);
// A fixed interval in milliseconds: "90m", "1d", "30s", "500ms", "2h".
Result<std::int64_t> parse_fixed_interval_millis(std::string_view text);

}  // namespace bh::search
