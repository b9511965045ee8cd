#include "server/router.h"

#include <set>

#include <nlohmann/json.hpp>

namespace bh {
namespace {

std::vector<std::string> split_segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string json_error_body(std::string_view message) {
  nlohmann::json j;
  j["error"] = message;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse error_response(const Status& status) {
  HttpResponse r;
  r.status = http_status(status.code());
  r.body = json_error_body(status.message());
  return r;
}

Router::Router(MetricsRegistry& metrics, const Clock& clock) : metrics_(metrics), clock_(clock) {}

void Router::add(std::string method, std::string pattern, std::string action, RouteHandler handler) {
  add_route(std::move(method), pattern, std::move(action), std::move(handler), nullptr);
}

void Router::add_async(std::string method, std::string pattern, std::string action, AsyncRouteHandler handler) {
  add_route(std::move(method), pattern, std::move(action), nullptr, std::move(handler));
}

void Router::add_route(std::string method, const std::string& pattern, std::string action, RouteHandler handler,
                       AsyncRouteHandler async_handler) {
  Route route;
  route.method = std::move(method);
  route.segments = split_segments(pattern);
  route.timer = &metrics_.timer("buildhub_http_request_duration_seconds", "Time to answer a request, by action",
                                {{"action", action}});
  route.action = std::move(action);
  route.handler = std::move(handler);
  route.async_handler = std::move(async_handler);
  if (pattern.find("{}") == std::string::npos) literal_[pattern].push_back(std::move(route));
  else patterns_.push_back(std::move(route));
}

std::vector<std::pair<const Router::Route*, RouteParams>> Router::match(std::string_view path) const {
  std::vector<std::pair<const Route*, RouteParams>> out;
  if (auto it = literal_.find(std::string(path)); it != literal_.end()) {
    for (const Route& r : it->second) out.emplace_back(&r, RouteParams{});
    return out;
  }
  const std::vector<std::string> segments = split_segments(path);
  for (const Route& r : patterns_) {
    if (r.segments.size() != segments.size()) continue;
    RouteParams params;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      if (r.segments[i] == "{}") {
        if (segments[i].empty()) ok = false;
        else params.push_back(segments[i]);
      } else if (r.segments[i] != segments[i]) {
        ok = false;
      }
    }
    if (ok) out.emplace_back(&r, std::move(params));
  }
  return out;
}

HttpResponse Router::finish(std::string_view path, std::string_view method, std::string_view action,
                            HttpResponse response) const {
  if (starts_with(path, "/api/") || path == "/api") {
    response.set_header("Access-Control-Allow-Origin", "*");
  }
  metrics_
      .counter("buildhub_http_requests_total", "HTTP requests answered, by action, method and status",
               {{"action", std::string(action)}, {"method", std::string(method)}, {"status", std::to_string(response.status)}})
      .inc();
  return response;
}

void Router::dispatch(HttpRequest request, Responder respond) const {
  const auto started = clock_.monotonic_now();
  const auto candidates = match(request.path);
  const std::string& method = request.method == "HEAD" ? std::string("GET") : request.method;
  for (const auto& [route, params] : candidates) {
    if (route->method != method) continue;
    if (route->handler) {
      auto result = route->handler(request, params);
      HttpResponse response = result ? std::move(*result) : error_response(result.error());
      route->timer->observe(clock_.monotonic_now() - started);
      respond(finish(request.path, request.method, route->action, std::move(response)));
      return;
    }
    // Timed and counted when the answer comes, on whichever thread gives it.
    Responder finishing = respond.then([this, route = route, started, path = request.path,
                                        method_name = request.method](HttpResponse response) {
      route->timer->observe(clock_.monotonic_now() - started);
      return finish(path, method_name, route->action, std::move(response));
    });
    route->async_handler(std::move(request), params, std::move(finishing));
    return;
  }
  respond(not_routed(request, candidates));
}

HttpResponse Router::not_routed(const HttpRequest& request,
                                const std::vector<std::pair<const Route*, RouteParams>>& candidates) const {
  if (candidates.empty()) {
    return finish(request.path, request.method, "not_found",
                  error_response(not_found("no such endpoint: " + request.path)));
  }
  std::set<std::string> allowed;
  for (const auto& [route, params] : candidates) {
    allowed.insert(route->method);
    if (route->method == "GET") allowed.insert("HEAD");
  }
  std::string allow;
  for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
  if (request.method == "OPTIONS" && starts_with(request.path, "/api/")) {
    HttpResponse preflight;
    preflight.status = 204;
    preflight.content_type = "text/plain";
    preflight.set_header("Access-Control-Allow-Methods", allow + ", OPTIONS");
    preflight.set_header("Access-Control-Allow-Headers", "Content-Type");
    preflight.set_header("Access-Control-Max-Age", "86400");
    return finish(request.path, request.method, "preflight", std::move(preflight));
  }
  HttpResponse r = error_response(
      Status(Code::kInvalidArgument, "method " + request.method + " is not allowed here; allowed: " + allow));
  r.status = 405;
  r.set_header("Allow", allow);
  return finish(request.path, request.method, "method_not_allowed", std::move(r));
}

}  // namespace bh
