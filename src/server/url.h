// URL pieces of an HTTP request target. Pure functions over untrusted bytes; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace bh {

struct SplitTarget {
  std::string path;   // percent-decoded
  std::string query;  // raw, without '?'
};

// Splits "/a%20b?x=1#frag" into path "/a b" and query "x=1" (the fragment is dropped).
// Fails (kInvalidArgument) on a target that is not origin-form, a bad %-escape, or a decoded
// NUL byte.
Result<SplitTarget> split_target(std::string_view target);

// Percent-decodes; `plus_is_space` for application/x-www-form-urlencoded query values.
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

// "a=1&b=&c&a=2" -> {{"a","1"},{"b",""},{"c",""},{"a","2"}}, decoded, in order.
Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

struct HostPort {
  std::string host;  // as given (an IPv6 address without its brackets)
  std::uint16_t port = 0;
};

// A listen address: "HOST:PORT", "[IPV6]:PORT", or "PORT" alone (host 127.0.0.1). Whether the
// host is a valid address is left to the socket layer; this only splits and checks the port.
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace bh
