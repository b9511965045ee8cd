// Operations endpoints (Dockerflow and Prometheus). All quick: they answer on the I/O threads,
// so they stay fast whatever else the server is doing.
//
//   GET /__heartbeat__      every health check ({"status": "ok", "checks": {...}}; 500 if one fails)
//   GET /__lbheartbeat__    the process answers (always 200)
//   GET /__version__        {"source", "version", "commit", "build"}
//   GET /metrics            Prometheus text exposition
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
#include "core/status.h"
#include "core/version.h"
#include "server/route_module.h"

namespace bh {

struct HealthCheck {
  std::string name;              // "store": the key in "checks"
  std::function<Status()> check; // quick: it runs on an I/O thread
};

struct OpsRoutesDeps {
  std::vector<HealthCheck> checks;
  MetricsRegistry& metrics;
  VersionInfo version;
  std::shared_ptr<const Logger> logger;
};

std::unique_ptr<RouteModule> make_ops_routes(OpsRoutesDeps deps);

}  // namespace bh
