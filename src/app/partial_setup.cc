#include "app/partial_setup.h"

#include <fmt/format.h>

#include "core/directory_blob_cache.h"
#include "core/file_io.h"

namespace bh::app {
namespace {

// Beside the store's files; ./cache for a store that keeps none (memory:).
Result<std::filesystem::path> default_cache_dir(const StoreRequest& store) {
  BH_ASSIGN_OR_RETURN(auto directory, store_directory(store));
  return directory ? *directory / "cache" : std::filesystem::path("cache");
}

}  // namespace

Result<PartialStack> build_partial_stack(const StoreRequest& store, const PartialConfig& config, Executor& executor,
                                         MetricsRegistry& metrics, std::shared_ptr<Logger> logger,
                                         service::HubSearch search) {
  BH_RETURN_IF_ERROR(service::check_url_template(config.service.url_template).with_context("--partial-url-template"));
  PartialStack stack;
  BH_ASSIGN_OR_RETURN(stack.jobs, open_job_store(store));
  std::filesystem::path dir = config.cache_dir;
  if (dir.empty()) {
    BH_ASSIGN_OR_RETURN(dir, default_cache_dir(store));
  }
  service::PartialCaches caches;
  BH_ASSIGN_OR_RETURN(caches.complete, DirectoryBlobCache::open(dir / "complete", config.complete_cache_bytes));
  BH_ASSIGN_OR_RETURN(caches.partials, DirectoryBlobCache::open(dir / "partials", config.partial_cache_bytes));
  BH_ASSIGN_OR_RETURN(caches.patches, DirectoryBlobCache::open(dir / "patches", config.patch_cache_bytes));
  service::PartialServiceConfig service_config = config.service;
  for (const auto& path : config.verify_key_files) {
    BH_ASSIGN_OR_RETURN(std::string bytes, read_file(path, 1 << 20));
    auto key = mar::MarKey::load_public(as_bytes(bytes));
    if (!key) return fail(key.error().with_context(path.string()));
    service_config.verify_keys.push_back(std::move(*key));
  }
  net::HttpClientOptions http_options;
  http_options.service = "mar";
  http_options.total_timeout = std::chrono::minutes(10);
  http_options.max_attempts = 4;
  stack.http = std::make_unique<net::HttpClient>(http_options, &metrics, logger->child("fetch"));
  stack.service = std::make_unique<service::PartialService>(
      service::PartialServiceDeps{.jobs = *stack.jobs,
                                  .caches = std::move(caches),
                                  .http = *stack.http,
                                  .executor = executor,
                                  .metrics = metrics,
                                  .logger = logger,
                                  .search = std::move(search),
                                  .clock = system_clock()},
      std::move(service_config));
  logger->info("partial service ready", {{"jobs", stack.jobs->describe()},
                                        {"cache", dir.string()},
                                        {"allowed_hosts", config.service.fetch.allowed_hosts}});
  return stack;
}

}  // namespace bh::app
