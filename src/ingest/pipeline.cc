#include "ingest/pipeline.h"

#include <deque>
#include <map>
#include <semaphore>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "core/sync.h"
#include "core/thread.h"

namespace bh {
namespace {

struct Chunk {
  std::uint64_t seq = 0;
  std::vector<IngestItem> items;
};

// One slot per input item: the prepared record or why it was rejected.
struct PreparedItem {
  std::string origin;
  std::optional<std::string> s3_object_key;
  std::optional<std::string> s3_object_etag;
  std::optional<std::string> metadata;
  std::variant<PreparedRecord, Status> result;
};

struct PreparedChunk {
  std::uint64_t seq = 0;
  std::vector<PreparedItem> items;
};

PreparedChunk prepare_chunk(Chunk chunk, const SchemaValidator& validator, const RecordLimits& limits) {
  RecordParser parser(validator, limits);
  PreparedChunk out;
  out.seq = chunk.seq;
  out.items.reserve(chunk.items.size());
  for (IngestItem& item : chunk.items) {
    PreparedItem p;
    p.origin = std::move(item.origin);
    p.s3_object_key = std::move(item.s3_object_key);
    p.s3_object_etag = std::move(item.s3_object_etag);
    p.metadata = std::move(item.metadata);
    if (!item.read_error.is_ok()) {
      p.result = std::move(item.read_error);
    } else if (auto r = parser.prepare(std::move(item.bytes))) {
      p.result = std::move(*r);
    } else {
      p.result = std::move(r).error();
    }
    out.items.push_back(std::move(p));
  }
  return out;
}

// The chunks of one run between the reader and the writer: read but not prepared (pending),
// prepared but not yet stored (ready, reordered by sequence number). Executor tasks and the
// writer both take pending chunks; the writer takes ready ones in sequence order.
class ChunkFlow {
 public:
  ChunkFlow(const SchemaValidator& validator, RecordLimits limits) : validator_(validator), limits_(limits) {}

  void add_pending(Chunk chunk) EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    pending_.push_back(std::move(chunk));
    changed_.notify_all();
  }
  void set_total(std::uint64_t total) EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    total_ = total;
    changed_.notify_all();
  }

  // An executor task: prepares one pending chunk, if one is left.
  void prepare_one() EXCLUDES(mutex_) {
    std::optional<Chunk> chunk;
    {
      MutexLock lock(mutex_);
      if (pending_.empty()) return;
      chunk = std::move(pending_.front());
      pending_.pop_front();
    }
    PreparedChunk prepared = prepare_chunk(std::move(*chunk), validator_, limits_);
    MutexLock lock(mutex_);
    ready_.emplace(prepared.seq, std::move(prepared));
    changed_.notify_all();
  }

  // The chunk with the next sequence number, preparing it on this thread when no worker has
  // started it; nullopt once every chunk of the run has been taken.
  std::optional<PreparedChunk> take_next() EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    while (true) {
      if (auto it = ready_.find(next_); it != ready_.end()) {
        PreparedChunk c = std::move(it->second);
        ready_.erase(it);
        ++next_;
        return c;
      }
      if (total_ && next_ >= *total_) return std::nullopt;
      // Only the chunk it needs next: preparing a later one would hold up the store while that
      // one becomes ready on a worker.
      if (!pending_.empty() && pending_.front().seq == next_) {
        Chunk chunk = std::move(pending_.front());
        pending_.pop_front();
        mutex_.unlock();
        PreparedChunk prepared = prepare_chunk(std::move(chunk), validator_, limits_);
        mutex_.lock();
        ready_.emplace(prepared.seq, std::move(prepared));
        continue;
      }
      changed_.wait(lock);
    }
  }

 private:
  const SchemaValidator& validator_;
  const RecordLimits limits_;
  Mutex mutex_;
  CondVar changed_;
  std::deque<Chunk> pending_ GUARDED_BY(mutex_);
  std::map<std::uint64_t, PreparedChunk> ready_ GUARDED_BY(mutex_);
  std::uint64_t next_ GUARDED_BY(mutex_) = 0;
  std::optional<std::uint64_t> total_ GUARDED_BY(mutex_);
};

// The rows of a prepared chunk that go to the store, in input order.
std::vector<NewRecord> records_of(PreparedChunk& chunk, const std::string& metadata) {
  std::vector<NewRecord> batch;
  batch.reserve(chunk.items.size());
  for (PreparedItem& p : chunk.items) {
    if (auto* rec = std::get_if<PreparedRecord>(&p.result)) {
      NewRecord nr;
      nr.build_hash = rec->build_hash;
      nr.document = std::move(rec->raw);
      nr.metadata = p.metadata ? std::move(*p.metadata) : metadata;
      nr.s3_object_key = p.s3_object_key;
      nr.s3_object_etag = p.s3_object_etag;
      batch.push_back(std::move(nr));
    }
  }
  return batch;
}

// The rejections of a prepared chunk, when the run records them in the store.
std::vector<Rejection> rejections_of(const PreparedChunk& chunk, const std::string& source) {
  std::vector<Rejection> out;
  if (source.empty()) return out;
  for (const PreparedItem& p : chunk.items) {
    if (const auto* status = std::get_if<Status>(&p.result)) {
      Rejection r;
      r.source = source;
      r.origin = p.origin;
      r.s3_object_key = p.s3_object_key;
      r.s3_object_etag = p.s3_object_etag;
      r.reason = status->message();
      out.push_back(std::move(r));
    }
  }
  return out;
}

// Counts and reports one stored chunk, item by item in input order.
void report_chunk(const PreparedChunk& chunk, const std::vector<InsertOutcome>& outcomes,
                  const std::vector<NewRecord>& batch, IngestSummary& summary, IngestObserver& observer) {
  std::size_t next_outcome = 0;
  for (const PreparedItem& p : chunk.items) {
    ++summary.read;
    if (const auto* status = std::get_if<Status>(&p.result)) {
      ++summary.rejected;
      observer.on_rejected(p.origin, *status);
      continue;
    }
    const InsertOutcome& o = outcomes[next_outcome];
    if (o.kind == InsertKind::kInserted) ++summary.inserted;
    else ++summary.already_present;
    observer.on_stored(p.origin, o, batch[next_outcome]);
    ++next_outcome;
  }
}

using InFlight = std::counting_semaphore<4096>;

}  // namespace

std::string IngestSummary::to_string() const {
  return fmt::format("read {}, inserted {}, already present {}, rejected {}", read, inserted, already_present,
                     rejected);
}

IngestPipeline::IngestPipeline(RecordStore& store, const SchemaValidator& validator, Executor& executor,
                               IngestOptions options)
    : store_(store), validator_(validator), executor_(executor), options_(std::move(options)) {
  if (options_.batch_size == 0) options_.batch_size = 1;
  options_.workers = std::min(executor_.jobs_for(options_.workers), 1024u);
}

Result<IngestSummary> IngestPipeline::run(DocumentSource& source, IngestObserver& observer, std::stop_token stop) {
  auto flow = std::make_shared<ChunkFlow>(validator_, options_.limits);
  // Chunks between the reader and the end of the writer's transaction. Without this bound, a
  // reader that outruns the store piles chunks up in memory.
  InFlight in_flight(static_cast<std::ptrdiff_t>(options_.workers) * 2 + 2);
  std::atomic<bool> writer_failed{false};

  std::jthread reader = start_thread("bh-ingest-read", [&] {
    std::uint64_t seq = 0;
    Chunk chunk;
    auto flush = [&] {
      chunk.seq = seq++;
      in_flight.acquire();
      flow->add_pending(std::exchange(chunk, Chunk{}));
      // The task holds the flow, not the pipeline: it may start after the writer has taken
      // this chunk itself, and then finds nothing to do.
      executor_.post([flow] { flow->prepare_one(); });
    };
    while (!stop.stop_requested() && !writer_failed.load()) {
      auto item = source.next();
      if (!item) break;
      chunk.items.push_back(std::move(*item));
      if (chunk.items.size() >= options_.batch_size) flush();
    }
    if (!chunk.items.empty()) flush();
    flow->set_total(seq);
  });

  IngestSummary summary;
  Status failure;
  while (auto chunk = flow->take_next()) {
    if (!failure.is_ok()) {  // drain, so the reader can finish
      in_flight.release();
      continue;
    }
    std::vector<NewRecord> batch = records_of(*chunk, options_.metadata);
    const std::vector<Rejection> rejections = rejections_of(*chunk, options_.rejection_source);
    auto outcomes = store_.commit_batch({.records = batch, .rejections = rejections});
    in_flight.release();
    if (!outcomes) {
      failure = outcomes.error();
      writer_failed.store(true);
      continue;
    }
    report_chunk(*chunk, *outcomes, batch, summary, observer);
    observer.on_progress(summary, source.fraction_done());
  }
  reader.join();
  if (!failure.is_ok()) {
    return fail(failure.with_context(fmt::format("store failed after {}", summary.to_string())));
  }
  return summary;
}

}  // namespace bh
