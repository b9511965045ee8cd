#include "search/search_service.h"

#include <algorithm>

#include "core/bounded_queue.h"
#include "core/thread.h"
#include "search/executor.h"

namespace bh::search {

SearchService::SearchService(RecordStore& store, Executor& executor, const Clock& clock, SearchServiceOptions options)
    : store_(store), executor_(executor), clock_(clock), options_(std::move(options)) {}

SearchService::~SearchService() { stop_following(); }

Status SearchService::load() {
  BH_ASSIGN_OR_RETURN(const RecordId watermark, store_.last_id());
  BH_ASSIGN_OR_RETURN(const std::int64_t stored, store_.count());
  WriterLock write(index_mutex_);
  // An exact reserve at start; catch-ups later grow the columns as vectors do.
  if (index_.doc_count() == 0) index_.reserve(static_cast<std::size_t>(stored));
  // The store is read on a second thread, one batch ahead of the indexing on this one. One
  // finish() at the end: sorting the new terms into the dictionaries after every batch made
  // the start-up build quadratic.
  BoundedQueue<std::vector<StoredRecord>> batches(2);
  Status read_status;
  std::jthread reader = start_thread("bh-index-load", [&, after = index_.last_record_id()]() mutable {
    while (after < watermark) {
      auto records = store_.read_after(after, options_.read_batch);
      if (!records) {
        read_status = records.error();
        break;
      }
      if (records->empty()) break;
      after = records->back().id;
      if (!batches.push(std::move(*records))) break;
    }
    batches.close();
  });
  while (auto records = batches.pop()) {
    std::vector<IndexInput> inputs;
    inputs.reserve(records->size());
    for (const auto& r : *records) inputs.push_back({r.id, r.document});
    index_.append(inputs);
  }
  reader.join();
  index_.finish(&executor_);  // also after a failed read: what was appended is kept, sorted and consistent
  publish_progress(index_.last_record_id());
  return read_status;
}

void SearchService::start_following(FollowerEvents events) {
  if (follower_.joinable()) return;
  follower_ = start_thread("bh-index-follow", [this, events = std::move(events)](std::stop_token stop) {
    follow(stop, events);
  });
}

void SearchService::stop_following() {
  if (!follower_.joinable()) return;
  follower_.request_stop();
  {
    MutexLock lock(progress_mutex_);
    wake_follower_.notify_all();
  }
  follower_.join();
}

void SearchService::notify_stored(RecordId id) {
  MutexLock lock(progress_mutex_);
  if (id <= stored_here_up_to_) return;
  stored_here_up_to_ = id;
  wake_follower_.notify_all();
}

void SearchService::publish_progress(RecordId indexed) {
  MutexLock lock(progress_mutex_);
  indexed_up_to_ = std::max(indexed_up_to_, indexed);
  progress_.notify_all();
}

void SearchService::follow(const std::stop_token& stop, const FollowerEvents& events) {
  auto backoff = options_.poll_interval;
  while (!stop.stop_requested()) {
    const auto started = clock_.monotonic_now();
    auto added = catch_up(stop);
    if (!added) {
      if (events.on_error) events.on_error(added.error());
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(10));
    } else {
      backoff = options_.poll_interval;
      if (*added > 0 && events.on_caught_up) events.on_caught_up(*added, clock_.monotonic_now() - started, stats());
    }
    MutexLock lock(progress_mutex_);
    if (stop.stop_requested()) break;
    // Woken early when this process stores something the index does not hold yet.
    if (stored_here_up_to_ <= indexed_up_to_) (void)wake_follower_.wait_for(lock, backoff);
  }
}

Result<std::size_t> SearchService::catch_up(const std::stop_token& stop) {
  BH_ASSIGN_OR_RETURN(RecordId watermark, store_.last_id());
  std::size_t added = 0;
  RecordId indexed = 0;
  {
    ReaderLock read(index_mutex_);
    indexed = index_.last_record_id();
  }
  while (indexed < watermark && !stop.stop_requested()) {
    // Read outside any lock; searches go on meanwhile.
    BH_ASSIGN_OR_RETURN(std::vector<StoredRecord> records, store_.read_after(indexed, options_.read_batch));
    if (records.empty()) break;
    std::vector<IndexInput> inputs;
    inputs.reserve(records.size());
    for (const auto& r : records) inputs.push_back({r.id, r.document});
    for (std::size_t at = 0; at < inputs.size(); at += options_.records_per_lock) {
      const std::size_t n = std::min(options_.records_per_lock, inputs.size() - at);
      if (!append_slice(std::span(inputs).subspan(at, n), stop)) return added;
      added += n;
      publish_progress(inputs[at + n - 1].id);
    }
    indexed = records.back().id;
  }
  return added;
}

// This thread is the index's only writer, so it may read the index without the lock while
// searches read it too: the slice is parsed and its new terms merged into the dictionary orders
// before the write lock is taken, and the lock is held only for applying the result.
bool SearchService::append_slice(std::span<const IndexInput> slice, const std::stop_token& stop)
    NO_THREAD_SAFETY_ANALYSIS {
  PreparedBatch batch = index_.prepare(slice);
  // Polite at first: a long search holding the read lock lets the searches queued behind this
  // writer in again every writer_patience. After max_search_time of trying, every search that
  // was running has reached its deadline, so waiting outright is bounded.
  const auto gave_up_politeness_at = clock_.monotonic_now() + options_.max_search_time;
  while (!index_mutex_.try_lock_for(options_.writer_patience)) {
    if (stop.stop_requested()) return false;
    if (clock_.monotonic_now() >= gave_up_politeness_at) {
      index_mutex_.lock();
      break;
    }
  }
  index_.apply(std::move(batch));
  index_mutex_.unlock();
  return true;
}

void SearchService::wait_for_own_inserts(const Deadline& deadline) {
  MutexLock lock(progress_mutex_);
  while (indexed_up_to_ < stored_here_up_to_ && !deadline.expired()) {
    (void)progress_.wait_for(lock, std::min<std::chrono::nanoseconds>(deadline.remaining(), std::chrono::milliseconds(20)));
  }
}

Result<SearchAnswer> SearchService::search(const SearchCall& call) {
  const std::int64_t now_millis = clock_.wall_millis();
  Result<SearchRequest> request = call.body.find_first_not_of(" \t\r\n") != std::string_view::npos
                                      ? parse_search_body(call.body, options_.limits, now_millis)
                                      : parse_uri_search(call.params, options_.limits, now_millis);
  if (!request) return fail(request.error());
  std::chrono::nanoseconds budget = options_.max_search_time;
  if (request->timeout) budget = std::min(budget, *request->timeout);
  const Clock::Instant received = call.received.value_or(clock_.monotonic_now());
  Deadline deadline = Deadline::after(clock_, budget - std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                           clock_.monotonic_now() - received));
  wait_for_own_inserts(deadline);
  ReaderLock read(index_mutex_);
  SearchExecutor exec(index_, options_.limits, clock_, deadline);
  BH_ASSIGN_OR_RETURN(std::string body, exec.run(*request));
  return SearchAnswer{std::move(body), exec.timed_out()};
}

IndexStats SearchService::stats() const {
  ReaderLock read(index_mutex_);
  return {index_.doc_count(), index_.memory_bytes(), index_.document_bytes(), index_.last_record_id()};
}

std::uint64_t SearchService::fingerprint() const {
  ReaderLock read(index_mutex_);
  return index_.fingerprint();
}

}  // namespace bh::search
