// Demo data for a newcomer's first `make serve`: generated records ingested into an empty store.
//
// Ownership: borrows everything. Thread safety: one call at a time per store.
// Failure: the ingest's store failure, if any.
#pragma once

#include <cstdint>
#include <optional>

#include "core/executor.h"
#include "core/status.h"
#include "ingest/pipeline.h"
#include "store/record_store.h"

namespace bh::app {

struct DemoSeed {
  std::uint64_t records = 0;  // 0: none
  std::uint64_t seed = 1;
};

// Adds `seed.records` demo records when the store is empty; nullopt when it did nothing.
Result<std::optional<IngestSummary>> seed_demo_records_if_empty(RecordStore& store, Executor& executor,
                                                                const DemoSeed& seed);

}  // namespace bh::app
