// The search endpoints: Elasticsearch-compatible search over the index.
//
//   GET|POST /api/search    a body is an Elasticsearch search; without one, ?q= is a URI search
//   GET|POST /v1/buckets/build-hub/collections/releases/search   the same (Buildhub v1's URL)
//
// Searches never run on the I/O threads: each is handed to the executor, behind an admission
// gate of `max_pending` searches (running or queued). Beyond it the answer is 429 with
// Retry-After, at once. A search's time budget counts from its arrival, so time spent queued is
// part of it (see SearchService for the budget and "timed_out").
//
// Metrics: buildhub_api_search_requests_total{method}, buildhub_search_rejected_total,
// buildhub_search_timed_out_total, buildhub_search_in_progress.
#pragma once

#include <memory>

#include "core/clock.h"
#include "core/executor.h"
#include "core/metrics.h"
#include "search/search_service.h"
#include "server/route_module.h"

namespace bh {

struct SearchRoutesDeps {
  search::SearchService& search;
  Executor& executor;
  MetricsRegistry& metrics;
  const Clock& clock;
  std::size_t max_pending = 64;
};

std::unique_ptr<RouteModule> make_search_routes(SearchRoutesDeps deps);

}  // namespace bh
