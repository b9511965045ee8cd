// Plain HTTP request/response values shared by the server, the router and the handlers, so
// that only http_server.cc sees Boost.Beast.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bh {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/search?q=firefox"
  std::string path;    // percent-decoded path part: "/api/search"
  std::string query;   // raw query string without '?': "q=firefox"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;

  // First header with that (lower-case) name, or empty.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  HttpResponse& set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace bh
