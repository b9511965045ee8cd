#include "ingest/pipeline.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <semaphore>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "core/bounded_queue.h"

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
  std::variant<PreparedRecord, Status> result;
};

struct PreparedChunk {
  std::uint64_t seq = 0;
  std::vector<PreparedItem> items;
};

// Hands finished chunks to the writer in sequence order, whatever order workers finish in.
class Reorderer {
 public:
  void put(PreparedChunk chunk) {
    std::lock_guard lock(mutex_);
    ready_.emplace(chunk.seq, std::move(chunk));
    cv_.notify_all();
  }
  // The chunk with the next sequence number; nullopt when all `total` chunks have been taken.
  std::optional<PreparedChunk> take_next() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return ready_.count(next_) > 0 || (total_known_ && next_ >= total_); });
    auto it = ready_.find(next_);
    if (it == ready_.end()) return std::nullopt;
    PreparedChunk c = std::move(it->second);
    ready_.erase(it);
    ++next_;
    return c;
  }
  void set_total(std::uint64_t total) {
    std::lock_guard lock(mutex_);
    total_ = total;
    total_known_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::uint64_t, PreparedChunk> ready_;
  std::uint64_t next_ = 0;
  std::uint64_t total_ = 0;
  bool total_known_ = false;
};

}  // namespace

std::string IngestSummary::to_string() const {
  return fmt::format("read {}, inserted {}, already present {}, rejected {}", read, inserted, already_present,
                     rejected);
}

IngestPipeline::IngestPipeline(RecordStore& store, const SchemaValidator& validator, IngestOptions options)
    : store_(store), validator_(validator), options_(std::move(options)) {
  if (options_.batch_size == 0) options_.batch_size = 1;
  if (options_.workers == 0) options_.workers = std::max(1u, std::thread::hardware_concurrency());
}

Result<IngestSummary> IngestPipeline::run(DocumentSource& source, IngestObserver& observer, std::stop_token stop) {
  const unsigned workers = options_.workers;
  BoundedQueue<Chunk> to_prepare(workers * 2);
  Reorderer prepared;
  // Chunks between the reader and the end of the writer's transaction. Without this bound,
  // workers that outrun the store pile prepared chunks up in memory.
  const std::ptrdiff_t max_in_flight = static_cast<std::ptrdiff_t>(workers) * 2 + 2;
  std::counting_semaphore<1024> in_flight(max_in_flight);

  std::vector<std::jthread> pool;
  pool.reserve(workers);
  for (unsigned w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      RecordParser parser(validator_, options_.limits);
      while (auto chunk = to_prepare.pop()) {
        PreparedChunk out;
        out.seq = chunk->seq;
        out.items.reserve(chunk->items.size());
        for (IngestItem& item : chunk->items) {
          PreparedItem p;
          p.origin = std::move(item.origin);
          p.s3_object_key = std::move(item.s3_object_key);
          p.s3_object_etag = std::move(item.s3_object_etag);
          if (!item.read_error.is_ok()) {
            p.result = std::move(item.read_error);
          } else {
            auto r = parser.prepare(std::move(item.bytes));
            if (r) {
              p.result = std::move(*r);
            } else {
              p.result = std::move(r).error();
            }
          }
          out.items.push_back(std::move(p));
        }
        prepared.put(std::move(out));
      }
    });
  }

  // The writer runs on this thread; a reader thread feeds the workers.
  std::atomic<bool> writer_failed{false};
  std::jthread reader([&] {
    std::uint64_t seq = 0;
    Chunk chunk;
    // Only chunks that were queued get a sequence number: the writer waits for each of them.
    auto flush = [&] {
      Chunk out = std::move(chunk);
      chunk = Chunk{};
      out.seq = seq;
      in_flight.acquire();
      if (!to_prepare.push(std::move(out))) {
        in_flight.release();
        return false;
      }
      ++seq;
      return true;
    };
    while (!stop.stop_requested() && !writer_failed.load()) {
      auto item = source.next();
      if (!item) break;
      chunk.items.push_back(std::move(*item));
      if (chunk.items.size() >= options_.batch_size && !flush()) break;
    }
    if (!chunk.items.empty()) flush();
    prepared.set_total(seq);
    to_prepare.close();
  });

  IngestSummary summary;
  Status failure;
  std::vector<NewRecord> batch;
  while (auto chunk = prepared.take_next()) {
    struct ReleaseSlot {
      std::counting_semaphore<1024>& sem;
      ~ReleaseSlot() { sem.release(); }
    } release_slot{in_flight};
    if (!failure.is_ok()) continue;  // drain so the reader and workers can finish
    batch.clear();
    for (std::size_t i = 0; i < chunk->items.size(); ++i) {
      PreparedItem& p = chunk->items[i];
      if (auto* rec = std::get_if<PreparedRecord>(&p.result)) {
        NewRecord nr;
        nr.build_hash = rec->build_hash;
        nr.document = std::move(rec->raw);
        nr.metadata = options_.metadata;
        nr.s3_object_key = p.s3_object_key;
        nr.s3_object_etag = p.s3_object_etag;
        batch.push_back(std::move(nr));
      }
    }
    auto outcomes = store_.insert_batch(batch);
    if (!outcomes) {
      failure = outcomes.error();
      writer_failed.store(true);
      to_prepare.close();
      continue;
    }
    std::size_t next_outcome = 0;
    for (std::size_t i = 0; i < chunk->items.size(); ++i) {
      PreparedItem& p = chunk->items[i];
      ++summary.read;
      if (auto* status = std::get_if<Status>(&p.result)) {
        ++summary.rejected;
        observer.on_rejected(p.origin, *status);
        continue;
      }
      const InsertOutcome& o = (*outcomes)[next_outcome];
      if (o.kind == InsertKind::kInserted) ++summary.inserted;
      else ++summary.already_present;
      observer.on_stored(p.origin, o, batch[next_outcome]);
      ++next_outcome;
    }
    observer.on_progress(summary, source.fraction_done());
  }
  reader.join();
  to_prepare.close();
  pool.clear();  // joins
  if (!failure.is_ok()) {
    return fail(failure.with_context(fmt::format("store failed after {}", summary.to_string())));
  }
  return summary;
}

}  // namespace bh
