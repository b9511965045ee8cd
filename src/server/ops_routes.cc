#include "server/ops_routes.h"

#include <nlohmann/json.hpp>

#include "server/json_response.h"

namespace bh {
namespace {

class OpsRoutes final : public RouteModule {
 public:
  explicit OpsRoutes(OpsRoutesDeps deps) : deps_(std::move(deps)) {}

  void register_routes(Router& router) override {
    router.add("GET", "/__heartbeat__", "heartbeat", [this](const HttpRequest&, const RouteParams&) { return heartbeat(); });
    router.add("GET", "/__lbheartbeat__", "lbheartbeat", [](const HttpRequest&, const RouteParams&) {
      return Result<HttpResponse>(json_response(nlohmann::json::object()));
    });
    router.add("GET", "/__version__", "version", [this](const HttpRequest&, const RouteParams&) {
      return Result<HttpResponse>(json_response({{"source", std::string(deps_.version.source)},
                                                 {"version", std::string(deps_.version.version)},
                                                 {"commit", std::string(deps_.version.commit)},
                                                 {"build", "local"}}));
    });
    router.add("GET", "/metrics", "metrics", [this](const HttpRequest&, const RouteParams&) {
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = deps_.metrics.render_prometheus();
      return Result<HttpResponse>(std::move(r));
    });
  }

 private:
  Result<HttpResponse> heartbeat() {
    nlohmann::json checks = nlohmann::json::object();
    nlohmann::json details = nlohmann::json::object();
    bool healthy = true;
    for (const HealthCheck& c : deps_.checks) {
      const Status status = c.check();
      checks[c.name] = status.is_ok() ? "ok" : "error";
      if (status.is_ok()) continue;
      healthy = false;
      deps_.logger->error("heartbeat failed", {{"check", c.name}, {"error", status.to_string()}});
      details[c.name] = {{"level", 40}, {"messages", {{"buildhub.health.E001", status.message()}}}};
    }
    const nlohmann::json body = {{"status", healthy ? "ok" : "error"}, {"checks", checks}, {"details", details}};
    // Dockerflow answers a failed heartbeat with 500 so load balancers take the node out.
    return json_response(body, healthy ? 200 : 500);
  }

  OpsRoutesDeps deps_;
};

}  // namespace

std::unique_ptr<RouteModule> make_ops_routes(OpsRoutesDeps deps) { return std::make_unique<OpsRoutes>(std::move(deps)); }

}  // namespace bh
