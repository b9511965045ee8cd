// The HTTP API of `buildhub serve`: every route, wired to the services main() built.
//
//   GET /__heartbeat__      Dockerflow: store health ({"status": "ok", "checks": {...}})
//   GET /__lbheartbeat__    Dockerflow: the process answers (always 200)
//   GET /__version__        Dockerflow: {"source", "version", "commit", "build"}
//   GET /metrics            Prometheus text exposition
//   GET /api/records        {"builds": {"total": N}}
//   GET /                   the web page (a placeholder until the UI lands)
//
// Thread safety: the returned Router is safe for concurrent dispatch; the services it refers
// to must outlive it and be safe for concurrent use (they are).
#pragma once

#include <memory>

#include "core/log.h"
#include "core/metrics.h"
#include "core/version.h"
#include "server/router.h"
#include "store/record_store.h"

namespace bh {

struct ApiServices {
  RecordStore& store;
  MetricsRegistry& metrics;
  std::shared_ptr<const Logger> logger;
  VersionInfo version;
};

std::unique_ptr<Router> make_api_router(ApiServices& services);

}  // namespace bh
