#include "ingest/sqs_daemon.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_nesting.h"
#include "ingest/s3_fetch.h"

namespace bh {

struct SqsDaemon::Metrics {
  explicit Metrics(MetricsRegistry& m)
      : messages(m.counter("buildhub_sqs_messages_total", "SQS messages received (Buildhub2: sqs_messages)")),
        key_matched(m.counter("buildhub_sqs_key_matched_total",
                              "Event records whose key ends with buildhub.json (Buildhub2: sqs_key_matched)")),
        not_key_matched(m.counter("buildhub_sqs_not_key_matched_total",
                                  "Event records for other keys (Buildhub2: sqs_not_key_matched)")),
        inserted(m.counter("buildhub_sqs_inserted_total", "Records the daemon inserted (Buildhub2: sqs_inserted)")),
        not_inserted(m.counter("buildhub_sqs_not_inserted_total",
                               "Documents whose content was already stored (Buildhub2: sqs_not_inserted)")),
        rejected(m.counter("buildhub_sqs_rejected_total", "Invalid documents and poison messages, recorded as rejections")),
        missing(m.counter("buildhub_sqs_missing_total", "Announced keys that were gone (404), skipped")),
        deleted(m.counter("buildhub_sqs_deleted_total", "Messages deleted once every record in them was handled")),
        kept(m.counter("buildhub_sqs_kept_total", "Messages left on the queue because a record failed (retried later)")),
        receive_errors(m.counter("buildhub_sqs_receive_errors_total", "Failed ReceiveMessage calls")),
        process_key(m.timer("buildhub_sqs_process_buildhub_json_key_seconds",
                            "Download of one announced buildhub.json (Buildhub2: sqs_process_buildhub_json_key)")),
        v1_builds(m.counter("buildhub_sqs_v1_events_total", "Archive events handled with v1's rules", {{"kind", "build"}})),
        v1_rc_metadata(m.counter("buildhub_sqs_v1_events_total", "Archive events handled with v1's rules", {{"kind", "rc_metadata"}})),
        v1_nightly_metadata(m.counter("buildhub_sqs_v1_events_total", "Archive events handled with v1's rules", {{"kind", "nightly_metadata"}})),
        v1_ignored(m.counter("buildhub_sqs_v1_events_total", "Archive events handled with v1's rules", {{"kind", "ignored"}})),
        v1_remembered(m.counter("buildhub_sqs_v1_remembered_total", "Build files announced before their metadata, remembered")),
        v1_records(m.counter("buildhub_sqs_v1_records_total", "Records made from archive events (s3_event_record_created)")) {}
  Counter& messages;
  Counter& key_matched;
  Counter& not_key_matched;
  Counter& inserted;
  Counter& not_inserted;
  Counter& rejected;
  Counter& missing;
  Counter& deleted;
  Counter& kept;
  Counter& receive_errors;
  Timer& process_key;
  Counter& v1_builds;
  Counter& v1_rc_metadata;
  Counter& v1_nightly_metadata;
  Counter& v1_ignored;
  Counter& v1_remembered;
  Counter& v1_records;
};

std::optional<std::string> beta_copy_of_release(const std::string& document) {
  if (!json_nesting_within(document, 64)) return std::nullopt;
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(document, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  const auto source = doc.find("source");
  const auto target = doc.find("target");
  if (source == doc.end() || target == doc.end() || !source->is_object() || !target->is_object()) return std::nullopt;
  if (source->value("product", nlohmann::ordered_json()) != "firefox") return std::nullopt;
  if (target->value("channel", nlohmann::ordered_json()) != "release") return std::nullopt;
  (*target)["channel"] = "beta";
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

SqsDaemon::SqsDaemon(SqsDaemonDeps deps, SqsDaemonOptions options)
    : deps_(std::move(deps)), options_(std::move(options)), metrics_(std::make_shared<Metrics>(deps_.metrics)) {}

SqsDaemonCounts SqsDaemon::counts() const {
  MutexLock lock(mutex_);
  return counts_;
}

Result<std::size_t> SqsDaemon::poll_once(std::stop_token stop) {
  auto received = deps_.sqs.receive(options_.receive, stop);
  if (!received) {
    if (received.error().code() != Code::kCancelled) metrics_->receive_errors.inc();
    return fail(received.error());
  }
  const std::vector<net::SqsMessage>& messages = *received;
  if (messages.empty()) return std::size_t{0};
  metrics_->messages.inc(messages.size());
  SqsDaemonCounts delta;
  delta.messages = messages.size();

  std::vector<MessageState> states(messages.size());
  std::vector<IngestItem> items;
  std::vector<FetchRequest> requests;
  std::vector<std::size_t> owner;  // message index of each request
  for (std::size_t m = 0; m < messages.size(); ++m) {
    const net::SqsMessage& msg = messages[m];
    auto body = parse_s3_event_body(msg.body);
    if (!body) {
      // Poison: no retry can make it readable. Recorded, then deleted with the rest.
      IngestItem poison;
      poison.origin = "sqs:" + msg.message_id;
      poison.read_error = invalid_argument("the message is not an S3 event: " + body.error().message());
      items.push_back(std::move(poison));
      continue;
    }
    for (const S3EventObject& o : body->objects) {
      if (!o.is_creation()) {
        deps_.logger->debug("skipping a non-creation event", {{"event", o.event_name}, {"key", o.key}});
        continue;
      }
      if (!is_buildhub_json_key(o.key)) {
        ++delta.not_key_matched;
        metrics_->not_key_matched.inc();
        if (deps_.archive_events != nullptr) handle_archive_event(o, states[m], items, delta);
        continue;
      }
      ++delta.key_matched;
      metrics_->key_matched.inc();
      requests.push_back({&deps_.s3_for_bucket(o.bucket), o.key, o.etag});
      owner.push_back(m);
    }
  }
  // The batch in hand is finished even when a stop is requested meanwhile: no cancellation here.
  std::vector<FetchOutcome> fetched = fetch_objects(requests, options_.jobs, options_.limits.max_document_bytes, {});
  for (std::size_t i = 0; i < fetched.size(); ++i) {
    FetchOutcome& f = fetched[i];
    metrics_->process_key.observe(f.elapsed);
    switch (f.kind) {
      case FetchOutcome::Kind::kItem: {
        std::optional<std::string> beta;
        if (options_.release_as_beta && f.item.read_error.is_ok()) beta = beta_copy_of_release(f.item.bytes);
        if (beta) {
          IngestItem copy = f.item;
          copy.origin += " (as beta)";
          copy.bytes = std::move(*beta);
          items.push_back(std::move(f.item));
          items.push_back(std::move(copy));
        } else {
          items.push_back(std::move(f.item));
        }
        break;
      }
      case FetchOutcome::Kind::kMissing:
        ++delta.missing;
        metrics_->missing.inc();
        deps_.logger->warn("announced object is missing; skipped",
                           {{"key", requests[i].key}, {"error", f.error.message()}});
        break;
      case FetchOutcome::Kind::kFailed:
        states[owner[i]].failed = true;
        states[owner[i]].failure = f.error.message();
        break;
    }
  }

  Status store_failure;
  if (!items.empty()) {
    IngestOptions ingest;
    ingest.batch_size = items.size();
    ingest.limits = options_.limits;
    ingest.metadata = options_.metadata;
    ingest.rejection_source = "sqs";
    IngestPipeline pipeline(deps_.store, deps_.validator, deps_.executor, ingest);
    VectorSource source(std::move(items));
    struct Log final : IngestObserver {
      explicit Log(Logger& l) : logger(l) {}
      void on_rejected(const std::string& origin, const Status& reason) override {
        logger.warn("rejected", {{"origin", origin}, {"reason", reason.message()}});
      }
      Logger& logger;
    } log(*deps_.logger);
    auto summary = pipeline.run(source, log);
    if (summary) {
      delta.inserted = summary->inserted;
      delta.not_inserted = summary->already_present;
      delta.rejected = summary->rejected;
      metrics_->inserted.inc(summary->inserted);
      metrics_->not_inserted.inc(summary->already_present);
      metrics_->rejected.inc(summary->rejected);
    } else {
      store_failure = summary.error();
      deps_.logger->error("storing the batch failed; its messages stay on the queue",
                          {{"error", store_failure.to_string()}});
    }
  }

  std::vector<net::ReceiptEntry> done;
  for (std::size_t m = 0; m < messages.size(); ++m) {
    const net::SqsMessage& msg = messages[m];
    if (store_failure.is_ok() && !states[m].failed) {
      done.push_back({std::to_string(m), msg.receipt_handle});
      continue;
    }
    ++delta.kept;
    metrics_->kept.inc();
    const unsigned doublings = std::min<std::uint32_t>(msg.receive_count > 0 ? msg.receive_count - 1 : 0, 16);
    const auto delay = std::min(options_.max_retry_delay, options_.retry_delay * (1u << doublings));
    deps_.logger->warn("message kept for a later attempt",
                       {{"message_id", msg.message_id},
                        {"receive_count", msg.receive_count},
                        {"retry_in_seconds", delay.count()},
                        {"error", store_failure.is_ok() ? states[m].failure : store_failure.message()}});
    if (Status s = deps_.sqs.change_visibility(msg.receipt_handle, delay); !s) {
      deps_.logger->warn("could not delay the message", {{"message_id", msg.message_id}, {"error", s.message()}});
    }
  }
  if (!done.empty()) {
    auto outcome = deps_.sqs.delete_batch(done);
    if (!outcome) {
      // Not lost: the messages come back after their visibility timeout and are found present.
      deps_.logger->error("deleting handled messages failed", {{"error", outcome.error().to_string()}});
    } else {
      delta.deleted = outcome->successful.size();
      metrics_->deleted.inc(outcome->successful.size());
      for (const auto& [id, why] : outcome->failed) {
        deps_.logger->warn("a handled message was not deleted", {{"entry", id}, {"error", why}});
      }
    }
  }
  MutexLock lock(mutex_);
  counts_.messages += delta.messages;
  counts_.deleted += delta.deleted;
  counts_.kept += delta.kept;
  counts_.key_matched += delta.key_matched;
  counts_.not_key_matched += delta.not_key_matched;
  counts_.inserted += delta.inserted;
  counts_.not_inserted += delta.not_inserted;
  counts_.rejected += delta.rejected;
  counts_.missing += delta.missing;
  counts_.v1_records += delta.v1_records;
  counts_.v1_remembered += delta.v1_remembered;
  return messages.size();
}

void SqsDaemon::handle_archive_event(const S3EventObject& object, MessageState& state, std::vector<IngestItem>& items,
                                     SqsDaemonCounts& delta) {
  auto outcome = deps_.archive_events->handle({.key = object.key, .size = object.size, .event_time = object.event_time});
  if (!outcome) {
    state.failed = true;
    state.failure = outcome.error().message();
    return;
  }
  using Kind = v1::ArchiveEventOutcome::Kind;
  switch (outcome->kind) {
    case Kind::kIgnored: metrics_->v1_ignored.inc(); break;
    case Kind::kBuild: metrics_->v1_builds.inc(); break;
    case Kind::kRcMetadata: metrics_->v1_rc_metadata.inc(); break;
    case Kind::kNightlyMetadata: metrics_->v1_nightly_metadata.inc(); break;
  }
  if (outcome->remembered) {
    ++delta.v1_remembered;
    metrics_->v1_remembered.inc();
    deps_.logger->info("archive file waits for its metadata", {{"key", object.key}});
  }
  delta.v1_records += outcome->items.size();
  metrics_->v1_records.inc(outcome->items.size());
  for (IngestItem& item : outcome->items) items.push_back(std::move(item));
}

Status SqsDaemon::run(std::stop_token stop) {
  deps_.logger->info("listening for S3 events", {{"queue", deps_.sqs.queue().url}});
  std::chrono::milliseconds pause{500};
  while (!stop.stop_requested()) {
    auto polled = poll_once(stop);
    if (polled) {
      pause = std::chrono::milliseconds(500);
      continue;
    }
    if (polled.error().code() == Code::kCancelled || stop.stop_requested()) break;
    deps_.logger->error("receiving from the queue failed; retrying",
                        {{"queue", deps_.sqs.queue().url}, {"error", polled.error().to_string()},
                         {"retry_in_ms", pause.count()}});
    const auto until = std::chrono::steady_clock::now() + pause;
    while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(30));
  }
  deps_.logger->info("stopped listening for S3 events", {{"queue", deps_.sqs.queue().url}});
  return Status::ok();
}

}  // namespace bh
