// Micro benchmarks of the per-document ingest work (parse + validate + hash), one thread.
#include <benchmark/benchmark.h>

#include "ingest/demo_data.h"
#include "record/build_record.h"

namespace {

void BM_PrepareRecord(benchmark::State& state) {
  auto validator = bh::SchemaValidator::create_builtin();
  bh::RecordParser parser(**validator, bh::RecordLimits{});
  bh::DemoDataGenerator gen(1);
  std::vector<std::string> docs;
  for (int i = 0; i < 1000; ++i) docs.push_back(gen.next_document());
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = parser.prepare(docs[i++ % docs.size()]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PrepareRecord);

void BM_DemoDocument(benchmark::State& state) {
  bh::DemoDataGenerator gen(1);
  for (auto _ : state) benchmark::DoNotOptimize(gen.next_document());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DemoDocument);

}  // namespace

BENCHMARK_MAIN();
