#include "search/date_math.h"

#include <charconv>

#include <fmt/format.h>

#include "core/calendar.h"

namespace bh::search {
namespace {

constexpr std::int64_t kMsPerSecond = 1000, kMsPerMinute = 60 * kMsPerSecond, kMsPerHour = 60 * kMsPerMinute, kMsPerDay = 24 * kMsPerHour;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Fields {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
};

Fields fields_of(std::int64_t ms) {
  Fields f;
  const std::int64_t days = floor_div(ms, kMsPerDay);
  civil_from_days(days, f.year, f.month, f.day);
  std::int64_t rem = ms - days * kMsPerDay;
  f.hour = static_cast<int>(rem / kMsPerHour);
  rem %= kMsPerHour;
  f.minute = static_cast<int>(rem / kMsPerMinute);
  rem %= kMsPerMinute;
  f.second = static_cast<int>(rem / kMsPerSecond);
  f.millis = static_cast<int>(rem % kMsPerSecond);
  return f;
}

std::int64_t millis_of(const Fields& f) {
  return days_from_civil(f.year, f.month, f.day) * kMsPerDay + f.hour * kMsPerHour + f.minute * kMsPerMinute + f.second * kMsPerSecond +
         f.millis;
}

std::int64_t add_months(std::int64_t ms, std::int64_t months) {
  Fields f = fields_of(ms);
  const std::int64_t total = static_cast<std::int64_t>(f.year) * 12 + (f.month - 1) + months;
  f.year = static_cast<int>(floor_div(total, 12));
  f.month = static_cast<int>(total - static_cast<std::int64_t>(f.year) * 12) + 1;
  f.day = std::min(f.day, days_in_month(f.year, f.month));
  return millis_of(f);
}

// Precision of a parsed date: which unit its last given field is.
enum class Precision { kYear, kMonth, kDayField, kHourField, kMinuteField, kSecondField, kMillis };

std::int64_t end_of(std::int64_t start_local, Precision p) {
  switch (p) {
    case Precision::kYear: return add_months(start_local, 12) - 1;
    case Precision::kMonth: return add_months(start_local, 1) - 1;
    case Precision::kDayField: return start_local + kMsPerDay - 1;
    case Precision::kHourField: return start_local + kMsPerHour - 1;
    case Precision::kMinuteField: return start_local + kMsPerMinute - 1;
    case Precision::kSecondField: return start_local + kMsPerSecond - 1;
    case Precision::kMillis: return start_local;
  }
  return start_local;
}

// A cursor over the text being parsed.
struct Cursor {
  std::string_view text;
  std::size_t pos = 0;
  bool done() const { return pos >= text.size(); }
  char peek() const { return done() ? '\0' : text[pos]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }
  // Reads between min and max digits.
  bool digits(int min, int max, int& value, int* count = nullptr) {
    int n = 0;
    long long v = 0;
    while (n < max && !done() && text[pos] >= '0' && text[pos] <= '9') {
      v = v * 10 + (text[pos] - '0');
      ++pos;
      ++n;
    }
    if (count) *count = n;
    if (n < min) return false;
    value = static_cast<int>(v);
    return true;
  }
};

bool parse_offset(Cursor& c, std::int64_t& offset_ms) {
  if (c.take('Z') || c.take('z')) {
    offset_ms = 0;
    return true;
  }
  const char sign = c.peek();
  if (sign != '+' && sign != '-') return false;
  ++c.pos;
  int hh = 0, mm = 0;
  if (!c.digits(2, 2, hh)) return false;
  if (c.take(':')) {
    if (!c.digits(2, 2, mm)) return false;
  } else if (!c.done() && c.peek() >= '0' && c.peek() <= '9') {
    if (!c.digits(2, 2, mm)) return false;
  }
  if (hh > 18 || mm > 59) return false;
  offset_ms = (hh * kMsPerHour + mm * kMsPerMinute) * (sign == '-' ? -1 : 1);
  return true;
}

bool valid(const Fields& f) {
  return f.month >= 1 && f.month <= 12 && f.day >= 1 && f.day <= days_in_month(f.year, f.month) && f.hour <= 23 &&
         f.minute <= 59 && f.second <= 59;
}

int fraction_to_millis(int value, int digits) {
  while (digits > 3) { value /= 10; --digits; }
  while (digits < 3) { value *= 10; ++digits; }
  return value;
}

struct Parsed {
  Fields fields;
  Precision precision = Precision::kYear;
  bool has_offset = false;
  std::int64_t offset_ms = 0;
};

bool parse_iso(std::string_view text, Parsed& out) {
  Cursor c{text};
  Fields& f = out.fields;
  if (!c.digits(4, 4, f.year)) return false;
  out.precision = Precision::kYear;
  if (c.take('-')) {
    if (!c.digits(2, 2, f.month)) return false;
    out.precision = Precision::kMonth;
    if (c.take('-')) {
      if (!c.digits(2, 2, f.day)) return false;
      out.precision = Precision::kDayField;
    }
  }
  if (out.precision == Precision::kDayField && (c.take('T') || c.take('t'))) {
    if (!c.digits(2, 2, f.hour)) return false;
    out.precision = Precision::kHourField;
    if (c.take(':')) {
      if (!c.digits(2, 2, f.minute)) return false;
      out.precision = Precision::kMinuteField;
      if (c.take(':')) {
        if (!c.digits(2, 2, f.second)) return false;
        out.precision = Precision::kSecondField;
        if (c.take('.') || c.take(',')) {
          int frac = 0, n = 0;
          if (!c.digits(1, 9, frac, &n)) return false;
          f.millis = fraction_to_millis(frac, n);
          out.precision = Precision::kMillis;
        }
      }
    }
    if (!c.done()) {
      if (!parse_offset(c, out.offset_ms)) return false;
      out.has_offset = true;
    }
  }
  return c.done() && valid(f);
}

bool is_numeric_letter(char l) { return l == 'y' || l == 'u' || l == 'Y' || l == 'M' || l == 'd' || l == 'H' || l == 'm' || l == 's' || l == 'S'; }

bool parse_pattern(const std::vector<DateFormat::Token>& tokens, std::string_view text, Parsed& out) {
  Cursor c{text};
  Fields& f = out.fields;
  f = Fields{};
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (t.letter == 0) {
      if (text.substr(c.pos, t.literal.size()) != t.literal) return false;
      c.pos += t.literal.size();
      continue;
    }
    if (t.letter == 'Z' || t.letter == 'X') {
      if (!parse_offset(c, out.offset_ms)) return false;
      out.has_offset = true;
      continue;
    }
    // Adjacent numeric fields (basic formats) take exactly their width.
    const bool fixed = i + 1 < tokens.size() && is_numeric_letter(tokens[i + 1].letter);
    int value = 0, n = 0;
    const int max = fixed ? std::max(t.count, t.letter == 'y' || t.letter == 'u' || t.letter == 'Y' ? 4 : 2)
                          : (t.letter == 'y' || t.letter == 'u' || t.letter == 'Y' ? 9 : t.letter == 'S' ? 9 : 2);
    const int min = fixed ? max : 1;
    if (!c.digits(min, max, value, &n)) return false;
    switch (t.letter) {
      case 'y': case 'u': case 'Y': f.year = value; out.precision = std::max(out.precision, Precision::kYear); break;
      case 'M': f.month = value; out.precision = std::max(out.precision, Precision::kMonth); break;
      case 'd': f.day = value; out.precision = std::max(out.precision, Precision::kDayField); break;
      case 'H': f.hour = value; out.precision = std::max(out.precision, Precision::kHourField); break;
      case 'm': f.minute = value; out.precision = std::max(out.precision, Precision::kMinuteField); break;
      case 's': f.second = value; out.precision = std::max(out.precision, Precision::kSecondField); break;
      case 'S': f.millis = fraction_to_millis(value, n); out.precision = Precision::kMillis; break;
      default: return false;
    }
  }
  return c.done() && valid(f);
}

bool parse_integer(std::string_view text, std::int64_t& value) {
  if (text.empty()) return false;
  const char* begin = text.data();
  if (*begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size();
}

Result<std::vector<DateFormat::Token>> tokenize_pattern(std::string_view spec) {
  std::vector<DateFormat::Token> tokens;
  for (std::size_t i = 0; i < spec.size();) {
    const char ch = spec[i];
    if (ch == '\'') {
      std::string lit;
      std::size_t j = i + 1;
      for (; j < spec.size(); ++j) {
        if (spec[j] == '\'') {
          if (j + 1 < spec.size() && spec[j + 1] == '\'') { lit += '\''; ++j; continue; }
          break;
        }
        lit += spec[j];
      }
      if (j >= spec.size()) return fail(Code::kInvalidArgument, "date format [" + std::string(spec) + "] has an unterminated quote");
      // push_back, not = "'": g++ 12 at -O3 reports a false -Wrestrict on assigning a literal
      // to a string (GCC bug 105329).
      if (lit.empty()) lit.push_back('\'');
      tokens.push_back({0, 0, lit});
      i = j + 1;
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
      if (std::string_view("yuYMdHmsSZX").find(ch) == std::string_view::npos) {
        return fail(Code::kInvalidArgument,
                    fmt::format("date format [{}]: the letter '{}' is not supported (use y M d H m s S Z)", spec, ch));
      }
      std::size_t j = i;
      while (j < spec.size() && spec[j] == ch) ++j;
      tokens.push_back({ch, static_cast<int>(j - i), {}});
      i = j;
    } else {
      if (!tokens.empty() && tokens.back().letter == 0) tokens.back().literal += ch;
      else tokens.push_back({0, 0, std::string(1, ch)});
      ++i;
    }
  }
  return tokens;
}

std::string_view named_pattern(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"date", "yyyy-MM-dd"}, {"strict_date", "yyyy-MM-dd"}, {"year_month_day", "yyyy-MM-dd"},
      {"strict_year_month_day", "yyyy-MM-dd"}, {"basic_date", "yyyyMMdd"},
      {"date_time", "yyyy-MM-dd'T'HH:mm:ss.SSSZZ"}, {"strict_date_time", "yyyy-MM-dd'T'HH:mm:ss.SSSZZ"},
      {"date_time_no_millis", "yyyy-MM-dd'T'HH:mm:ssZZ"}, {"strict_date_time_no_millis", "yyyy-MM-dd'T'HH:mm:ssZZ"},
      {"basic_date_time", "yyyyMMdd'T'HHmmss.SSSZ"}, {"basic_date_time_no_millis", "yyyyMMdd'T'HHmmssZ"},
      {"date_hour_minute_second", "yyyy-MM-dd'T'HH:mm:ss"}, {"strict_date_hour_minute_second", "yyyy-MM-dd'T'HH:mm:ss"},
      {"date_hour_minute_second_millis", "yyyy-MM-dd'T'HH:mm:ss.SSS"},
      {"date_hour_minute", "yyyy-MM-dd'T'HH:mm"}, {"date_hour", "yyyy-MM-dd'T'HH"},
      {"year_month", "yyyy-MM"}, {"strict_year_month", "yyyy-MM"}, {"year", "yyyy"}, {"strict_year", "yyyy"},
      {"hour_minute_second", "HH:mm:ss"}, {"hour_minute", "HH:mm"},
  };
  for (const auto& [n, p] : kNamed) {
    if (n == name) return p;
  }
  return {};
}

void append_padded(std::string& out, std::int64_t value, int width) {
  out += fmt::format("{:0{}}", value, width);
}

}  // namespace

Result<TimeZoneOffset> TimeZoneOffset::parse(std::string_view text) {
  if (text.empty() || text == "Z" || text == "UTC" || text == "GMT" || text == "Etc/UTC" || text == "Etc/GMT" ||
      text == "UCT" || text == "Zulu") {
    return TimeZoneOffset{0};
  }
  Cursor c{text};
  std::int64_t offset = 0;
  if (text[0] == '+' || text[0] == '-') {
    if (parse_offset(c, offset) && c.done()) return TimeZoneOffset{offset};
  }
  return fail(Code::kInvalidArgument,
              fmt::format("time_zone [{}] is not supported: use UTC or a fixed offset such as +01:00", text));
}

const DateFormat& DateFormat::default_format() {
  static const DateFormat kDefault = *DateFormat::parse("strict_date_optional_time||epoch_millis");
  return kDefault;
}

Result<DateFormat> DateFormat::parse(std::string_view spec) {
  DateFormat f;
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = spec.find("||", start);
    const std::string_view part = spec.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    Alternative alt;
    if (part == "strict_date_optional_time" || part == "date_optional_time" || part == "dateOptionalTime" ||
        part == "strict_date_optional_time_nanos") {
      alt.kind = Alternative::Kind::kIsoOptionalTime;
    } else if (part == "epoch_millis") {
      alt.kind = Alternative::Kind::kEpochMillis;
    } else if (part == "epoch_second") {
      alt.kind = Alternative::Kind::kEpochSecond;
    } else if (part.empty()) {
      return fail(Code::kInvalidArgument, "date format [" + std::string(spec) + "] has an empty alternative");
    } else {
      const std::string_view named = named_pattern(part);
      BH_ASSIGN_OR_RETURN(alt.tokens, tokenize_pattern(named.empty() ? part : named));
    }
    f.alternatives_.push_back(std::move(alt));
    if (bar == std::string_view::npos) break;
    start = bar + 2;
  }
  return f;
}

Result<std::int64_t> DateFormat::parse_millis(std::string_view text, const TimeZoneOffset& tz, bool round_up) const {
  for (const auto& alt : alternatives_) {
    if (alt.kind == Alternative::Kind::kEpochMillis || alt.kind == Alternative::Kind::kEpochSecond) {
      std::int64_t v = 0;
      if (!parse_integer(text, v)) continue;
      if (alt.kind == Alternative::Kind::kEpochSecond) {
        if (v > INT64_MAX / 1000 || v < INT64_MIN / 1000) continue;
        v *= 1000;
      }
      return v;
    }
    Parsed p;
    const bool ok = alt.kind == Alternative::Kind::kIsoOptionalTime ? parse_iso(text, p) : parse_pattern(alt.tokens, text, p);
    if (!ok) continue;
    std::int64_t local = millis_of(p.fields);
    if (round_up) local = end_of(local, p.precision);
    return local - (p.has_offset ? p.offset_ms : tz.offset_ms);
  }
  return fail(Code::kInvalidArgument, fmt::format("failed to parse date field [{}]", text));
}

std::string DateFormat::format_millis(std::int64_t millis, const TimeZoneOffset& tz) const {
  const Alternative& alt = alternatives_.front();
  if (alt.kind == Alternative::Kind::kEpochMillis) return std::to_string(millis);
  if (alt.kind == Alternative::Kind::kEpochSecond) return std::to_string(floor_div(millis, 1000));
  const Fields f = fields_of(millis + tz.offset_ms);
  auto offset_text = [&](bool colon) {
    if (tz.offset_ms == 0) return std::string("Z");
    const std::int64_t a = tz.offset_ms < 0 ? -tz.offset_ms : tz.offset_ms;
    return fmt::format("{}{:02}{}{:02}", tz.offset_ms < 0 ? '-' : '+', a / kMsPerHour, colon ? ":" : "", a % kMsPerHour / kMsPerMinute);
  };
  if (alt.kind == Alternative::Kind::kIsoOptionalTime) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}", f.year, f.month, f.day, f.hour, f.minute, f.second,
                       f.millis, offset_text(true));
  }
  std::string out;
  for (const auto& t : alt.tokens) {
    switch (t.letter) {
      case 0: out += t.literal; break;
      case 'y': case 'u': case 'Y': append_padded(out, f.year, t.count == 2 ? 2 : std::max(t.count, 4)); break;
      case 'M': append_padded(out, f.month, t.count); break;
      case 'd': append_padded(out, f.day, t.count); break;
      case 'H': append_padded(out, f.hour, t.count); break;
      case 'm': append_padded(out, f.minute, t.count); break;
      case 's': append_padded(out, f.second, t.count); break;
      case 'S': {
        std::string ms = fmt::format("{:03}", f.millis);
        ms.resize(static_cast<std::size_t>(t.count), '0');
        out += ms;
        break;
      }
      case 'Z': case 'X': out += offset_text(t.count >= 2); break;
      default: break;
    }
  }
  return out;
}

Result<CalendarUnit> parse_calendar_unit(std::string_view text) {
  static constexpr std::pair<std::string_view, CalendarUnit> kUnits[] = {
      {"1s", CalendarUnit::kSecond}, {"s", CalendarUnit::kSecond}, {"second", CalendarUnit::kSecond},
      {"1m", CalendarUnit::kMinute}, {"m", CalendarUnit::kMinute}, {"minute", CalendarUnit::kMinute},
      {"1h", CalendarUnit::kHour}, {"h", CalendarUnit::kHour}, {"hour", CalendarUnit::kHour},
      {"1d", CalendarUnit::kDay}, {"d", CalendarUnit::kDay}, {"day", CalendarUnit::kDay},
      {"1w", CalendarUnit::kWeek}, {"w", CalendarUnit::kWeek}, {"week", CalendarUnit::kWeek},
      {"1M", CalendarUnit::kMonth}, {"M", CalendarUnit::kMonth}, {"month", CalendarUnit::kMonth},
      {"1q", CalendarUnit::kQuarter}, {"q", CalendarUnit::kQuarter}, {"quarter", CalendarUnit::kQuarter},
      {"1y", CalendarUnit::kYear}, {"y", CalendarUnit::kYear}, {"year", CalendarUnit::kYear},
  };
  for (const auto& [n, u] : kUnits) {
    if (n == text) return u;
  }
  return fail(Code::kInvalidArgument, fmt::format("unknown calendar interval [{}]", text));
}

std::int64_t round_down_to_unit(std::int64_t millis, CalendarUnit unit, const TimeZoneOffset& tz) {
  const std::int64_t local = millis + tz.offset_ms;
  std::int64_t rounded = local;
  switch (unit) {
    case CalendarUnit::kSecond: rounded = floor_div(local, kMsPerSecond) * kMsPerSecond; break;
    case CalendarUnit::kMinute: rounded = floor_div(local, kMsPerMinute) * kMsPerMinute; break;
    case CalendarUnit::kHour: rounded = floor_div(local, kMsPerHour) * kMsPerHour; break;
    case CalendarUnit::kDay: rounded = floor_div(local, kMsPerDay) * kMsPerDay; break;
    case CalendarUnit::kWeek: {
      // 1970-01-01 was a Thursday; weeks start on Monday (ISO), as in Elasticsearch.
      const std::int64_t days = floor_div(local, kMsPerDay);
      rounded = (days - ((days + 3) % 7 + 7) % 7) * kMsPerDay;
      break;
    }
    case CalendarUnit::kMonth: case CalendarUnit::kQuarter: case CalendarUnit::kYear: {
      Fields f = fields_of(local);
      if (unit == CalendarUnit::kYear) f.month = 1;
      if (unit == CalendarUnit::kQuarter) f.month = (f.month - 1) / 3 * 3 + 1;
      f.day = 1;
      f.hour = f.minute = f.second = f.millis = 0;
      rounded = millis_of(f);
      break;
    }
  }
  return rounded - tz.offset_ms;
}

std::int64_t next_unit_start(std::int64_t start, CalendarUnit unit, const TimeZoneOffset& tz) {
  const std::int64_t local = start + tz.offset_ms;
  switch (unit) {
    case CalendarUnit::kSecond: return start + kMsPerSecond;
    case CalendarUnit::kMinute: return start + kMsPerMinute;
    case CalendarUnit::kHour: return start + kMsPerHour;
    case CalendarUnit::kDay: return start + kMsPerDay;
    case CalendarUnit::kWeek: return start + 7 * kMsPerDay;
    case CalendarUnit::kMonth: return add_months(local, 1) - tz.offset_ms;
    case CalendarUnit::kQuarter: return add_months(local, 3) - tz.offset_ms;
    case CalendarUnit::kYear: return add_months(local, 12) - tz.offset_ms;
  }
  return start + kMsPerDay;
}

Result<std::int64_t> parse_fixed_interval_millis(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  std::int64_t n = 0;
  if (i == 0 || !parse_integer(text.substr(0, i), n) || n <= 0 || n > 1'000'000'000) {
    return fail(Code::kInvalidArgument, fmt::format("failed to parse interval [{}]", text));
  }
  const std::string_view unit = text.substr(i);
  std::int64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = kMsPerSecond;
  else if (unit == "m") scale = kMsPerMinute;
  else if (unit == "h") scale = kMsPerHour;
  else if (unit == "d") scale = kMsPerDay;
  else return fail(Code::kInvalidArgument, fmt::format("failed to parse interval [{}]: unit must be ms, s, m, h or d", text));
  return n * scale;
}

Result<std::int64_t> parse_date_math(std::string_view text, const DateFormat& format, const TimeZoneOffset& tz,
                                     std::int64_t now_millis, bool round_up) {
  std::int64_t value = 0;
  std::string_view math;
  if (text.starts_with("now")) {
    value = now_millis;
    math = text.substr(3);
  } else {
    const std::size_t bars = text.find("||");
    if (bars == std::string_view::npos) return format.parse_millis(text, tz, round_up);
    math = text.substr(bars + 2);
    BH_ASSIGN_OR_RETURN(value, format.parse_millis(text.substr(0, bars), tz, round_up && math.empty()));
  }
  Cursor c{math};
  while (!c.done()) {
    const char op = c.peek();
    ++c.pos;
    if (op != '+' && op != '-' && op != '/') {
      return fail(Code::kInvalidArgument, fmt::format("invalid date math [{}]: operator '{}' is not + - or /", text, op));
    }
    int amount = 1;
    if (op != '/' && !c.done() && c.peek() >= '0' && c.peek() <= '9') {
      if (!c.digits(1, 9, amount)) return fail(Code::kInvalidArgument, fmt::format("invalid date math [{}]", text));
    }
    if (c.done()) return fail(Code::kInvalidArgument, fmt::format("invalid date math [{}]: missing unit", text));
    const char u = c.peek();
    ++c.pos;
    CalendarUnit unit;
    switch (u) {
      case 'y': unit = CalendarUnit::kYear; break;
      case 'M': unit = CalendarUnit::kMonth; break;
      case 'w': unit = CalendarUnit::kWeek; break;
      case 'd': unit = CalendarUnit::kDay; break;
      case 'h': case 'H': unit = CalendarUnit::kHour; break;
      case 'm': unit = CalendarUnit::kMinute; break;
      case 's': unit = CalendarUnit::kSecond; break;
      default: return fail(Code::kInvalidArgument, fmt::format("invalid date math [{}]: unknown unit '{}'", text, u));
    }
    if (op == '/') {
      value = round_down_to_unit(value, unit, tz);
      if (round_up) value = next_unit_start(value, unit, tz) - 1;
      continue;
    }
    const std::int64_t n = op == '-' ? -amount : amount;
    switch (unit) {
      case CalendarUnit::kYear: value = add_months(value, 12 * n); break;
      case CalendarUnit::kQuarter: value = add_months(value, 3 * n); break;
      case CalendarUnit::kMonth: value = add_months(value, n); break;
      case CalendarUnit::kWeek: value += 7 * n * kMsPerDay; break;
      case CalendarUnit::kDay: value += n * kMsPerDay; break;
      case CalendarUnit::kHour: value += n * kMsPerHour; break;
      case CalendarUnit::kMinute: value += n * kMsPerMinute; break;
      case CalendarUnit::kSecond: value += n * kMsPerSecond; break;
    }
  }
  return value;
}

}  // namespace bh::search
