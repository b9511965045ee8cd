// Kinto's read API, for Buildhub v1's clients (v1::KintoRecords answers from our store):
//
//   GET /v1/                                                     server information
//   GET /v1/buckets/build-hub/collections/releases/records       the listing, with Kinto's
//       filters (see v1/kinto_query.h); headers ETag (the collection's timestamp, quoted),
//       Last-Modified, Total-Records and, when there is more, Next-Page (the same URL with
//       _token); If-None-Match with the current ETag answers 304.
//   GET /v1/buckets/build-hub/collections/releases/records/<id>  one record by its v1 id
//
// Answers are Kinto's: {"data": ...}; errors {"code", "errno", "error", "message", "details"}
// (400 errno 107 for a bad parameter, naming it; 404 errno 110). Pages hold `_limit` records,
// at most `max_page` (also the size without _limit, as Kinto's storage_max_fetch_size).
// Listings run on the executor, behind an admission gate of `max_pending` (429 beyond it).
// CORS: any origin may read, and the paging headers are exposed.
//
// Ownership: borrows the deps (they outlive the router). Thread safety: handlers are safe for
// concurrent use.
#pragma once

#include <memory>

#include "core/executor.h"
#include "core/metrics.h"
#include "core/version.h"
#include "server/route_module.h"
#include "v1/kinto_records.h"

namespace bh {

struct KintoRoutesDeps {
  v1::KintoRecords& records;
  Executor& executor;
  MetricsRegistry& metrics;
  std::size_t max_page = 10000;
  std::size_t max_pending = 64;
};

std::unique_ptr<RouteModule> make_kinto_routes(KintoRoutesDeps deps);

}  // namespace bh
