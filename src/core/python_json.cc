#include "core/python_json.h"

#include "core/simdjson_util.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>


namespace bh {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::uint32_t unit, std::string& out) {
  out += "\\u";
  out += kHex[(unit >> 12) & 0xF];
  out += kHex[(unit >> 8) & 0xF];
  out += kHex[(unit >> 4) & 0xF];
  out += kHex[unit & 0xF];
}

// Decodes one UTF-8 sequence starting at s[i]; the string comes from a JSON parser that
// rejects ill-formed UTF-8, but a malformed byte is still escaped as itself rather than read past.
std::uint32_t decode_utf8(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) -> std::uint32_t {
    return i + k < s.size() ? (static_cast<unsigned char>(s[i + k]) & 0x3Fu) : 0u;
  };
  if (b0 < 0x80) { i += 1; return b0; }
  if ((b0 & 0xE0) == 0xC0 && i + 1 < s.size()) {
    std::uint32_t cp = ((b0 & 0x1Fu) << 6) | cont(1);
    i += 2;
    return cp;
  }
  if ((b0 & 0xF0) == 0xE0 && i + 2 < s.size()) {
    std::uint32_t cp = ((b0 & 0x0Fu) << 12) | (cont(1) << 6) | cont(2);
    i += 3;
    return cp;
  }
  if ((b0 & 0xF8) == 0xF0 && i + 3 < s.size()) {
    std::uint32_t cp = ((b0 & 0x07u) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    i += 4;
    return cp;
  }
  i += 1;
  return b0;
}

void append_string(std::string_view s, std::string& out) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      // Copy the longest run of plain printable ASCII at once.
      std::size_t j = i + 1;
      while (j < s.size()) {
        const auto d = static_cast<unsigned char>(s[j]);
        if (d < 0x20 || d >= 0x7F || d == '"' || d == '\\') break;
        ++j;
      }
      out.append(s.substr(i, j - i));
      i = j;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      default: break;
    }
    const std::uint32_t cp = decode_utf8(s, i);
    if (cp >= 0x10000) {
      const std::uint32_t v = cp - 0x10000;
      append_u_escape(0xD800 + (v >> 10), out);
      append_u_escape(0xDC00 + (v & 0x3FF), out);
    } else {
      append_u_escape(cp, out);
    }
  }
  out += '"';
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  // Shortest round-trip digits, in scientific form: "-d.ddde±XX".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  bool negative = false;
  if (!sci.empty() && sci.front() == '-') {
    negative = true;
    sci.remove_prefix(1);
  }
  const auto e_pos = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_pos);
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exponent);
  std::string digits;
  for (char ch : mantissa) {
    if (ch != '.') digits += ch;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int decpt = exponent + 1;  // position of the decimal point relative to the digits

  std::string out = negative ? "-" : "";
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-decpt), '0');
      out += digits;
    } else if (static_cast<std::size_t>(decpt) >= digits.size()) {
      out += digits;
      out.append(static_cast<std::size_t>(decpt) - digits.size(), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(decpt));
      out += '.';
      out += digits.substr(static_cast<std::size_t>(decpt));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) {
    out += '.';
    out += digits.substr(1);
  }
  const int exp10 = decpt - 1;
  out += exp10 < 0 ? "e-" : "e+";
  const int mag = exp10 < 0 ? -exp10 : exp10;
  if (mag < 10) out += '0';
  out += std::to_string(mag);
  return out;
}

Status append_python_json(simdjson::dom::element value, std::string& out) {
  using T = simdjson::dom::element_type;
  switch (value.type()) {
    case T::NULL_VALUE: out += "null"; return Status::ok();
    case T::BOOL: out += bh::sj::as_bool(value) ? "true" : "false"; return Status::ok();
    case T::INT64: out += std::to_string(bh::sj::as_int64(value)); return Status::ok();
    case T::UINT64: out += std::to_string(bh::sj::as_uint64(value)); return Status::ok();
    case T::DOUBLE: out += python_float_repr(bh::sj::as_double(value)); return Status::ok();
    case T::STRING: append_string(bh::sj::as_string(value), out); return Status::ok();
    case T::ARRAY: {
      out += '[';
      bool first = true;
      for (simdjson::dom::element item : bh::sj::as_array(value)) {
        if (!first) out += ", ";
        first = false;
        BH_RETURN_IF_ERROR(append_python_json(item, out));
      }
      out += ']';
      return Status::ok();
    }
    case T::OBJECT: {
      // sort_keys orders by code point; for UTF-8 that is plain byte order.
      simdjson::dom::object object = bh::sj::as_object(value);
      std::vector<std::pair<std::string_view, simdjson::dom::element>> members;
      members.reserve(16);
      for (simdjson::dom::key_value_pair kv : object) members.emplace_back(kv.key, kv.value);
      std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i > 0) {
          if (members[i].first == members[i - 1].first) {
            std::string key;
            append_string(members[i].first, key);
            return invalid_argument("duplicate key " + key + " in an object");
          }
          out += ", ";
        }
        append_string(members[i].first, out);
        out += ": ";
        BH_RETURN_IF_ERROR(append_python_json(members[i].second, out));
      }
      out += '}';
      return Status::ok();
    }
  }
  return Status::ok();
}

}  // namespace bh
