#include "v1/kinto_query.h"

#include <array>
#include <charconv>

#include <fmt/format.h>

#include "core/json_nesting.h"

namespace bh::v1 {
namespace {

constexpr std::string_view kInQuerystring = " in querystring: ";

Status bad_param(std::string_view name, std::string_view why) {
  return Status(Code::kInvalidArgument, fmt::format("{}{}{}", name, kInQuerystring, why));
}

// Field names as Kinto's storage can address them: letters, digits, `_`, `-` and dots between
// parts. Anything else could not name a record field, and saying so beats an empty answer.
bool valid_field_name(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '.' || name.back() == '.') return false;
  char previous = 0;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok || (c == '.' && previous == '.')) return false;
    previous = c;
  }
  return true;
}

// Kinto reads each value with json.loads where it can; a quoted value is its string. Numbers
// and words stay as typed: our records' fields are strings, except download.size, which the
// engine compares as a number from the same text.
std::string native_text(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    try {
      const auto parsed = nlohmann::json::parse(value);
      if (parsed.is_string()) return parsed.get<std::string>();
    } catch (const std::exception&) {
      // not a JSON string: the text as it is
    }
  }
  return std::string(value);
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view text) {
  static constexpr std::array<std::string_view, 4> yes = {"true", "1", "yes", "on"};
  static constexpr std::array<std::string_view, 4> no = {"false", "0", "no", "off"};
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (auto y : yes) {
    if (lower == y) return true;
  }
  for (auto n : no) {
    if (lower == n) return false;
  }
  return std::nullopt;
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view piece = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    if (!piece.empty()) out.push_back(native_text(piece));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

struct Prefix {
  std::string_view text;
  KintoOp op;
};
constexpr std::array<Prefix, 9> kPrefixes = {{{"not_", KintoOp::kNot},
                                              {"in_", KintoOp::kIn},
                                              {"exclude_", KintoOp::kExclude},
                                              {"min_", KintoOp::kMin},
                                              {"max_", KintoOp::kMax},
                                              {"lt_", KintoOp::kLt},
                                              {"gt_", KintoOp::kGt},
                                              {"has_", KintoOp::kHas},
                                              {"like_", KintoOp::kLike}}};

Status add_filter(KintoQuery& q, std::string_view name, std::string_view value) {
  KintoFilter f;
  std::string_view field = name;
  if (name.starts_with("eq_")) field = name.substr(3);
  for (const auto& p : kPrefixes) {
    if (name.starts_with(p.text) && name.size() > p.text.size()) {
      field = name.substr(p.text.size());
      f.op = p.op;
      break;
    }
  }
  if (!valid_field_name(field)) return bad_param(name, "Unknown or invalid field name.");
  f.field = std::string(field);
  if (f.op == KintoOp::kHas) {
    const auto b = parse_bool(value);
    if (!b) return bad_param(name, "The value should be true or false.");
    f.present = *b;
  } else if (f.op == KintoOp::kIn || f.op == KintoOp::kExclude) {
    f.values = split_commas(value);
  } else {
    f.values.push_back(native_text(value));
  }
  if (f.field == kKintoTimestampField && f.op != KintoOp::kHas) {
    // Timestamps are kept as plain digits (an ETag's quotes gone), for from_chars downstream.
    for (auto& v : f.values) {
      const auto n = parse_int(v);
      if (!n) return bad_param(name, "The value should be integer.");
      v = std::to_string(*n);
    }
  }
  q.filters.push_back(std::move(f));
  return Status::ok();
}

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-' || c == '+') return 62;  // '+' and '/' too: a token a client re-encoded
  if (c == '_' || c == '/') return 63;
  return -1;
}

}  // namespace

Result<KintoQuery> parse_kinto_query(const std::vector<std::pair<std::string, std::string>>& params) {
  KintoQuery q;
  for (const auto& [name, value] : params) {
    if (name == "_sort") {
      q.sort.clear();
      for (std::string_view key : split_commas(value)) {
        KintoSortKey k;
        if (key.starts_with('-')) {
          k.descending = true;
          key.remove_prefix(1);
        } else if (key.starts_with('+')) {
          key.remove_prefix(1);
        }
        if (!valid_field_name(key)) return fail(bad_param(name, fmt::format("Unknown or invalid sort field [{}].", key)));
        k.field = std::string(key);
        q.sort.push_back(std::move(k));
      }
    } else if (name == "_limit") {
      const auto n = parse_int(value);
      if (!n || *n < 0) return fail(bad_param(name, "The value should be a positive integer."));
      if (*n > 0) q.limit = static_cast<std::size_t>(*n);
    } else if (name == "_since" || name == "_before" || name == "_to") {
      const auto n = parse_int(value);
      if (!n) return fail(bad_param(name, "The value should be integer."));
      q.filters.push_back({.field = std::string(kKintoTimestampField),
                           .op = name == "_since" ? KintoOp::kGt : KintoOp::kLt,
                           .values = {std::to_string(*n)},
                           .present = true});
    } else if (name == "_fields") {
      for (const auto& f : split_commas(value)) {
        if (!valid_field_name(f)) return fail(bad_param(name, fmt::format("Invalid field [{}].", f)));
        q.fields.push_back(f);
      }
    } else if (name == "_token") {
      if (value.empty()) continue;
      auto after = decode_kinto_token(value);
      if (!after) return fail(bad_param(name, "Invalid pagination token."));
      q.after = std::move(*after);
    } else if (name.empty() || name.starts_with('_')) {
      continue;  // Kinto ignores the parameters it does not know that start with '_' ("=x" has no name)
    } else {
      BH_RETURN_IF_ERROR(add_filter(q, name, value));
    }
  }
  if (q.sort.empty()) q.sort.push_back({.field = std::string(kKintoTimestampField), .descending = true});
  return q;
}

std::string kinto_error_parameter(std::string_view message) {
  const std::size_t at = message.find(kInQuerystring);
  return at == std::string_view::npos ? std::string() : std::string(message.substr(0, at));
}

std::string encode_kinto_token(const nlohmann::json& after) {
  const std::string text = after.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve((text.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(text[i]) << 16) | (static_cast<unsigned char>(text[i + 1]) << 8) |
                       static_cast<unsigned char>(text[i + 2]);
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
    out += kBase64Url[v & 63];
  }
  if (i < text.size()) {
    unsigned v = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) v |= static_cast<unsigned char>(text[i + 1]) << 8;
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    if (i + 1 < text.size()) out += kBase64Url[(v >> 6) & 63];
  }
  return out;
}

Result<nlohmann::json> decode_kinto_token(std::string_view token) {
  while (!token.empty() && token.back() == '=') token.remove_suffix(1);
  if (token.size() > 64 * 1024 || token.size() % 4 == 1) return fail(Code::kInvalidArgument, "invalid pagination token");
  std::string text;
  text.reserve(token.size() * 3 / 4);
  unsigned bits = 0;
  int count = 0;
  for (const char c : token) {
    const int v = base64url_value(c);
    if (v < 0) return fail(Code::kInvalidArgument, "invalid pagination token");
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      text += static_cast<char>((bits >> count) & 0xff);
    }
  }
  // A cursor is a flat array: anything nested deeper is not one of ours.
  if (!json_nesting_within(text, 2)) return fail(Code::kInvalidArgument, "invalid pagination token");
  nlohmann::json after;
  try {
    after = nlohmann::json::parse(text, nullptr, true, false);
  } catch (const std::exception&) {
    return fail(Code::kInvalidArgument, "invalid pagination token");
  }
  if (!after.is_array() || after.empty() || after.size() > 64) {
    return fail(Code::kInvalidArgument, "invalid pagination token");
  }
  for (const auto& v : after) {
    if (!v.is_string() && !v.is_number() && !v.is_null()) return fail(Code::kInvalidArgument, "invalid pagination token");
  }
  return after;
}

}  // namespace bh::v1
