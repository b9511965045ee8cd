// The partial service's HTTP face (docs/partials.md):
//   POST /partial, /v1/partial, /latest/partial      Senbonzakura's API (form or JSON)
//   GET  /partial/<id> (and the /v1, /latest forms)  the MAR when done, 202 while coming
//   POST /api/partials                               by URL + SHA-512, or by build in the hub
//   GET  /api/partials[?state=&before=&limit=]       jobs, newest first
//   GET  /api/partials/<id>, /api/partials/<id>/mar  a job's state and result; its MAR
//   admin (Authorization: Bearer <admin token>): POST /api/partials/<id>/retry,
//   DELETE /api/partials/<id>, POST /api/admin/caches/drop, GET /api/admin/stats
//
// Ownership: borrows the service, executor and metrics. Thread safety: as RouteModule.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/executor.h"
#include "core/metrics.h"
#include "server/route_module.h"
#include "service/partial_service.h"

namespace bh {

struct PartialRoutesDeps {
  service::PartialService& partials;
  Executor& executor;
  MetricsRegistry& metrics;
  std::vector<std::string> admin_tokens;  // empty: every admin route answers 401
};

std::unique_ptr<RouteModule> make_partial_routes(PartialRoutesDeps deps);

}  // namespace bh
