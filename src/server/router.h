// One route table for the whole server: method + path pattern -> action name + handler.
//
// Patterns are literal paths or have `{}` for one path segment ("/api/records/{}"). Literal
// routes win over patterns, whatever the registration order. A path that matches no route is a
// 404; a known path with another method is a 405 with `Allow`. HEAD is served by GET routes.
//
// Two kinds of route:
//   add()        a quick handler (a lookup, a counter): it runs on the I/O thread and returns
//                Result<HttpResponse>; an error Status becomes {"error": message} with the
//                Status's HTTP code.
//   add_async()  anything that may take long (a search): the handler gets the request by value and
//                a Responder, hands the work to the executor and answers from there. The I/O
//                thread is free at once.
// Each request is counted and timed under its action name (buildhub_http_requests_total,
// buildhub_http_request_duration_seconds), async ones until they answer. Paths under /api/ get
// CORS headers (`Access-Control-Allow-Origin: *`) and answer OPTIONS preflights.
//
// Modules register their own routes (server/*_routes.h); the app composes them.
//
// Ownership: borrows the metrics registry and clock (both outlive the router).
// Thread safety: add*() before serving; dispatch() is safe for concurrent use.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "server/http_types.h"

namespace bh {

using RouteParams = std::vector<std::string>;
using RouteHandler = std::function<Result<HttpResponse>(const HttpRequest&, const RouteParams&)>;
using AsyncRouteHandler = std::function<void(HttpRequest, RouteParams, Responder)>;

// {"error": message} as a response body.
std::string json_error_body(std::string_view message);
// A JSON response from a Status (error) with the mapped HTTP code.
HttpResponse error_response(const Status& status);

class Router {
 public:
  Router(MetricsRegistry& metrics, const Clock& clock);

  void add(std::string method, std::string pattern, std::string action, RouteHandler handler);
  void add_async(std::string method, std::string pattern, std::string action, AsyncRouteHandler handler);

  // Answers through `respond`: before returning for quick routes and errors, later for async ones.
  void dispatch(HttpRequest request, Responder respond) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{}" for a parameter
    std::string action;
    RouteHandler handler;               // one of the two is set
    AsyncRouteHandler async_handler;
    Timer* timer = nullptr;
  };
  void add_route(std::string method, const std::string& pattern, std::string action, RouteHandler handler,
                 AsyncRouteHandler async_handler);
  // Routes whose pattern matches `path`, with their parameters.
  std::vector<std::pair<const Route*, RouteParams>> match(std::string_view path) const;
  HttpResponse finish(std::string_view path, std::string_view method, std::string_view action,
                      HttpResponse response) const;
  HttpResponse not_routed(const HttpRequest& request,
                          const std::vector<std::pair<const Route*, RouteParams>>& candidates) const;

  MetricsRegistry& metrics_;
  const Clock& clock_;
  std::map<std::string, std::vector<Route>> literal_;  // exact path -> routes (one per method)
  std::vector<Route> patterns_;
};

}  // namespace bh
