#include "v1/inventory_rows.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/calendar.h"

namespace bh::v1 {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads `width` digits at `at`; false when they are not all digits.
bool read_number(std::string_view text, std::size_t& at, std::size_t width, int& out) {
  if (at + width > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < width; ++i) {
    if (!is_digit(text[at + i])) return false;
    out = out * 10 + (text[at + i] - '0');
  }
  at += width;
  return true;
}

// "YYYY-MM-DDTHH:MM:SSZ" without a format string: this runs once per inventory row. Years under
// 1000 are not padded, as Python's strftime on glibc writes them.
std::string format_timestamp(int year, int month, int day, int hour, int minute, int second) {
  std::string out = std::to_string(year);
  const int parts[5] = {month, day, hour, minute, second};
  const char separators[5] = {'-', '-', 'T', ':', ':'};
  for (int i = 0; i < 5; ++i) {
    out += separators[i];
    out += static_cast<char>('0' + parts[i] / 10);
    out += static_cast<char>('0' + parts[i] % 10);
  }
  out += 'Z';
  return out;
}

}  // namespace

Status parse_inventory_line(std::string_view line, InventoryRow& row) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::array<std::string*, 5> fields = {&row.bucket, &row.key, &row.size, &row.last_modified, &row.etag};
  for (std::string* f : fields) f->clear();
  std::size_t field = 0;
  bool quoted = false;
  bool field_started_quoted = false;
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (quoted) {
      // Copy the run up to the next quote at once.
      const std::size_t quote = line.find('"', i);
      if (quote == std::string_view::npos) return invalid_argument("an inventory line ends inside a quoted field");
      fields[field]->append(line.substr(i, quote - i));
      if (quote + 1 < line.size() && line[quote + 1] == '"') {
        fields[field]->push_back('"');
        i = quote + 2;
      } else {
        quoted = false;
        i = quote + 1;
      }
      continue;
    }
    if (c == ',') {
      if (++field == fields.size()) {
        return invalid_argument("an inventory line has more than 5 fields (Bucket, Key, Size, LastModifiedDate, ETag)");
      }
      field_started_quoted = false;
    } else if (c == '"' && fields[field]->empty() && !field_started_quoted) {
      quoted = true;
      field_started_quoted = true;
    } else {
      fields[field]->push_back(c);  // as Python's csv (not strict): a quote inside a field is kept
    }
    ++i;
  }
  if (quoted) return invalid_argument("an inventory line ends inside a quoted field");
  if (field != fields.size() - 1) {
    return invalid_argument(fmt::format("an inventory line has {} fields, not 5 (Bucket, Key, Size, LastModifiedDate, ETag)", field + 1));
  }
  return {};
}

Status parse_inventory_line(std::string_view whole_line, InventoryRowView& row, InventoryRow& scratch) {
  std::string_view line = whole_line;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::array<std::string_view*, 5> fields = {&row.bucket, &row.key, &row.size, &row.last_modified, &row.etag};
  std::size_t at = 0;
  bool plain = true;
  for (std::size_t f = 0; f < fields.size() && plain; ++f) {
    if (at < line.size() && line[at] == '"') {
      const std::size_t close = line.find('"', at + 1);
      // A plain quoted field ends at a quote followed by a comma (or the line's end).
      if (close == std::string_view::npos) {
        plain = false;
        break;
      }
      const std::size_t after = close + 1;
      const bool last = f + 1 == fields.size();
      if (last ? after != line.size() : (after >= line.size() || line[after] != ',')) {
        plain = false;
        break;
      }
      *fields[f] = line.substr(at + 1, close - at - 1);
      at = after + 1;
    } else {
      std::size_t comma = line.find(',', at);
      const bool last = f + 1 == fields.size();
      if (last) {
        if (comma != std::string_view::npos) {
          plain = false;
          break;
        }
        comma = line.size();
      } else if (comma == std::string_view::npos) {
        plain = false;
        break;
      }
      const std::string_view field = line.substr(std::min(at, line.size()), comma - std::min(at, line.size()));
      if (field.find('"') != std::string_view::npos) {
        plain = false;
        break;
      }
      *fields[f] = field;
      at = comma + 1;
    }
  }
  if (plain) return {};
  // Anything unusual (doubled quotes, quotes inside fields, a wrong number of fields): the full reader.
  // The full reader drops the one trailing "\r" itself: give it the line as it came.
  BH_RETURN_IF_ERROR(parse_inventory_line(whole_line, scratch));
  row = {.bucket = scratch.bucket, .key = scratch.key, .size = scratch.size, .last_modified = scratch.last_modified, .etag = scratch.etag};
  return {};
}

Result<InventoryRow> parse_inventory_line(std::string_view line) {
  InventoryRow row;
  if (Status parsed = parse_inventory_line(line, row); !parsed) return fail(parsed);
  return row;
}

Result<InventoryTimestamp> parse_iso8601(std::string_view text) {
  auto bad = [&] { return fail(invalid_argument(fmt::format("'{}' is not an ISO 8601 time", text.substr(0, 100)))); };
  std::size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_number(text, at, 4, year)) return bad();
  const bool extended = at < text.size() && text[at] == '-';
  if (extended) ++at;
  if (!read_number(text, at, 2, month)) return bad();
  if (extended && (at >= text.size() || text[at++] != '-')) return bad();
  if (!read_number(text, at, 2, day)) return bad();
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1) return bad();
  int offset_minutes = 0;
  if (at < text.size() && (text[at] == 'T' || text[at] == 't' || text[at] == ' ')) {
    ++at;
    if (!read_number(text, at, 2, hour)) return bad();
    const bool colons = at < text.size() && text[at] == ':';
    auto next_field = [&](int& out) {
      if (colons) {
        if (at >= text.size() || text[at] != ':') return false;
        ++at;
        return read_number(text, at, 2, out);
      }
      return at + 1 < text.size() && is_digit(text[at]) && read_number(text, at, 2, out);
    };
    if (at < text.size() && (text[at] == ':' || is_digit(text[at]))) {
      if (!next_field(minute)) return bad();
      if (at < text.size() && (text[at] == ':' || is_digit(text[at]))) {
        if (!next_field(second)) return bad();
        if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
          ++at;
          const std::size_t digits = at;
          while (at < text.size() && is_digit(text[at])) ++at;
          if (at == digits) return bad();
        }
      }
    }
    if (at < text.size()) {
      const char sign = text[at];
      if (sign == 'Z' || sign == 'z') {
        ++at;
      } else if (sign == '+' || sign == '-') {
        ++at;
        int oh = 0, om = 0;
        if (!read_number(text, at, 2, oh)) return bad();
        if (at < text.size() && text[at] == ':') ++at;
        if (at < text.size() && !read_number(text, at, 2, om)) return bad();
        offset_minutes = (sign == '-' ? -1 : 1) * (oh * 60 + om);
      }
    }
  }
  if (at != text.size()) return bad();
  if (hour > 23 || minute > 59 || second > 59) return bad();
  if (day > days_in_month(year, month)) return bad();
  const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                               std::int64_t{offset_minutes} * 60;
  return InventoryTimestamp{.utc = std::chrono::system_clock::time_point(std::chrono::seconds(seconds)),
                            .text = format_timestamp(year, month, day, hour, minute, second)};
}

Result<std::int64_t> parse_inventory_size(std::string_view text) {
  // S3 writes plain digits: read them without strtod (which needs a terminated copy). Up to 15
  // digits, where a double (Python's float) holds every integer exactly.
  if (!text.empty() && text.size() <= 15 && std::all_of(text.begin(), text.end(), is_digit)) {
    std::int64_t value = 0;
    for (const char c : text) value = value * 10 + (c - '0');
    return value;
  }
  const std::string copy(text);  // strtod needs a terminated string
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(copy.c_str(), &end);
  std::string_view rest(end, static_cast<std::size_t>(copy.c_str() + copy.size() - end));
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == '\n')) rest.remove_prefix(1);
  const bool hex_or_word = copy.find_first_of("xXpP") != std::string::npos;
  if (end == copy.c_str() || !rest.empty() || hex_or_word || !std::isfinite(value) || std::fabs(value) >= 9.2e18) {
    return fail(invalid_argument(fmt::format("the size '{}' is not a number", text.substr(0, 100))));
  }
  return static_cast<std::int64_t>(value);
}

InventoryRowRules::InventoryRowRules(InventoryRowFilter filter) : filter_(std::move(filter)) {}

RowResult InventoryRowRules::process(const InventoryRow& row) const {
  return process(InventoryRowView{.bucket = row.bucket, .key = row.key, .size = row.size, .last_modified = row.last_modified, .etag = row.etag});
}

RowResult InventoryRowRules::process(const InventoryRowView& row) const {
  RowResult out;
  const std::string_view key = row.key;
  if (std::none_of(kFileExtensions.begin(), kFileExtensions.end(), [&](std::string_view ext) { return key.ends_with(ext); })) {
    return out;
  }
  auto modified = parse_iso8601(row.last_modified);
  if (!modified) {
    out.outcome = RowOutcome::kBadRow;
    out.error = fmt::format("{}: {}", key.substr(0, 300), modified.error().message());
    return out;
  }
  if (filter_.min_last_modified && modified->utc < *filter_.min_last_modified) return out;
  const std::size_t first = key.find('/');
  if (first == std::string::npos) return out;
  const std::size_t second = key.find('/', first + 1);
  const std::string_view product = key.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  if (std::find(filter_.products.begin(), filter_.products.end(), product) == filter_.products.end()) return out;
  std::string url = key_to_archive_url(key, filter_.archive_url);
  const UrlFacts facts = scan_url(url);
  if (!rules_.is_build_url(product, url, facts)) return out;
  auto record = rules_.record_from_url(std::move(url), facts);
  if (!record) {
    out.outcome = RowOutcome::kBadPath;
    out.error = record.error().message();
    return out;
  }
  auto size = parse_inventory_size(row.size);
  if (!size) {
    out.outcome = RowOutcome::kBadRow;
    out.error = fmt::format("{}: {}", key.substr(0, 300), size.error().message());
    return out;
  }
  out.outcome = RowOutcome::kRecord;
  out.record = InventoryRecord{.record = std::move(*record), .size = *size, .date = std::move(modified->text), .product_folder = std::string(product)};
  return out;
}

nlohmann::json InventoryRecord::to_json() const {
  nlohmann::json out = record.to_json();
  out["download"]["size"] = size;
  out["download"]["date"] = date;
  return out;
}

namespace {

// Eight bytes at a time (this runs on every field of every record). Each test is exact: it is
// nonzero exactly when some byte of the word is a zero, or below n (n <= 128).
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
constexpr std::uint64_t has_zero_byte(std::uint64_t v) { return (v - kOnes) & ~v & kHighs; }
constexpr std::uint64_t has_byte_below(std::uint64_t v, std::uint64_t n) { return (v - kOnes * n) & ~v & kHighs; }

bool plain(std::string_view text) {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, text.data() + i, 8);
    const std::uint64_t bad = has_byte_below(w, 0x20) | (w & kHighs) | has_zero_byte(w ^ (kOnes * 0x7f)) |
                              has_zero_byte(w ^ (kOnes * '"')) | has_zero_byte(w ^ (kOnes * '\\'));
    if (bad != 0) return false;
  }
  for (; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\') return false;
  }
  return true;
}

void append_string(std::string& out, std::string_view text) {
  out += '"';
  out += text;
  out += '"';
}

}  // namespace

bool append_record_line(const InventoryRecord& r, bool v1_format, std::string& out) {
  const PathRecord& p = r.record;
  for (std::string_view field : {std::string_view(p.id), std::string_view(p.product), std::string_view(p.version),
                                 std::string_view(p.platform), std::string_view(p.os), std::string_view(p.locale),
                                 std::string_view(p.channel), std::string_view(p.url), std::string_view(r.date)}) {
    if (!plain(field)) return false;
  }
  if (p.mimetype && !plain(*p.mimetype)) return false;
  if (v1_format) out += "{\"data\":";
  out += "{\"download\":{\"date\":";
  append_string(out, r.date);
  out += ",\"mimetype\":";
  if (p.mimetype) {
    append_string(out, *p.mimetype);
  } else {
    out += "null";
  }
  out += ",\"size\":";
  out += std::to_string(r.size);
  out += ",\"url\":";
  append_string(out, p.url);
  out += '}';
  if (v1_format) {
    out += ",\"id\":";
    append_string(out, p.id);
  }
  out += ",\"source\":{\"product\":";
  append_string(out, p.product);
  out += "},\"target\":{\"channel\":";
  append_string(out, p.channel);
  out += ",\"locale\":";
  append_string(out, p.locale);
  out += ",\"os\":";
  append_string(out, p.os);
  out += ",\"platform\":";
  append_string(out, p.platform);
  out += ",\"version\":";
  append_string(out, p.version);
  out += "}}";
  if (v1_format) out += '}';
  return true;
}

}  // namespace bh::v1
