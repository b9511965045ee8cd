// One route table for the whole server: method + path pattern -> action name + handler.
//
// Patterns are literal paths or have `{}` for one path segment ("/api/records/{}"). Literal
// routes win over patterns, whatever the registration order. A path that matches no route is a
// 404; a known path with another method is a 405 with `Allow`. HEAD is served by GET routes.
//
// Handlers return Result<HttpResponse>; an error Status becomes {"error": message} with the
// Status's HTTP code. Each request is counted and timed under its action name
// (buildhub_http_requests_total, buildhub_http_request_duration_seconds). Paths under /api/
// get CORS headers (`Access-Control-Allow-Origin: *`) and answer OPTIONS preflights.
//
// Thread safety: add() before serving; dispatch() is safe for concurrent use.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "server/http_types.h"

namespace bh {

using RouteParams = std::vector<std::string>;
using RouteHandler = std::function<Result<HttpResponse>(const HttpRequest&, const RouteParams&)>;

// {"error": message} as a response body.
std::string json_error_body(std::string_view message);
// A JSON response from a Status (error) with the mapped HTTP code.
HttpResponse error_response(const Status& status);

class Router {
 public:
  explicit Router(MetricsRegistry& metrics);

  void add(std::string method, std::string pattern, std::string action, RouteHandler handler);
  HttpResponse dispatch(const HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{}" for a parameter
    std::string action;
    RouteHandler handler;
    Timer* timer = nullptr;
  };
  // Routes whose pattern matches `path`, with their parameters.
  std::vector<std::pair<const Route*, RouteParams>> match(std::string_view path) const;
  HttpResponse finish(const HttpRequest& request, std::string_view action, HttpResponse response) const;

  MetricsRegistry& metrics_;
  std::map<std::string, std::vector<Route>> literal_;  // exact path -> routes (one per method)
  std::vector<Route> patterns_;
};

}  // namespace bh
