// The records endpoints. Quick store lookups: they answer on the I/O threads.
//
//   GET /api/records        {"builds": {"total": N}}
//   GET /api/records/<id>   one record: the document plus its "id" (404 when there is none)
#pragma once

#include <memory>

#include "core/metrics.h"
#include "server/route_module.h"
#include "store/record_store.h"

namespace bh {

struct RecordsRoutesDeps {
  RecordStore& store;
  MetricsRegistry& metrics;
};

std::unique_ptr<RouteModule> make_records_routes(RecordsRoutesDeps deps);

}  // namespace bh
