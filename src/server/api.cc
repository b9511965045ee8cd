#include "server/api.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/url.h"

namespace bh {
namespace {

HttpResponse json_response(const nlohmann::json& body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Result<HttpResponse> heartbeat(ApiServices& s) {
  const Status health = s.store.check_health();
  nlohmann::json body;
  if (health.is_ok()) {
    body = {{"status", "ok"}, {"checks", {{"store", "ok"}}}, {"details", nlohmann::json::object()}};
    return json_response(body);
  }
  s.logger->error("heartbeat failed", {{"check", "store"}, {"error", health.to_string()}});
  body = {{"status", "error"},
          {"checks", {{"store", "error"}}},
          {"details", {{"store", {{"level", 40}, {"messages", {{"buildhub.health.E001", health.message()}}}}}}}};
  // Dockerflow answers a failed heartbeat with 500 so load balancers take the node out.
  return json_response(body, 500);
}

Result<HttpResponse> version(const ApiServices& s) {
  return json_response({{"source", std::string(s.version.source)},
                        {"version", std::string(s.version.version)},
                        {"commit", std::string(s.version.commit)},
                        {"build", "local"}});
}

Result<HttpResponse> records_count(ApiServices& s) {
  BH_ASSIGN_OR_RETURN(std::int64_t total, s.store.count());
  s.metrics.gauge("buildhub_records", "Records in the store").set(static_cast<double>(total));
  return json_response({{"builds", {{"total", total}}}});
}

Result<HttpResponse> run_search(ApiServices& s, const HttpRequest& request, Counter& requests) {
  requests.inc();
  Result<std::string> body;
  // A body (any method, as Elasticsearch allows GET with a body) is an Elasticsearch search;
  // without one, the query string is a URI search (?q=...), and nothing at all is match_all.
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    body = s.search.search_body(request.body);
  } else {
    BH_ASSIGN_OR_RETURN(auto params, parse_query(request.query));
    body = s.search.search_params(params);
  }
  if (!body) return tl::unexpected(body.error());
  HttpResponse r;
  r.body = std::move(*body);
  return r;
}

Result<HttpResponse> record_by_id(ApiServices& s, const std::string& id_text) {
  RecordId id = 0;
  const auto [ptr, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || ptr != id_text.data() + id_text.size() || id <= 0) {
    return fail(Code::kNotFound, fmt::format("no record with id [{}]: ids are positive integers", id_text));
  }
  BH_ASSIGN_OR_RETURN(auto record, s.store.get(id));
  if (!record) return fail(Code::kNotFound, fmt::format("no record with id {}", id));
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["id"] = id;
  try {
    const auto parsed = nlohmann::ordered_json::parse(record->document);
    if (parsed.is_object()) {
      for (const auto& [k, v] : parsed.items()) doc[k] = v;
    }
  } catch (const std::exception&) {
    return fail(Code::kCorrupt, fmt::format("record {} is stored but does not parse as JSON", id));
  }
  HttpResponse r;
  r.body = doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return r;
}

Result<HttpResponse> index_page(ApiServices& s) {
  auto total = s.store.count();
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = fmt::format(R"(<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>buildhub</title>
<style>body{{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}
code{{background:#f3f3f3;padding:0 .25rem}}</style></head>
<body>
<h1>buildhub</h1>
<p>An index of Mozilla build records (<code>buildhub.json</code>), {records}.</p>
<ul>
<li><a href="/api/records">/api/records</a>: how many records there are; <code>/api/records/&lt;id&gt;</code>: one record</li>
<li><a href="/api/search">/api/search</a>: Elasticsearch-compatible search (POST a body, or <a href="/api/search?q=source.product:firefox">?q=</a>)</li>
<li><a href="/__heartbeat__">/__heartbeat__</a>, <a href="/__version__">/__version__</a>: operations</li>
<li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
</ul>
<p>The search web page is not built yet; the API above answers the same questions.</p>
</body>
</html>
)",
                       fmt::arg("records", total ? fmt::format("{} records", *total) : std::string("store unavailable")));
  return r;
}

}  // namespace

std::unique_ptr<Router> make_api_router(ApiServices& s) {
  auto router = std::make_unique<Router>(s.metrics);
  router->add("GET", "/__heartbeat__", "heartbeat", [&s](const HttpRequest&, const RouteParams&) {
    return heartbeat(s);
  });
  router->add("GET", "/__lbheartbeat__", "lbheartbeat", [](const HttpRequest&, const RouteParams&) {
    return Result<HttpResponse>(json_response(nlohmann::json::object()));
  });
  router->add("GET", "/__version__", "version", [&s](const HttpRequest&, const RouteParams&) { return version(s); });
  router->add("GET", "/metrics", "metrics", [&s](const HttpRequest&, const RouteParams&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = s.metrics.render_prometheus();
    return Result<HttpResponse>(std::move(r));
  });
  router->add("GET", "/api/records", "records_count",
              [&s](const HttpRequest&, const RouteParams&) { return records_count(s); });
  for (const char* method : {"GET", "POST"}) {
    // Looked up once here: the registry's lookup takes a lock, too much for every search.
    Counter& requests = s.metrics.counter("buildhub_api_search_requests_total", "Searches by method", {{"method", method}});
    const std::pair<const char*, const char*> routes[] = {
        {"/api/search", "api_search"}, {"/v1/buckets/build-hub/collections/releases/search", "api_search_v1"}};
    for (const auto& [path, action] : routes) {
      router->add(method, path, action,
                  [&s, &requests](const HttpRequest& r, const RouteParams&) { return run_search(s, r, requests); });
    }
  }
  router->add("GET", "/api/records/{}", "record",
              [&s](const HttpRequest&, const RouteParams& p) { return record_by_id(s, p[0]); });
  router->add("GET", "/", "index", [&s](const HttpRequest&, const RouteParams&) { return index_page(s); });
  return router;
}

}  // namespace bh
