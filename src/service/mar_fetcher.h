// Fetching complete MARs for the partial service: only from allow-listed hosts, never (unless
// allowed) from loopback, private, link-local or otherwise internal addresses, with a size limit,
// retries (net/http_client.h) and a SHA-512 check.
//
// The guard against reaching internal services holds after DNS resolution and after redirects:
// the fetcher resolves the host itself, refuses the URL when any of its addresses is internal,
// and pins the connection to the address it checked (curl's RESOLVE), so a name that resolves
// differently a moment later (DNS rebinding) cannot move it. Redirects are not followed by curl:
// each Location is checked like the first URL, up to `max_redirects`.
//
// Host patterns: "archive.mozilla.org" (that host), "*.mozilla.net" (its subdomains), "*"
// (any host; the address rules still apply). `internal_hosts` lists the patterns whose internal
// addresses are accepted (a test's 127.0.0.1, an in-house mirror).
//
// Ownership: borrows the HTTP client. Thread safety: fetch() is safe for concurrent use.
// Failure: kInvalidArgument for a URL the policy refuses or a SHA-512 mismatch (retrying will not
// help), kNotFound for a 404, kTooLarge past max_bytes, kUnavailable for network failures and 5xx
// after the client's retries, kCancelled on stop.
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/status.h"
#include "net/http_client.h"
#include "service/partial_request.h"

namespace bh::service {

struct FetchPolicy {
  std::vector<std::string> allowed_hosts;   // empty: nothing may be fetched
  std::vector<std::string> internal_hosts;  // hosts whose internal addresses are accepted
  std::uint64_t max_bytes = std::uint64_t{600} << 20;  // the updater refuses MARs over 500 MiB
  unsigned max_redirects = 5;
};

struct FetchUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-case; IPv6 without brackets
  std::uint16_t port = 0;
  std::string path;    // from the first '/', query included ("/" when none)
  std::string text() const;
};

Result<FetchUrl> parse_fetch_url(std::string_view url);
bool host_matches(const std::vector<std::string>& patterns, std::string_view host);
// Why an address is internal ("loopback", "private", "link-local", ...), or empty when public.
std::string internal_address_kind(std::string_view numeric_address);
// The URL a Location header points to, relative to `base`.
Result<std::string> resolve_location(const FetchUrl& base, std::string_view location);

// Checks a URL against the host list only (at submission, so a client hears of it at once).
Status check_fetch_host(const FetchPolicy& policy, std::string_view url);

struct FetchedMar {
  std::string bytes;
  std::string sha512;
  std::string final_url;  // after redirects
  unsigned attempts = 0;
};

class MarFetcher {
 public:
  MarFetcher(FetchPolicy policy, net::HttpClient& http) : policy_(std::move(policy)), http_(http) {}
  // The MAR's bytes, checked against mar.sha512 when it is given; `stop` aborts the transfer.
  Result<FetchedMar> fetch(const MarLocation& mar, std::stop_token stop) const;
  const FetchPolicy& policy() const { return policy_; }

 private:
  FetchPolicy policy_;
  net::HttpClient& http_;
};

}  // namespace bh::service
