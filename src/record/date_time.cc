#include "record/date_time.h"

#include "core/calendar.h"

namespace bh {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

struct Parsed {
  int year, month, day, hour, minute, second;
  int millis;
  int offset_minutes;
};

std::optional<Parsed> parse(std::string_view s) {
  Parsed p{};
  if (!digits(s, 0, 4, p.year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, p.month) || s[7] != '-' ||
      !digits(s, 8, 2, p.day)) {
    return std::nullopt;
  }
  if (s[10] != 'T' && s[10] != 't') return std::nullopt;
  if (!digits(s, 11, 2, p.hour) || s[13] != ':' || !digits(s, 14, 2, p.minute) || s[16] != ':' ||
      !digits(s, 17, 2, p.second)) {
    return std::nullopt;
  }
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > days_in_month(p.year, p.month)) return std::nullopt;
  if (p.hour > 23 || p.minute > 59 || p.second > 60) return std::nullopt;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      p.millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    return pos + 1 == s.size() ? std::optional<Parsed>(p) : std::nullopt;
  }
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  const int sign = s[pos] == '-' ? -1 : 1;
  int oh = 0;
  int om = 0;
  if (pos + 6 != s.size() || !digits(s, pos + 1, 2, oh) || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
      oh > 23 || om > 59) {
    return std::nullopt;
  }
  p.offset_minutes = sign * (oh * 60 + om);
  return p;
}

}  // namespace

bool is_rfc3339_date_time(std::string_view text) { return parse(text).has_value(); }

std::optional<std::int64_t> rfc3339_to_epoch_millis(std::string_view text) {
  const auto p = parse(text);
  if (!p) return std::nullopt;
  const std::int64_t days = days_from_civil(p->year, p->month, p->day);
  const std::int64_t seconds = days * 86400 + p->hour * 3600 + p->minute * 60 + p->second -
                               static_cast<std::int64_t>(p->offset_minutes) * 60;
  return seconds * 1000 + p->millis;
}

}  // namespace bh
