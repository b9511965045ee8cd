// The partial service: Senbonzakura's role inside buildhub. Requests become jobs in the JobStore
// (identical requests coalesce by identifier); workers (threads of `serve --workers N`, or of a
// `buildhub worker` process on the same data directory) claim jobs under a lease, fetch both
// complete MARs (L1 cache by SHA-512), check them, build the partial with update/partial_builder
// (the per-file patch cache is L2) and keep it (L1 cache by identifier).
//
// Leases: a lease keeper thread renews the lease of every job running in this process every
// lease/3 and records its progress; a job whose lease was taken over (this process stalled) is
// cancelled here and its result, if it still comes, is discarded (finish() refuses it). A process
// killed mid-job stops renewing; the job runs again elsewhere once the lease expires, with the
// same bytes (the build depends only on the two MARs and the options).
//
// Failures: network trouble (kUnavailable, kIoError) is retried after `retry_pause`, up to
// max_attempts; a refused URL, a hash mismatch, a MAR the builder refuses fail the job at once
// with the reason, until an admin retries it.
//
// Ownership: borrows everything in PartialServiceDeps (they outlive the service). The worker and
// lease-keeper threads are owned; stop() (or the destructor) joins them after the jobs in hand.
// Thread safety: every public member is safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/blob_cache.h"
#include "core/clock.h"
#include "core/executor.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sync.h"
#include "mar/mar_signing.h"
#include "net/http_client.h"
#include "service/hub_lookup.h"
#include "service/mar_fetcher.h"
#include "service/partial_request.h"
#include "store/job_store.h"
#include "update/patch_cache.h"

namespace bh::service {

struct PartialCaches {
  std::shared_ptr<BlobCache> complete;  // L1: complete MARs, "complete/<sha512>"
  std::shared_ptr<BlobCache> partials;  // L1: partial MARs, "partials/<SHA-256 of the identifier>"
  std::shared_ptr<BlobCache> patches;   // L2: per-file patches (update::BlobPatchCache)
};

struct PartialServiceConfig {
  FetchPolicy fetch;
  std::string url_template = std::string(kDefaultMarUrlTemplate);
  std::chrono::milliseconds lease{30'000};
  std::chrono::milliseconds poll{500};          // how often idle workers look for jobs of other processes
  std::chrono::milliseconds retry_pause{5'000};  // before a job that met network trouble runs again
  std::int64_t max_attempts = 3;
  std::vector<mar::MarKey> verify_keys;  // non-empty: both MARs must carry signatures these keys verify
  std::uint64_t max_memory = std::uint64_t{768} << 20;  // per build (update::PartialOptions)
  std::uint64_t memory_cache_bytes = std::uint64_t{256} << 20;  // partials kept in memory for downloads
  std::string worker_prefix;  // "host:pid"; empty: computed
};

struct PartialServiceDeps {
  JobStore& jobs;
  PartialCaches caches;
  net::HttpClient& http;
  Executor& executor;
  MetricsRegistry& metrics;
  std::shared_ptr<Logger> logger;
  HubSearch search;  // null: hub lookups answer that no hub is available
  const Clock& clock;
};

class PartialService {
 public:
  PartialService(PartialServiceDeps deps, PartialServiceConfig config);
  ~PartialService();
  PartialService(const PartialService&) = delete;
  PartialService& operator=(const PartialService&) = delete;

  // Queues the partial unless it exists or is coming (then the existing job). A done job whose
  // partial left the cache is queued again. kInvalidArgument for a host not allowed.
  Result<SubmitOutcome> submit(const PartialSpec& spec);
  // Both sides as MAR locations, finding builds in the hub (kNotFound/kConflict naming them).
  Result<PartialSpec> resolve(const PartialApiRequest& request) const;

  Result<std::optional<Job>> job(const std::string& id);
  Result<std::vector<Job>> list(const JobListQuery& query);
  // A done job's partial, checked against the SHA-512 its job recorded (once per process; then
  // kept in memory within memory_cache_bytes). kNotFound when it left the cache, kCorrupt when it
  // no longer matches (it is deleted and the job queued again).
  Result<std::shared_ptr<const std::string>> partial_bytes(const Job& job);

  // Starts `count` worker threads and the lease keeper (also with 0 workers: none run here).
  void start(unsigned count);
  void stop();

  // Admin.
  Result<bool> retry(const std::string& id);
  // Deletes a job that is not running and its cached partial; false when there is neither.
  Result<bool> remove(const std::string& id);
  // level: "all", "complete", "partials" or "patches"; with a hash, only what names it.
  Result<nlohmann::json> drop_caches(std::string_view level, std::string_view sha512);
  Result<nlohmann::json> stats();

  // The blob key of a partial: identifiers are longer than a file name may be.
  static std::string partial_key(const std::string& id);

  // Job JSON for the API (state, progress, timings, result, error).
  static nlohmann::json job_json(const Job& job);

  // Runs claimable jobs on the calling thread until none is left (tests, `worker --once`).
  Result<std::size_t> run_pending(const std::string& worker_name);

 private:
  struct Active {
    std::string worker;
    std::stop_source stop;
    nlohmann::json progress = nlohmann::json::object();
  };
  class JobRun;

  void worker_loop(std::stop_token stop, std::string name);
  void lease_keeper(std::stop_token stop);
  void run_job(const Job& job, const std::string& worker);
  void set_progress(const std::string& id, nlohmann::json progress) EXCLUDES(active_mutex_);
  void refresh_gauges();
  std::int64_t now_ms() const;
  void cache_count(std::string_view level, bool hit, std::uint64_t lookups = 1);

  PartialServiceDeps deps_;
  PartialServiceConfig config_;
  std::unique_ptr<update::BlobPatchCache> patch_cache_;
  MarFetcher fetcher_;

  Mutex wake_mutex_;
  CondVar wake_;
  std::uint64_t submissions_ GUARDED_BY(wake_mutex_) = 0;

  Mutex active_mutex_;
  std::map<std::string, Active> active_ GUARDED_BY(active_mutex_);

  Mutex memory_mutex_;
  std::map<std::string, std::shared_ptr<const std::string>> in_memory_ GUARDED_BY(memory_mutex_);
  std::vector<std::string> memory_order_ GUARDED_BY(memory_mutex_);  // oldest first
  std::uint64_t memory_bytes_ GUARDED_BY(memory_mutex_) = 0;

  std::vector<std::jthread> threads_;
};

}  // namespace bh::service
