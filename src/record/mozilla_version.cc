#include "record/mozilla_version.h"

#include <cstdint>
#include <limits>
#include <vector>

namespace bh {
namespace {

constexpr std::int64_t kStar = std::numeric_limits<std::int32_t>::max();

struct VersionPart {
  std::int64_t a = 0;
  std::string b;  // empty sorts last
  std::int64_t c = 0;
  std::string d;  // empty sorts last
};

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

// Leading optional sign and digits, as strtol would read them; clamped to 0..INT32_MAX.
std::int64_t parse_number(std::string_view s, std::size_t& pos) {
  std::size_t p = pos;
  bool negative = false;
  if (p < s.size() && (s[p] == '-' || s[p] == '+') && p + 1 < s.size() && is_digit(s[p + 1])) {
    negative = s[p] == '-';
    ++p;
  }
  if (p >= s.size() || !is_digit(s[p])) return 0;
  std::int64_t v = 0;
  while (p < s.size() && is_digit(s[p])) {
    if (v < kStar) v = v * 10 + (s[p] - '0');
    ++p;
  }
  pos = p;
  if (v > kStar) v = kStar;
  return negative ? 0 : v;
}

// Parses the part that starts at `text` (up to the next '.').
VersionPart parse_part(std::string_view text) {
  VersionPart part;
  if (text.empty()) return part;
  if (text == "*") {
    part.a = kStar;
    return part;
  }
  std::size_t pos = 0;
  part.a = parse_number(text, pos);
  if (pos < text.size() && text[pos] == '+') {
    // "1+" is "2pre".
    ++part.a;
    part.b = "pre";
    return part;
  }
  const std::size_t b_start = pos;
  while (pos < text.size() && !is_digit(text[pos]) && text[pos] != '+' && text[pos] != '-') ++pos;
  part.b = std::string(text.substr(b_start, pos - b_start));
  if (pos < text.size()) {
    part.c = parse_number(text, pos);
    part.d = std::string(text.substr(pos));
  }
  return part;
}

int compare_strings_empty_last(const std::string& x, const std::string& y) {
  if (x.empty() || y.empty()) return (x.empty() ? 1 : 0) - (y.empty() ? 1 : 0);
  return x.compare(y) < 0 ? -1 : (x == y ? 0 : 1);
}

int compare_parts(const VersionPart& x, const VersionPart& y) {
  if (x.a != y.a) return x.a < y.a ? -1 : 1;
  if (int r = compare_strings_empty_last(x.b, y.b)) return r;
  if (x.c != y.c) return x.c < y.c ? -1 : 1;
  return compare_strings_empty_last(x.d, y.d);
}

// Splits off the next part; returns false when nothing is left.
bool next_part(std::string_view& rest, std::string_view& part) {
  if (rest.empty()) return false;
  const auto dot = rest.find('.');
  part = rest.substr(0, dot);
  rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  return true;
}

void append_number(std::int64_t v, std::string& out) {
  // Four big-endian bytes: numbers are 0..2^31-1.
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

// Empty sorts last: 0x02 marks "empty", 0x01 + bytes a non-empty string, ended by 0x00 (bytes
// 0x00/0x01 inside the string are escaped so the terminator stays smallest).
void append_string(const std::string& s, std::string& out) {
  if (s.empty()) {
    out += '\x02';
    return;
  }
  out += '\x01';
  for (char ch : s) {
    if (ch == '\x00' || ch == '\x01') {
      out += '\x01';
      out += static_cast<char>(ch + 1);
    } else {
      out += ch;
    }
  }
  out += '\x00';
}

void append_part(const VersionPart& p, std::string& out) {
  append_number(p.a, out);
  append_string(p.b, out);
  append_number(p.c, out);
  append_string(p.d, out);
}

}  // namespace

int compare_mozilla_versions(std::string_view a, std::string_view b) {
  std::string_view ra = a;
  std::string_view rb = b;
  while (!ra.empty() || !rb.empty()) {
    std::string_view pa;
    std::string_view pb;
    next_part(ra, pa);
    next_part(rb, pb);
    if (int r = compare_parts(parse_part(pa), parse_part(pb))) return r;
  }
  return 0;
}

std::string mozilla_version_sort_key(std::string_view version) {
  // Trailing parts equal to "0" are dropped so 1.0 and 1.0.0 get the same key.
  std::vector<VersionPart> parts;
  std::string_view rest = version;
  std::string_view part;
  while (next_part(rest, part)) parts.push_back(parse_part(part));
  const VersionPart zero;
  while (!parts.empty() && compare_parts(parts.back(), zero) == 0) parts.pop_back();
  // Where one version ends, it continues as zeros; the other is then smaller or larger
  // according to its first non-zero part from there on. The byte before each part records
  // that sign (0x00 smaller, 0x02 larger) against the end marker 0x01.
  std::vector<char> separator(parts.size(), '\x02');
  char sign_from_here = '\x02';
  for (std::size_t i = parts.size(); i-- > 0;) {
    const int c = compare_parts(parts[i], zero);
    if (c != 0) sign_from_here = c < 0 ? '\x00' : '\x02';
    separator[i] = sign_from_here;
  }
  std::string key;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    key += separator[i];
    append_part(parts[i], key);
  }
  key += '\x01';
  return key;
}

}  // namespace bh
