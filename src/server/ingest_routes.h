// The ingest endpoints: records pushed by builds, and the rejections of every source.
//
//   POST /api/builds       a buildhub.json body, with `Authorization: Bearer <token>`:
//                          201 {"id", "build_hash"} when new (Location: /api/records/<id>),
//                          200 with the same when the content is already stored,
//                          400 {"error", "errors": [{"pointer", "rule"}]} listing every problem
//                              (the document is recorded as a rejection, source "push"),
//                          401 without a valid token (or when no token is configured),
//                          413 above the document size limit.
//                          The record is in every search that starts after the answer.
//   GET /api/rejections    newest first: {"total", "rejections": [...], "next"} with
//                          ?limit=1..1000 (default 50) and ?before=<id> for the next page.
//
// Tokens are compared in constant time (SHA-256 of both sides, CRYPTO_memcmp), against every
// configured token, so neither a token's length nor which token matched shows in the timing.
//
// Ownership: borrows the store, validator, executor and metrics. Thread safety: handlers are safe
// for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/executor.h"
#include "core/metrics.h"
#include "record/build_record.h"
#include "record/schema_validator.h"
#include "server/bearer_auth.h"
#include "server/route_module.h"
#include "store/record_store.h"

namespace bh {

struct IngestRoutesDeps {
  RecordStore& store;
  const SchemaValidator& validator;
  Executor& executor;
  MetricsRegistry& metrics;
  std::vector<std::string> push_tokens;  // empty: pushing is refused (401)
  RecordLimits limits;
  std::string metadata = "{}";           // stored with every pushed record
};

std::unique_ptr<RouteModule> make_ingest_routes(IngestRoutesDeps deps);

}  // namespace bh
