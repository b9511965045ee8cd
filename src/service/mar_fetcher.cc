#include "service/mar_fetcher.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/ascii.h"
#include "core/digest.h"

namespace bh::service {
namespace {

std::string ipv4_kind(std::uint32_t a) {  // host order
  const auto in = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  if (in(0x00000000, 8)) return "unspecified";
  if (in(0x7F000000, 8)) return "loopback";
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16)) return "private";
  if (in(0xA9FE0000, 16)) return "link-local";
  if (in(0x64400000, 10)) return "shared (carrier-grade NAT)";
  if (in(0xC0000000, 24) || in(0xC0000200, 24) || in(0xC6336400, 24) || in(0xCB007100, 24) || in(0xC6120000, 15)) {
    return "reserved";
  }
  if (in(0xE0000000, 4)) return "multicast";
  if (in(0xF0000000, 4)) return "reserved";
  return {};
}

}  // namespace

std::string FetchUrl::text() const {
  const bool v6 = host.find(':') != std::string::npos;
  const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return fmt::format("{}://{}{}{}{}", scheme, v6 ? "[" + host + "]" : host, default_port ? "" : ":",
                     default_port ? "" : std::to_string(port), path);
}

Result<FetchUrl> parse_fetch_url(std::string_view url) {
  FetchUrl out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return fail(invalid_argument("not an absolute URL"));
  out.scheme = ascii_lowercase(url.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https") return fail(invalid_argument("only http and https URLs are fetched"));
  std::string_view rest = url.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  out.path = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (const auto hash = out.path.find('#'); hash != std::string::npos) out.path.erase(hash);
  if (out.path.empty() || out.path[0] != '/') out.path.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return fail(invalid_argument("URLs with credentials are refused"));
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(invalid_argument("bad IPv6 host"));
    out.host = ascii_lowercase(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail(invalid_argument("bad host"));
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = ascii_lowercase(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return fail(invalid_argument("the URL has no host"));
  for (char c : out.host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '_') {
      return fail(invalid_argument("the host holds characters a host name cannot"));
    }
  }
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit)) {
      return fail(invalid_argument("bad port"));
    }
    const int port = std::stoi(std::string(port_text));
    if (port < 1 || port > 65535) return fail(invalid_argument("bad port"));
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

bool host_matches(const std::vector<std::string>& patterns, std::string_view host) {
  const std::string h = ascii_lowercase(host);
  for (const std::string& raw : patterns) {
    const std::string p = ascii_lowercase(raw);
    if (p == "*" || p == h) return true;
    if (p.starts_with("*.") && h.size() > p.size() - 1 && h.ends_with(p.substr(1))) return true;
  }
  return false;
}

std::string internal_address_kind(std::string_view numeric_address) {
  const std::string text(numeric_address);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return ipv4_kind(ntohl(v4.s_addr));
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return "unparsable";
  const unsigned char* b = v6.s6_addr;
  static constexpr unsigned char kZero[16] = {};
  if (std::memcmp(b, kZero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return b[15] == 0 ? "unspecified" : "loopback";
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::/96) carry an IPv4 address: judge that.
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kNat64, 12) == 0) {
    return ipv4_kind((std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) | (std::uint32_t{b[14]} << 8) | b[15]);
  }
  if ((b[0] & 0xfe) == 0xfc) return "private (unique local)";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "site-local";
  if (b[0] == 0xff) return "multicast";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "reserved (documentation)";
  return {};
}

Result<std::string> resolve_location(const FetchUrl& base, std::string_view location) {
  if (location.empty()) return fail(invalid_argument("a redirect without a Location"));
  const std::string l = ascii_lowercase(location.substr(0, 8));
  if (l.starts_with("http://") || l.starts_with("https://")) return std::string(location);
  if (location.find("://") != std::string_view::npos) return fail(invalid_argument("a redirect to another scheme"));
  FetchUrl next = base;
  if (location.starts_with("//")) return base.scheme + ":" + std::string(location);
  if (location.starts_with("/")) {
    next.path = std::string(location);
  } else {
    std::string dir = base.path.substr(0, base.path.find('?'));
    dir = dir.substr(0, dir.rfind('/') + 1);
    next.path = dir + std::string(location);
  }
  return next.text();
}

Status check_fetch_host(const FetchPolicy& policy, std::string_view url) {
  auto parsed = parse_fetch_url(url);
  if (!parsed) return parsed.error();
  if (!host_matches(policy.allowed_hosts, parsed->host)) {
    return invalid_argument(fmt::format("{} is not an allowed host (see --fetch-allow-host)", parsed->host));
  }
  return {};
}

Result<FetchedMar> MarFetcher::fetch(const MarLocation& mar, std::stop_token stop) const {
  std::string url = mar.url;
  FetchedMar out;
  for (unsigned hop = 0;; ++hop) {
    BH_ASSIGN_OR_RETURN(FetchUrl parsed, parse_fetch_url(url));
    const std::string where = hop == 0 ? url : fmt::format("{} (redirected from {})", url, mar.url);
    if (!host_matches(policy_.allowed_hosts, parsed.host)) {
      return fail(invalid_argument(fmt::format("{}: {} is not an allowed host", where, parsed.host)));
    }
    // Resolve once, judge every address, connect only to a judged one.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(parsed.host.c_str(), nullptr, &hints, &found);
    if (rc != 0) return fail(unavailable(fmt::format("{}: cannot resolve {}: {}", where, parsed.host, ::gai_strerror(rc))));
    std::vector<std::string> addresses;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                                : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
      if (::inet_ntop(a->ai_family, raw, text, sizeof text) != nullptr &&
          std::find(addresses.begin(), addresses.end(), text) == addresses.end()) {
        addresses.emplace_back(text);
      }
    }
    ::freeaddrinfo(found);
    if (addresses.empty()) return fail(unavailable(fmt::format("{}: {} has no address", where, parsed.host)));
    if (!host_matches(policy_.internal_hosts, parsed.host)) {
      for (const std::string& a : addresses) {
        if (const std::string kind = internal_address_kind(a); !kind.empty()) {
          return fail(invalid_argument(fmt::format("{}: {} resolves to {}, a {} address; refused (see --fetch-allow-internal)",
                                                   where, parsed.host, a, kind)));
        }
      }
    }
    net::HttpCall call;
    call.url = url;
    call.max_response_bytes = static_cast<std::size_t>(policy_.max_bytes);
    call.stop = stop;
    call.timeout = std::chrono::minutes(10);
    const std::string& pinned = addresses.front();
    call.resolve.push_back(fmt::format("{}:{}:{}", parsed.host, parsed.port,
                                       pinned.find(':') != std::string::npos ? "[" + pinned + "]" : pinned));
    auto reply = http_.send(call);
    if (!reply) {
      Status s = reply.error();
      if (s.code() == Code::kTooLarge) {
        return fail(too_large(fmt::format("{}: larger than the limit of {} bytes", where, policy_.max_bytes)));
      }
      return fail(s.with_context(where));
    }
    out.attempts += reply->attempts;
    if (reply->status >= 300 && reply->status < 400 && reply->status != 304) {
      if (hop >= policy_.max_redirects) {
        return fail(invalid_argument(fmt::format("{}: more than {} redirects", where, policy_.max_redirects)));
      }
      BH_ASSIGN_OR_RETURN(url, resolve_location(parsed, reply->header("location")));
      continue;
    }
    if (reply->status == 404 || reply->status == 410) {
      return fail(not_found(fmt::format("{}: HTTP {} (no such file)", where, reply->status)));
    }
    if (reply->status != 200) {
      Status s = reply->status >= 500 || reply->status == 429
                     ? unavailable(fmt::format("{}: HTTP {}", where, reply->status))
                     : invalid_argument(fmt::format("{}: HTTP {}", where, reply->status));
      return fail(s);
    }
    out.bytes = std::move(reply->body);
    out.final_url = url;
    break;
  }
  out.sha512 = sha512_hex(out.bytes);
  if (!mar.sha512.empty() && out.sha512 != mar.sha512) {
    return fail(invalid_argument(fmt::format("{}: SHA-512 mismatch: expected {}, the {} bytes received hash to {}", mar.url,
                                             mar.sha512, out.bytes.size(), out.sha512)));
  }
  return out;
}

}  // namespace bh::service
