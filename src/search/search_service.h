// SearchService: the search index, kept in step with the record store by a background
// follower, and the entry point of /api/search.
//
// Following the store:
//   - load() builds the index from the whole store (at start, before serving).
//   - start_following() starts the follower thread. It wakes when this process stores records
//     (notify_stored, wired to the store's insert listener) and otherwise polls the store's
//     watermark (last_id) every `poll_interval`, then reads what is new (read_after) and appends
//     it to the index in slices of at most `records_per_lock`, under the index's write lock.
//     Searches never read the store and never index anything themselves.
//   - Freshness: a record stored by this process is in every search that starts after the
//     insert returned (the search waits for the follower to reach it). A record stored by another
//     process is searchable within poll_interval plus the catch-up (about 0.1 s per 10,000
//     records), or, while a search longer than `writer_patience` is running, after it ends (at
//     most max_search_time).
//
// Searching: a request is parsed, then run under the index's read lock with a deadline: the
// request's "timeout", capped by max_search_time (which applies alone when the request sets
// none). Each search sees one consistent snapshot: the index between two follower slices.
// The follower waits for the write lock politely (writer_patience at a time, letting searches
// that queued behind it in between), so a search waits at most about writer_patience plus one
// slice for the follower.
//
// Ownership: borrows the store, the executor and the clock (all outlive the service). The
// follower thread is owned and stopped by the destructor (or stop_following()).
// Thread safety: search, notify_stored, stats and fingerprint are safe for concurrent use;
// load, start_following and stop_following are called by the owner, one at a time.
// Failure: searches return kInvalidArgument for bad requests; the follower's store failures
// are reported to FollowerEvents and retried with backoff; searches go on meanwhile on what is
// indexed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/executor.h"
#include "core/status.h"
#include "core/sync.h"
#include "search/index.h"
#include "search/request_parser.h"
#include "store/record_store.h"

namespace bh::search {

struct IndexStats {
  std::size_t documents = 0;
  std::size_t index_bytes = 0;     // beyond the documents' text
  std::size_t document_bytes = 0;
  RecordId last_record_id = 0;
};

struct SearchServiceOptions {
  SearchLimits limits;
  std::chrono::milliseconds poll_interval{250};
  std::size_t read_batch = 10'000;       // records read from the store at once
  std::size_t records_per_lock = 2'000;  // records appended per hold of the write lock
  std::chrono::milliseconds writer_patience{50};
  std::chrono::milliseconds max_search_time{10'000};
};

// What the follower tells its owner (logs, metrics). Called on the follower thread.
struct FollowerEvents {
  std::function<void(const Status&)> on_error = {};
  // After each catch-up: how many records it added and how long it took.
  std::function<void(std::size_t records, std::chrono::nanoseconds took, const IndexStats& stats)> on_caught_up = {};
};

// One search: the request body (Elasticsearch JSON), or without a body the query-string
// parameters (?q=&size=&from=&sort=&timeout=).
struct SearchCall {
  std::string_view body = {};
  std::vector<std::pair<std::string, std::string>> params = {};
  // When the request arrived (queue time counts against its time budget); default: now.
  std::optional<Clock::Instant> received = {};
};

struct SearchAnswer {
  std::string body;
  bool timed_out = false;
};

class SearchService {
 public:
  SearchService(RecordStore& store, Executor& executor, const Clock& clock, SearchServiceOptions options);
  ~SearchService();
  SearchService(const SearchService&) = delete;
  SearchService& operator=(const SearchService&) = delete;

  // Indexes every stored record not yet indexed, on the calling thread. At start.
  Status load() EXCLUDES(index_mutex_);
  void start_following(FollowerEvents events);
  void stop_following();
  // This process stored records up to `id`: searches from now on must see them.
  void notify_stored(RecordId id);

  Result<SearchAnswer> search(const SearchCall& call) EXCLUDES(index_mutex_);

  IndexStats stats() const EXCLUDES(index_mutex_);
  std::uint64_t fingerprint() const EXCLUDES(index_mutex_);
  const SearchServiceOptions& options() const { return options_; }

 private:
  // Reads and indexes everything up to the store's watermark (and this process's inserts).
  Result<std::size_t> catch_up(const std::stop_token& stop) EXCLUDES(index_mutex_);
  // Appends one slice under the write lock, waiting for it politely.
  bool append_slice(std::span<const IndexInput> slice, const std::stop_token& stop) EXCLUDES(index_mutex_);
  void follow(const std::stop_token& stop, const FollowerEvents& events);
  // Waits until the index holds this process's inserts, or the deadline.
  void wait_for_own_inserts(const Deadline& deadline) EXCLUDES(progress_mutex_);
  void publish_progress(RecordId indexed) EXCLUDES(progress_mutex_);

  RecordStore& store_;
  Executor& executor_;
  const Clock& clock_;
  const SearchServiceOptions options_;

  mutable SharedMutex index_mutex_;
  SearchIndex index_ GUARDED_BY(index_mutex_);

  // Follower progress, for read-your-writes waits and wake-ups.
  Mutex progress_mutex_;
  CondVar progress_;        // the index reached a new record id
  CondVar wake_follower_;   // this process stored something
  RecordId indexed_up_to_ GUARDED_BY(progress_mutex_) = 0;
  RecordId stored_here_up_to_ GUARDED_BY(progress_mutex_) = 0;
  std::jthread follower_;
};

}  // namespace bh::search
