#include "service/partial_service.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/calendar.h"
#include "core/digest.h"
#include "core/thread.h"
#include "mar/mar_archive.h"
#include "update/partial_builder.h"

namespace bh::service {
namespace {

constexpr std::uint64_t kMaxPartialBytes = std::uint64_t{1} << 31;

std::string default_worker_prefix() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  return fmt::format("{}:{}", host, ::getpid());
}

nlohmann::json parse_or_empty(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

std::string ms_to_rfc3339(std::int64_t ms) {
  return ms <= 0 ? std::string() : format_utc(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)), 3);
}

}  // namespace

PartialService::PartialService(PartialServiceDeps deps, PartialServiceConfig config)
    : deps_(std::move(deps)),
      config_(std::move(config)),
      patch_cache_(std::make_unique<update::BlobPatchCache>(deps_.caches.patches)),
      fetcher_(config_.fetch, deps_.http) {
  if (config_.worker_prefix.empty()) config_.worker_prefix = default_worker_prefix();
  refresh_gauges();
}

PartialService::~PartialService() { stop(); }

std::int64_t PartialService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deps_.clock.wall_now().time_since_epoch()).count();
}

void PartialService::cache_count(std::string_view level, bool hit, std::uint64_t lookups) {
  if (lookups == 0) return;
  deps_.metrics
      .counter("buildhub_partial_cache_requests_total", "Cache lookups of the partial service by level and result",
               {{"level", std::string(level)}, {"result", hit ? "hit" : "miss"}})
      .inc(lookups);
}

void PartialService::refresh_gauges() {
  auto counts = deps_.jobs.count_by_state();
  if (!counts) return;
  for (const auto& [state, n] : *counts) {
    deps_.metrics
        .gauge("buildhub_partial_jobs", "Partial jobs by state", {{"state", std::string(job_state_name(state))}})
        .set(static_cast<double>(n));
  }
  deps_.metrics.gauge("buildhub_partial_queue_depth", "Partial jobs waiting for a worker")
      .set(static_cast<double>((*counts)[JobState::kQueued]));
}

std::string PartialService::partial_key(const std::string& id) { return "partials/" + sha256_hex(id); }

Result<SubmitOutcome> PartialService::submit(const PartialSpec& spec) {
  BH_RETURN_IF_ERROR(check_fetch_host(config_.fetch, spec.from.url).with_context("from"));
  BH_RETURN_IF_ERROR(check_fetch_host(config_.fetch, spec.to.url).with_context("to"));
  const std::string id = spec.identifier();
  JobSubmission submission{.id = id, .request = spec.to_json(), .max_attempts = config_.max_attempts, .now_ms = now_ms()};
  BH_ASSIGN_OR_RETURN(SubmitOutcome outcome, deps_.jobs.submit(submission));
  if (!outcome.created && outcome.job.state == JobState::kDone && !deps_.caches.partials->contains(partial_key(id))) {
    // Evicted or deleted: build it again.
    BH_ASSIGN_OR_RETURN(bool removed, deps_.jobs.remove(id));
    (void)removed;
    BH_ASSIGN_OR_RETURN(outcome, deps_.jobs.submit(submission));
  }
  if (outcome.created) {
    deps_.logger->info("partial queued", {{"id", id}, {"from", spec.from.url}, {"to", spec.to.url}});
    {
      MutexLock lock(wake_mutex_);
      ++submissions_;
    }
    wake_.notify_one();
  }
  return outcome;
}

Result<PartialSpec> PartialService::resolve(const PartialApiRequest& request) const {
  PartialSpec spec;
  spec.channel_id = request.channel_id;
  spec.product_version = request.product_version;
  for (auto [side, into, name] : {std::tuple{&request.from, &spec.from, "from"}, std::tuple{&request.to, &spec.to, "to"}}) {
    if (side->mar) {
      *into = *side->mar;
      continue;
    }
    if (!deps_.search) return fail(unavailable("builds cannot be looked up: this process has no hub index"));
    auto found = find_complete_mar(*side->build, deps_.search, config_.url_template);
    if (!found) return fail(found.error().with_context(name));
    *into = std::move(*found);
  }
  return spec;
}

Result<std::optional<Job>> PartialService::job(const std::string& id) { return deps_.jobs.get(id); }

Result<std::vector<Job>> PartialService::list(const JobListQuery& query) { return deps_.jobs.list(query); }

Result<std::shared_ptr<const std::string>> PartialService::partial_bytes(const Job& job) {
  {
    MutexLock lock(memory_mutex_);
    if (auto it = in_memory_.find(job.id); it != in_memory_.end()) {
      cache_count("partial", true);
      return it->second;
    }
  }
  const std::string key = partial_key(job.id);
  auto bytes = deps_.caches.partials->get(key, kMaxPartialBytes);
  cache_count("partial", bytes.has_value());
  if (!bytes) return fail(not_found(fmt::format("the partial {} is no longer cached; POST the request again", job.id)));
  const std::string expected = parse_or_empty(job.result).value("sha512", "");
  if (sha512_hex(*bytes) != expected) {
    (void)deps_.caches.partials->remove(key);
    deps_.logger->error("cached partial damaged: deleted", {{"id", job.id}});
    return fail(corrupt(fmt::format("the cached partial {} was damaged and is deleted; POST the request again", job.id)));
  }
  auto shared = std::make_shared<const std::string>(std::move(*bytes));
  MutexLock lock(memory_mutex_);
  if (shared->size() <= config_.memory_cache_bytes && !in_memory_.contains(job.id)) {
    while (memory_bytes_ + shared->size() > config_.memory_cache_bytes && !memory_order_.empty()) {
      auto it = in_memory_.find(memory_order_.front());
      memory_bytes_ -= it->second->size();
      in_memory_.erase(it);
      memory_order_.erase(memory_order_.begin());
    }
    in_memory_.emplace(job.id, shared);
    memory_order_.push_back(job.id);
    memory_bytes_ += shared->size();
  }
  return shared;
}

void PartialService::start(unsigned count) {
  threads_.push_back(start_thread("bh-lease", [this](std::stop_token stop) { lease_keeper(stop); }));
  for (unsigned i = 0; i < count; ++i) {
    std::string name = fmt::format("{}:{}", config_.worker_prefix, i);
    threads_.push_back(start_thread(fmt::format("bh-partial-{}", i),
                                    [this, name](std::stop_token stop) { worker_loop(stop, name); }));
  }
  deps_.logger->info("partial workers started", {{"workers", count}, {"prefix", config_.worker_prefix}});
}

void PartialService::stop() {
  for (auto& t : threads_) t.request_stop();
  wake_.notify_all();
  {
    MutexLock lock(active_mutex_);
    for (auto& [id, a] : active_) a.stop.request_stop();
  }
  threads_.clear();  // joins
}

void PartialService::worker_loop(std::stop_token stop, std::string name) {
  while (!stop.stop_requested()) {
    std::uint64_t seen = 0;
    {
      MutexLock lock(wake_mutex_);
      seen = submissions_;
    }
    auto claimed = deps_.jobs.claim({.worker = name, .lease_ms = config_.lease.count(), .now_ms = now_ms()});
    if (claimed && *claimed) {
      run_job(**claimed, name);
      continue;
    }
    if (!claimed) deps_.logger->error("claiming a partial job failed", {{"error", claimed.error().to_string()}});
    MutexLock lock(wake_mutex_);
    const auto until = std::chrono::steady_clock::now() + config_.poll;
    while (!stop.stop_requested() && submissions_ == seen) {
      if (!wake_.wait_until(lock, until)) break;
    }
  }
}

void PartialService::lease_keeper(std::stop_token stop) {
  const auto tick = std::max(std::chrono::milliseconds(50), config_.lease / 3);
  Mutex idle;
  CondVar never;
  while (!stop.stop_requested()) {
    {
      MutexLock lock(idle);
      std::stop_callback wake(stop, [&] { never.notify_all(); });
      never.wait_for(lock, tick);
    }
    if (stop.stop_requested()) break;
    std::vector<std::pair<std::string, std::string>> renew;  // id, progress
    std::map<std::string, std::string> owners;
    {
      MutexLock lock(active_mutex_);
      for (const auto& [id, a] : active_) {
        renew.emplace_back(id, a.progress.dump());
        owners[id] = a.worker;
      }
    }
    for (const auto& [id, progress] : renew) {
      auto held = deps_.jobs.heartbeat(id, {.worker = owners[id], .lease_ms = config_.lease.count(), .now_ms = now_ms()},
                                       progress);
      if (held && !*held) {
        deps_.logger->warn("lease of a partial job lost: cancelling it here", {{"id", id}});
        MutexLock lock(active_mutex_);
        if (auto it = active_.find(id); it != active_.end()) it->second.stop.request_stop();
      }
    }
    refresh_gauges();
  }
}

void PartialService::set_progress(const std::string& id, nlohmann::json progress) {
  MutexLock lock(active_mutex_);
  if (auto it = active_.find(id); it != active_.end()) it->second.progress = std::move(progress);
}

Result<std::size_t> PartialService::run_pending(const std::string& worker_name) {
  std::size_t ran = 0;
  while (true) {
    BH_ASSIGN_OR_RETURN(auto claimed,
                        deps_.jobs.claim({.worker = worker_name, .lease_ms = config_.lease.count(), .now_ms = now_ms()}));
    if (!claimed) return ran;
    run_job(*claimed, worker_name);
    ++ran;
  }
}

Result<bool> PartialService::retry(const std::string& id) {
  BH_ASSIGN_OR_RETURN(bool retried, deps_.jobs.retry(id, now_ms()));
  if (retried) {
    {
      MutexLock lock(wake_mutex_);
      ++submissions_;
    }
    wake_.notify_one();
    refresh_gauges();
  }
  return retried;
}

Result<bool> PartialService::remove(const std::string& id) {
  BH_ASSIGN_OR_RETURN(auto existing, deps_.jobs.get(id));
  if (existing && existing->state == JobState::kRunning) {
    return fail(conflict(fmt::format("the partial {} is being built; delete it when it is done", id)));
  }
  BH_ASSIGN_OR_RETURN(bool removed_job, deps_.jobs.remove(id));
  BH_ASSIGN_OR_RETURN(bool removed_blob, deps_.caches.partials->remove(partial_key(id)));
  {
    MutexLock lock(memory_mutex_);
    if (auto it = in_memory_.find(id); it != in_memory_.end()) {
      memory_bytes_ -= it->second->size();
      in_memory_.erase(it);
      memory_order_.erase(std::find(memory_order_.begin(), memory_order_.end(), id));
    }
  }
  refresh_gauges();
  return removed_job || removed_blob;
}

Result<nlohmann::json> PartialService::drop_caches(std::string_view level, std::string_view sha512) {
  if (level != "all" && level != "complete" && level != "partials" && level != "patches") {
    return fail(invalid_argument("level must be all, complete, partials or patches"));
  }
  if (!sha512.empty() && !is_sha512_hex(sha512)) return fail(invalid_argument("hash must be a SHA-512 (128 hex digits)"));
  nlohmann::json out = nlohmann::json::object();
  auto drop = [&](const char* name, BlobCache& cache, const char* ns) -> Status {
    if (level != "all" && level != name) return {};
    std::uint64_t removed = 0;
    if (sha512.empty()) {
      BH_ASSIGN_OR_RETURN(removed, cache.clear());
    } else {
      // Complete MARs are named by their hash; partials by their job's identifier, which holds it.
      std::vector<std::string> keys;
      if (std::string_view(ns) == "complete") {
        keys.push_back("complete/" + std::string(sha512));
      } else {
        BH_ASSIGN_OR_RETURN(auto jobs, deps_.jobs.list({.state = std::nullopt, .before_sequence = 0, .limit = 1'000'000}));
        for (const Job& j : jobs) {
          if (j.id.find(sha512) != std::string::npos) keys.push_back(partial_key(j.id));
        }
      }
      for (const std::string& k : keys) {
        BH_ASSIGN_OR_RETURN(bool gone, cache.remove(k));
        removed += gone ? 1 : 0;
      }
    }
    out[name] = removed;
    return {};
  };
  BH_RETURN_IF_ERROR(drop("complete", *deps_.caches.complete, "complete"));
  BH_RETURN_IF_ERROR(drop("partials", *deps_.caches.partials, "partials"));
  if (sha512.empty()) {
    BH_RETURN_IF_ERROR(drop("patches", *deps_.caches.patches, "patches"));
  } else if (level == "patches") {
    return fail(invalid_argument("the patch cache is keyed by file contents: drop it whole (no hash)"));
  }
  if (level == "all" || level == "partials") {
    MutexLock lock(memory_mutex_);
    in_memory_.clear();
    memory_order_.clear();
    memory_bytes_ = 0;
  }
  deps_.logger->info("partial caches dropped", {{"level", std::string(level)}, {"hash", std::string(sha512)}, {"removed", out}});
  return out;
}

Result<nlohmann::json> PartialService::stats() {
  BH_ASSIGN_OR_RETURN(auto counts, deps_.jobs.count_by_state());
  nlohmann::json jobs = nlohmann::json::object();
  for (const auto& [state, n] : counts) jobs[std::string(job_state_name(state))] = n;
  nlohmann::json caches = nlohmann::json::object();
  for (auto [name, cache] : {std::pair{"complete", deps_.caches.complete.get()}, std::pair{"partials", deps_.caches.partials.get()},
                             std::pair{"patches", deps_.caches.patches.get()}}) {
    const BlobCacheStats s = cache->stats();
    nlohmann::json c = {{"location", cache->describe()}, {"hits", s.hits},         {"misses", s.misses},
                        {"writes", s.writes},            {"evictions", s.evictions}, {"bytes_read", s.bytes_read},
                        {"bytes_written", s.bytes_written}};
    if (auto usage = cache->usage()) {
      c["blobs"] = usage->blobs;
      c["bytes"] = usage->bytes;
      c["max_bytes"] = usage->max_bytes;
    }
    caches[name] = std::move(c);
  }
  const update::PatchCacheStats p = patch_cache_->stats();
  caches["patches"]["patch_hits"] = p.hits;
  caches["patches"]["patch_misses"] = p.misses;
  caches["patches"]["corrupt"] = p.corrupt;
  std::size_t running_here = 0;
  {
    MutexLock lock(active_mutex_);
    running_here = active_.size();
  }
  return nlohmann::json{{"jobs", jobs},
                        {"running_here", running_here},
                        {"worker_prefix", config_.worker_prefix},
                        {"store", deps_.jobs.describe()},
                        {"caches", caches}};
}

nlohmann::json PartialService::job_json(const Job& job) {
  nlohmann::json out = {{"id", job.id},
                        {"state", std::string(job_state_name(job.state))},
                        {"attempts", job.attempts},
                        {"max_attempts", job.max_attempts},
                        {"request", parse_or_empty(job.request)},
                        {"created_at", ms_to_rfc3339(job.created_ms)}};
  if (job.started_ms > 0) out["started_at"] = ms_to_rfc3339(job.started_ms);
  if (job.finished_ms > 0) out["finished_at"] = ms_to_rfc3339(job.finished_ms);
  if (!job.last_error.empty()) out["error"] = job.last_error;
  if (job.state == JobState::kRunning || job.state == JobState::kQueued) {
    out["progress"] = parse_or_empty(job.progress);
    if (job.state == JobState::kRunning) {
      out["worker"] = job.lease_owner;
      out["lease_expires_at"] = ms_to_rfc3339(job.lease_expires_ms);
    }
  }
  if (job.state == JobState::kDone) {
    nlohmann::json result = parse_or_empty(job.result);
    for (auto& [k, v] : result.items()) out[k] = v;
  }
  return out;
}

}  // namespace bh::service
