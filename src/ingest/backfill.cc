#include "ingest/backfill.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/bounded_queue.h"
#include "core/calendar.h"
#include "core/digest.h"
#include "core/file_io.h"
#include "core/json_fields.h"
#include "core/thread.h"
#include "ingest/s3_event.h"
#include "ingest/s3_fetch.h"

namespace bh {
namespace {

struct ResumeState {
  std::string bucket;
  std::string prefix;
  std::string endpoint;
  std::string after;  // last key of the last committed page
  std::uint64_t pages = 0;
  std::uint64_t listed = 0;
  bool complete = false;
};

Result<std::optional<ResumeState>> load_state(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<ResumeState>();
  BH_ASSIGN_OR_RETURN(std::string text, read_file(path, 1 << 20));
  auto damaged = [&](const std::string& why) {
    return corrupt(fmt::format("the backfill state {} is damaged ({}): delete it, or run without --resume",
                               path.string(), why));
  };
  auto parsed = parse_json_object(text, 8, "the state");
  if (!parsed) return fail(damaged(parsed.error().message()));
  const nlohmann::json& doc = *parsed;
  ResumeState s;
  try {
    s.bucket = doc.at("bucket").get<std::string>();
    s.prefix = doc.at("prefix").get<std::string>();
    s.endpoint = doc.at("endpoint").get<std::string>();
    s.after = doc.at("after").get<std::string>();
    s.pages = doc.at("pages").get<std::uint64_t>();
    s.listed = doc.at("listed").get<std::uint64_t>();
    s.complete = doc.at("complete").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    return fail(damaged(e.what()));
  }
  return std::optional<ResumeState>(std::move(s));
}

Status save_state(const std::filesystem::path& path, const ResumeState& s, const Clock& clock) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const nlohmann::json doc = {{"bucket", s.bucket},     {"prefix", s.prefix}, {"endpoint", s.endpoint},
                              {"after", s.after},       {"pages", s.pages},   {"listed", s.listed},
                              {"complete", s.complete}, {"time", format_utc(clock.wall_now(), 3)}};
  return write_file_atomically(path, doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

// Reports the pipeline's rejections to the backfill's observer.
class PageObserver final : public IngestObserver {
 public:
  explicit PageObserver(BackfillObserver& outer) : outer_(outer) {}
  void on_rejected(const std::string& origin, const Status& reason) override { outer_.on_rejected(origin, reason); }

 private:
  BackfillObserver& outer_;
};

struct BackfillMetrics {
  explicit BackfillMetrics(MetricsRegistry& m)
      : listed(m.counter("buildhub_backfill_listed_total", "Keys listed by backfills (Buildhub2: backfill_listed)")),
        matched(m.counter("buildhub_backfill_matched_total",
                          "Listed keys ending with buildhub.json (Buildhub2: backfill_matched)")),
        inserted(m.counter("buildhub_backfill_inserted_total", "Records a backfill inserted (Buildhub2: backfill_inserted)")),
        not_inserted(m.counter("buildhub_backfill_not_inserted_total",
                               "Downloaded documents whose content was already stored (Buildhub2: backfill_not_inserted)")),
        rejected(m.counter("buildhub_backfill_rejected_total", "Documents a backfill rejected")),
        unchanged(m.counter("buildhub_backfill_unchanged_total", "Keys skipped: key and ETag already known")),
        missing(m.counter("buildhub_backfill_missing_total", "Keys gone between listing and download")),
        seconds(m.timer("buildhub_backfill_seconds", "Whole backfill runs (Buildhub2: backfill)", {},
                        {1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600})) {}
  Counter& listed;
  Counter& matched;
  Counter& inserted;
  Counter& not_inserted;
  Counter& rejected;
  Counter& unchanged;
  Counter& missing;
  Timer& seconds;
};

}  // namespace

std::filesystem::path default_backfill_state_file(const std::filesystem::path& data_dir,
                                                  const net::S3Location& location) {
  const std::string identity = location.endpoint + "\n" + location.bucket + "\n" + location.prefix;
  return data_dir / "backfill" / (location.bucket + "-" + sha256_hex(identity).substr(0, 16) + ".json");
}

Result<BackfillCounts> run_backfill(const BackfillDeps& deps, const BackfillOptions& options,
                                    BackfillObserver& observer, std::stop_token stop) {
  if (options.state_file.empty()) return fail(invalid_argument("a backfill needs a state file"));
  const auto started = deps.clock.monotonic_now();
  BackfillMetrics metrics(deps.metrics);
  const net::S3Location& where = deps.s3.location();
  BackfillCounts counts;
  ResumeState state{where.bucket, where.prefix, where.endpoint, "", 0, 0, false};
  if (options.resume) {
    BH_ASSIGN_OR_RETURN(auto saved, load_state(options.state_file));
    if (saved) {
      if (saved->bucket != where.bucket || saved->prefix != where.prefix) {
        return fail(conflict(fmt::format("the backfill state {} belongs to s3://{}/{}, not {}",
                                         options.state_file.string(), saved->bucket, saved->prefix, where.describe())));
      }
      if (!saved->complete) {
        state = *saved;
        counts.resumed = true;
        counts.resumed_after = saved->after;
      }
    }
  }

  // Listing runs ahead of the downloads by up to `list_ahead` pages, so the server always has a
  // listing request to work on while a page's last downloads finish and the page is stored.
  BoundedQueue<Result<net::S3ListPage>> pages(std::max(options.list_ahead, 1u));
  std::stop_source stop_listing;
  std::stop_callback forward_stop(stop, [&] { stop_listing.request_stop(); });
  std::jthread lister = start_thread("bh-s3-list", [&] {
    net::ListRequest request;
    request.prefix = where.prefix;
    request.max_keys = options.page_size;
    request.start_after = state.after;
    while (!stop_listing.stop_requested()) {
      auto page = deps.s3.list_page(request, stop_listing.get_token());
      const bool more = page && page->truncated && page->next_continuation_token != request.continuation_token;
      if (page && more) request.continuation_token = page->next_continuation_token;
      request.start_after.clear();  // the token carries the position from here on
      if (!pages.push(std::move(page)) || !more) break;
    }
    pages.close();
  });
  auto stop_lister = [&] {
    stop_listing.request_stop();
    pages.close();
  };

  Status failure;
  while (auto page = pages.pop()) {
    if (stop.stop_requested()) {
      failure = cancelled("backfill stopped");
      break;
    }
    if (!*page) {
      failure = page->error();
      break;
    }
    const net::S3ListPage& listing = **page;
    counts.listed += listing.objects.size();
    metrics.listed.inc(listing.objects.size());
    std::vector<std::string> keys;
    std::vector<const net::S3Object*> matched;
    for (const net::S3Object& o : listing.objects) {
      if (!is_buildhub_json_key(o.key)) continue;
      keys.push_back(o.key);
      matched.push_back(&o);
    }
    counts.matched += matched.size();
    metrics.matched.inc(matched.size());
    auto known = deps.store.known_s3_etags(keys);
    if (!known) {
      failure = known.error();
      break;
    }
    std::vector<FetchRequest> requests;
    for (std::size_t i = 0; i < matched.size(); ++i) {
      if ((*known)[i] && *(*known)[i] == matched[i]->etag) {
        ++counts.unchanged;
        metrics.unchanged.inc();
        continue;
      }
      requests.push_back({&deps.s3, matched[i]->key, matched[i]->etag});
    }
    counts.to_download += requests.size();
    if (options.dry_run) {
      ++counts.pages;
      counts.seconds = std::chrono::duration<double>(deps.clock.monotonic_now() - started).count();
      observer.on_page(counts);
      continue;
    }
    // The page in hand is finished even when a stop is requested meanwhile (a stop is checked
    // between pages): what it downloads is stored and the resume point moves past it.
    std::vector<FetchOutcome> fetched = fetch_objects(requests, options.jobs, options.limits.max_document_bytes, {});
    std::vector<IngestItem> items;
    for (std::size_t i = 0; i < fetched.size() && failure.is_ok(); ++i) {
      FetchOutcome& f = fetched[i];
      switch (f.kind) {
        case FetchOutcome::Kind::kItem:
          ++counts.downloaded;
          items.push_back(std::move(f.item));
          break;
        case FetchOutcome::Kind::kMissing:
          ++counts.missing;
          metrics.missing.inc();
          observer.on_missing(requests[i].key, f.error);
          break;
        case FetchOutcome::Kind::kFailed:
          failure = f.error;
          break;
      }
    }
    if (!failure.is_ok()) break;
    if (!items.empty()) {
      IngestOptions ingest;
      ingest.batch_size = items.size();  // the whole page in one transaction
      ingest.limits = options.limits;
      ingest.metadata = options.metadata;
      ingest.rejection_source = "backfill";
      IngestPipeline pipeline(deps.store, deps.validator, deps.executor, ingest);
      VectorSource source(std::move(items));
      PageObserver page_observer(observer);
      auto summary = pipeline.run(source, page_observer);
      if (!summary) {
        failure = summary.error();
        break;
      }
      counts.inserted += summary->inserted;
      counts.already_present += summary->already_present;
      counts.rejected += summary->rejected;
      metrics.inserted.inc(summary->inserted);
      metrics.not_inserted.inc(summary->already_present);
      metrics.rejected.inc(summary->rejected);
    }
    ++counts.pages;
    state.pages += 1;
    state.listed += listing.objects.size();
    if (!listing.objects.empty()) state.after = listing.objects.back().key;
    if (Status s = save_state(options.state_file, state, deps.clock); !s) {
      failure = s.with_context("writing the backfill state");
      break;
    }
    counts.seconds = std::chrono::duration<double>(deps.clock.monotonic_now() - started).count();
    observer.on_page(counts);
  }
  stop_lister();
  lister.join();
  counts.seconds = std::chrono::duration<double>(deps.clock.monotonic_now() - started).count();
  if (!failure.is_ok()) {
    return fail(failure.with_context(fmt::format("backfill of {} stopped after {} pages ({} keys listed)",
                                                 where.describe(), counts.pages, counts.listed)));
  }
  if (options.dry_run) return counts;
  state.complete = true;
  BH_RETURN_IF_ERROR(save_state(options.state_file, state, deps.clock).with_context("writing the backfill state"));
  metrics.seconds.observe_seconds(counts.seconds);
  return counts;
}

}  // namespace bh
