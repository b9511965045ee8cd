#include "app/demo_seed.h"

#include "ingest/demo_data.h"
#include "record/schema_validator.h"

namespace bh::app {

Result<std::optional<IngestSummary>> seed_demo_records_if_empty(RecordStore& store, Executor& executor,
                                                                const DemoSeed& seed) {
  if (seed.records == 0) return std::optional<IngestSummary>();
  BH_ASSIGN_OR_RETURN(const std::int64_t count, store.count());
  if (count > 0) return std::optional<IngestSummary>();
  BH_ASSIGN_OR_RETURN(auto validator, SchemaValidator::create_builtin());
  IngestOptions options;
  options.metadata = R"({"source":"demo-data"})";
  IngestPipeline pipeline(store, *validator, executor, options);
  DemoDataSource source(seed.seed, seed.records);
  IngestObserver quiet;
  BH_ASSIGN_OR_RETURN(IngestSummary summary, pipeline.run(source, quiet));
  return std::optional<IngestSummary>(summary);
}

}  // namespace bh::app
