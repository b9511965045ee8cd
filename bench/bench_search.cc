// In-process search latency: the issue-3 queries (bench/search_queries.json) on an index of N
// demo records built in this process, p50/p90 over R repetitions, plus build time and memory.
//
//   bench_search N R bench/search_queries.json   -> a Markdown table on stdout
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/executor.h"
#include "ingest/demo_data.h"
#include "search/executor.h"
#include "search/request_parser.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s RECORDS REPETITIONS QUERIES.json\n", argv[0]);
    return 2;
  }
  const std::size_t records = std::stoul(argv[1]);
  const int reps = std::stoi(argv[2]);
  std::ifstream in(argv[3]);
  std::stringstream text;
  text << in.rdbuf();
  const auto queries = nlohmann::ordered_json::parse(text.str());

  bh::search::SearchIndex index;
  bh::DemoDataGenerator gen(1);
  std::vector<std::string> docs;
  docs.reserve(records);
  for (std::size_t i = 0; i < records; ++i) docs.push_back(gen.next_document());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<bh::search::IndexInput> batch;
  for (std::size_t i = 0; i < records; ++i) {
    batch.push_back({static_cast<bh::RecordId>(i + 1), docs[i]});
    if (batch.size() == 10'000 || i + 1 == records) {
      index.append(batch);
      batch.clear();
    }
  }
  bh::Executor executor;  // the dictionaries are sorted on every core, as the server's start-up does
  index.finish(&executor);
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string build_id = nlohmann::json::parse(docs[0])["build"]["id"];

  std::printf("| query | p50 (ms) | p90 (ms) | hits.total |\n|---|---|---|---|\n");
  bh::search::SearchLimits limits;
  for (const auto& [name, q] : queries.items()) {
    if (name.starts_with("_")) continue;
    std::string body = q.dump();
    for (std::size_t at; (at = body.find("BUILD_ID")) != std::string::npos;) body.replace(at, 8, build_id);
    std::vector<double> ms;
    std::string out;
    for (int r = 0; r < reps + 5; ++r) {
      const auto s = std::chrono::steady_clock::now();
      auto request = bh::search::parse_search_body(body, limits, 1700000000000);  // parsing is part of the cost
      bh::search::SearchExecutor exec(index, limits);
      auto result = exec.run(*request);
      const double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
      if (!result) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), result.error().message().c_str());
        return 1;
      }
      out = std::move(*result);
      if (r >= 5) ms.push_back(took);
    }
    std::sort(ms.begin(), ms.end());
    const auto total = nlohmann::json::parse(out)["hits"]["total"].get<long long>();
    std::printf("| %s | %.3f | %.3f | %lld |\n", name.c_str(), ms[ms.size() / 2], ms[ms.size() * 9 / 10], total);
  }
  std::printf("\nindex build: %.2f s for %zu records (in memory, no store); index bytes beyond documents: %zu (%.0f B/record)\n",
              build_s, records, index.memory_bytes(), static_cast<double>(index.memory_bytes()) / static_cast<double>(records));
  return 0;
}
