// Builds the partial service from configuration, for `serve` (with the hub's search) and
// `buildhub worker` (without): the job store beside the record store, the three caches under one
// cache directory (complete/, partials/, patches/), an HTTP client for complete MARs.
//
// Ownership: PartialStack owns what it builds; the executor, metrics and logger are borrowed.
// Failure: the first thing that cannot be opened or a bad option (a URL template placeholder,
// an unreadable key).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/executor.h"
#include "core/log.h"
#include "core/metrics.h"
#include "net/http_client.h"
#include "service/partial_service.h"
#include "store/job_store.h"
#include "store/store_factory.h"

namespace bh::app {

struct PartialConfig {
  std::filesystem::path cache_dir;  // empty: <data dir>/cache, or ./cache for other stores
  std::uint64_t complete_cache_bytes = std::uint64_t{8} << 30;
  std::uint64_t partial_cache_bytes = std::uint64_t{8} << 30;
  std::uint64_t patch_cache_bytes = std::uint64_t{8} << 30;
  int workers = -1;  // -1: serve runs one per two cores (at least one), a worker one; 0: serve runs none
  std::vector<std::string> admin_tokens;
  std::vector<std::filesystem::path> verify_key_files;
  service::PartialServiceConfig service;
};

struct PartialStack {
  std::unique_ptr<JobStore> jobs;
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<service::PartialService> service;
};

Result<PartialStack> build_partial_stack(const StoreRequest& store, const PartialConfig& config, Executor& executor,
                                         MetricsRegistry& metrics, std::shared_ptr<Logger> logger,
                                         service::HubSearch search);

}  // namespace bh::app
