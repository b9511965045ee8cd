#include "server/url.h"

#include <charconv>

#include <fmt/format.h>

#include "core/hex.h"

namespace bh {

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (text.size() - i < 3) {
        return fail(invalid_argument(fmt::format("truncated %-escape at offset {}", i)));
      }
      const int hi = hex_digit_value(text[i + 1]);
      const int lo = hex_digit_value(text[i + 2]);
      if (hi < 0 || lo < 0) return fail(invalid_argument(fmt::format("bad %-escape at offset {}", i)));
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return fail(invalid_argument("NUL byte in URL"));
      out += decoded;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Result<SplitTarget> split_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return fail(invalid_argument("request target must start with '/'"));
  }
  const auto hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  const auto q = target.find('?');
  SplitTarget out;
  BH_ASSIGN_OR_RETURN(out.path, percent_decode(target.substr(0, q), false));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view part = query.substr(start, end - start);
    if (!part.empty()) {
      const auto eq = part.find('=');
      BH_ASSIGN_OR_RETURN(std::string key, percent_decode(part.substr(0, eq), true));
      std::string value;
      if (eq != std::string_view::npos) {
        BH_ASSIGN_OR_RETURN(value, percent_decode(part.substr(eq + 1), true));
      }
      out.emplace_back(std::move(key), std::move(value));
    }
    start = end + 1;
  }
  return out;
}

Result<HostPort> parse_host_port(std::string_view text) {
  HostPort out;
  out.host = "127.0.0.1";
  std::string_view port_text = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(invalid_argument(fmt::format("expected [ADDRESS]:PORT, got '{}'", text)));
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port_text.empty() || value > 65535 ||
      out.host.empty()) {
    return fail(invalid_argument(fmt::format("expected HOST:PORT with a port of 0-65535, got '{}'", text)));
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

}  // namespace bh
