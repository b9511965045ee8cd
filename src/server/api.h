// The HTTP API of `buildhub serve`: every route, wired to the services main() built.
//
//   GET /__heartbeat__      Dockerflow: store health ({"status": "ok", "checks": {...}})
//   GET /__lbheartbeat__    Dockerflow: the process answers (always 200)
//   GET /__version__        Dockerflow: {"source", "version", "commit", "build"}
//   GET /metrics            Prometheus text exposition
//   GET /api/records        {"builds": {"total": N}}
//   GET /api/records/<id>   one record: the document plus its "id" (404 when there is none)
//   GET|POST /api/search    Elasticsearch-compatible search (body: ES JSON; GET ?q=: query_string)
//   GET|POST /v1/buckets/build-hub/collections/releases/search   the same (Buildhub v1's URL)
//   GET /                   a placeholder page linking the API (until the search UI lands)
//
// Thread safety: the returned Router is safe for concurrent dispatch; the services it refers
// to must outlive it and be safe for concurrent use (they are).
#pragma once

#include <memory>

#include "core/log.h"
#include "core/metrics.h"
#include "core/version.h"
#include "search/search_service.h"
#include "server/router.h"
#include "store/record_store.h"

namespace bh {

struct ApiServices {
  RecordStore& store;
  search::SearchService& search;
  MetricsRegistry& metrics;
  std::shared_ptr<const Logger> logger;
  VersionInfo version;
};

std::unique_ptr<Router> make_api_router(ApiServices& services);

}  // namespace bh
