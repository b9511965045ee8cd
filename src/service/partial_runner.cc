// One partial job, from claim to finish: the phases download, extract, diff, compress, write.
#include <fmt/format.h>

#include "core/digest.h"
#include "mar/mar_archive.h"
#include "service/partial_service.h"
#include "update/partial_builder.h"

namespace bh::service {
namespace {

constexpr std::uint64_t kMaxCompleteBytes = std::uint64_t{2} << 30;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool retryable(const Status& s) { return s.code() == Code::kUnavailable || s.code() == Code::kIoError; }

}  // namespace

// The job's state while it runs on this thread, and what the result will say.
class PartialService::JobRun {
 public:
  JobRun(PartialService& service, const Job& job, std::string worker, std::stop_token stop)
      : service_(service), job_(job), worker_(std::move(worker)), stop_(std::move(stop)) {}

  Result<nlohmann::json> run() {
    const auto start = std::chrono::steady_clock::now();
    BH_ASSIGN_OR_RETURN(PartialSpec spec, parse_partial_spec_json(job_.request));
    phase("download");
    auto phase_start = std::chrono::steady_clock::now();
    BH_ASSIGN_OR_RETURN(std::string from_bytes, complete_mar(spec.from, "from"));
    BH_ASSIGN_OR_RETURN(std::string to_bytes, complete_mar(spec.to, "to"));
    timings_["download"] = observe("download", phase_start);

    phase("extract");
    phase_start = std::chrono::steady_clock::now();
    BH_ASSIGN_OR_RETURN(mar::MarArchive from, open_checked(std::move(from_bytes), spec.from, "from"));
    BH_ASSIGN_OR_RETURN(mar::MarArchive to, open_checked(std::move(to_bytes), spec.to, "to"));
    timings_["extract"] = observe("extract", phase_start);
    if (stop_.stop_requested()) return fail(cancelled("the job's lease was lost"));

    phase("diff");
    phase_start = std::chrono::steady_clock::now();
    update::PartialOptions options;
    options.channel_id = spec.channel_id;
    options.product_version = spec.product_version;
    options.max_memory = service_.config_.max_memory;
    options.cache = service_.patch_cache_.get();
    options.progress = [this](const update::PartialProgress& p) {
      service_.set_progress(job_.id, {{"phase", "diff"},
                                      {"files_done", p.files_done},
                                      {"files_total", p.files_total},
                                      {"bytes_done", p.bytes_done},
                                      {"bytes_total", p.bytes_total}});
    };
    auto build = update::build_partial(from, to, options, service_.deps_.executor);
    if (!build) return fail(build.error());
    const double build_seconds = seconds_since(phase_start);
    double diff_cpu = 0, compress_cpu = 0;
    for (const update::FileReport& f : build->files) {
      diff_cpu += f.diff_seconds;
      compress_cpu += f.compress_seconds;
    }
    // The builder overlaps diffing and compressing across files: split its wall time by their
    // shares of the work.
    const double share = diff_cpu + compress_cpu > 0 ? diff_cpu / (diff_cpu + compress_cpu) : 1.0;
    timings_["diff"] = build_seconds * share;
    timings_["compress"] = build_seconds * (1 - share);
    observe_seconds("diff", timings_["diff"]);
    observe_seconds("compress", timings_["compress"]);
    service_.cache_count("patch", true, build->cache_hits);
    service_.cache_count("patch", false, build->cache_misses);
    if (stop_.stop_requested()) return fail(cancelled("the job's lease was lost"));

    phase("write");
    phase_start = std::chrono::steady_clock::now();
    const std::string sha512 = sha512_hex(build->mar);
    BH_RETURN_IF_ERROR(service_.deps_.caches.partials->put(partial_key(job_.id), build->mar));
    timings_["write"] = observe("write", phase_start);
    timings_["total"] = seconds_since(start);

    return nlohmann::json{
        {"size", build->mar.size()},
        {"sha512", sha512},
        {"channel_id", build->product_information.channel},
        {"product_version", build->product_information.version},
        {"compression", std::string(compress::compression_name(build->compression))},
        {"timings", timings_},
        {"cache", {{"complete", {{"hits", complete_hits_}, {"misses", complete_misses_}}},
                   {"patches", {{"hits", build->cache_hits}, {"misses", build->cache_misses}}},
                   {"diffs", build->diffs}}},
        {"from", from_info_},
        {"to", to_info_},
        {"worker", worker_},
        {"files", update::file_reports_json(build->files)},
        {"manifest", update::manifest_json(build->manifest)},
    };
  }

 private:
  void phase(const char* name) { service_.set_progress(job_.id, {{"phase", name}}); }
  double observe(const char* name, std::chrono::steady_clock::time_point start) {
    const double s = seconds_since(start);
    observe_seconds(name, s);
    return s;
  }
  void observe_seconds(const char* name, double s) {
    service_.deps_.metrics
        .timer("buildhub_partial_phase_seconds", "Time of each phase of partial jobs", {{"phase", name}})
        .observe_seconds(s);
  }

  // The complete MAR from the L1 cache (checked against its SHA-512), else fetched and cached.
  Result<std::string> complete_mar(const MarLocation& where, const char* side) {
    nlohmann::json& info = std::string_view(side) == "from" ? from_info_ : to_info_;
    info = {{"url", where.url}};
    BlobCache& cache = *service_.deps_.caches.complete;
    if (!where.sha512.empty()) {
      const std::string key = "complete/" + where.sha512;
      if (auto cached = cache.get(key, kMaxCompleteBytes)) {
        if (sha512_hex(*cached) == where.sha512) {
          service_.cache_count("complete", true);
          ++complete_hits_;
          info["sha512"] = where.sha512;
          info["size"] = cached->size();
          info["cache"] = "hit";
          return std::move(*cached);
        }
        (void)cache.remove(key);  // damaged: fetched again
      }
    }
    service_.cache_count("complete", false);
    ++complete_misses_;
    auto fetched = service_.fetcher_.fetch(where, stop_);
    if (!fetched) return fail(fetched.error().with_context(fmt::format("fetching {}", side)));
    if (Status s = cache.put("complete/" + fetched->sha512, fetched->bytes); !s) {
      service_.deps_.logger->warn("complete MAR not cached", {{"error", s.to_string()}});
    }
    info["sha512"] = fetched->sha512;
    info["size"] = fetched->bytes.size();
    info["cache"] = "miss";
    if (fetched->final_url != where.url) info["final_url"] = fetched->final_url;
    return std::move(fetched->bytes);
  }

  Result<mar::MarArchive> open_checked(std::string bytes, const MarLocation& where, const char* side) {
    auto archive = mar::MarArchive::from_bytes(std::move(bytes));
    if (!archive) {
      return fail(invalid_argument(fmt::format("{} ({}) is not a valid MAR: {}", side, where.url, archive.error().message())));
    }
    if (!archive->product_information()) {
      return fail(invalid_argument(fmt::format("{} ({}) has no product information block", side, where.url)));
    }
    if (!service_.config_.verify_keys.empty()) {
      if (Status s = mar::verify_signatures(*archive, service_.config_.verify_keys); !s) {
        return fail(invalid_argument(fmt::format("{} ({}): signature check failed: {}", side, where.url, s.message())));
      }
    }
    nlohmann::json& info = std::string_view(side) == "from" ? from_info_ : to_info_;
    info["channel_id"] = archive->product_information()->channel;
    info["product_version"] = archive->product_information()->version;
    return std::move(*archive);
  }

  PartialService& service_;
  const Job& job_;
  std::string worker_;
  std::stop_token stop_;
  nlohmann::json timings_ = nlohmann::json::object();
  nlohmann::json from_info_ = nlohmann::json::object();
  nlohmann::json to_info_ = nlohmann::json::object();
  std::uint64_t complete_hits_ = 0;
  std::uint64_t complete_misses_ = 0;
};

void PartialService::run_job(const Job& job, const std::string& worker) {
  std::stop_token stop;
  {
    MutexLock lock(active_mutex_);
    Active& a = active_[job.id];
    a.worker = worker;
    a.progress = {{"phase", "starting"}};
    stop = a.stop.get_token();
  }
  deps_.logger->info("partial job started", {{"id", job.id}, {"worker", worker}, {"attempt", job.attempts}});
  refresh_gauges();
  JobRun run(*this, job, worker, stop);
  auto result = run.run();
  {
    MutexLock lock(active_mutex_);
    active_.erase(job.id);
  }
  if (stop.stop_requested()) {
    deps_.logger->warn("partial job abandoned: its lease was lost", {{"id", job.id}, {"worker", worker}});
    return;
  }
  const char* outcome = result ? "done" : (retryable(result.error()) ? "retry" : "failed");
  deps_.metrics.counter("buildhub_partial_jobs_finished_total", "Partial jobs ended here, by outcome", {{"outcome", outcome}})
      .inc();
  if (result) {
    // File names come from the MARs and need not be UTF-8: replaced, never thrown on.
    auto ok = deps_.jobs.finish(job.id, worker, result->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), now_ms());
    if (!ok || !*ok) {
      deps_.logger->warn("partial job finished after losing its lease; result discarded", {{"id", job.id}});
    } else {
      deps_.logger->info("partial job done", {{"id", job.id},
                                             {"bytes", (*result)["size"]},
                                             {"seconds", (*result)["timings"]["total"]}});
    }
  } else {
    const Status& s = result.error();
    const bool again = retryable(s);
    auto ok = deps_.jobs.fail(job.id, worker,
                              {.error = s.message(), .retryable = again,
                               .retry_after_ms = config_.retry_pause.count(), .now_ms = now_ms()});
    deps_.logger->warn("partial job failed", {{"id", job.id},
                                              {"error", s.to_string()},
                                              {"will_retry", again && job.attempts < job.max_attempts},
                                              {"recorded", ok && *ok}});
  }
  refresh_gauges();
}

}  // namespace bh::service
