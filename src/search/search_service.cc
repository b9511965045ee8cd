#include "search/search_service.h"

#include <chrono>
#include <thread>

#include "core/bounded_queue.h"

#include "search/executor.h"

namespace bh::search {
namespace {

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

constexpr std::size_t kBatch = 10'000;

}  // namespace

Status SearchService::refresh() {
  BH_ASSIGN_OR_RETURN(std::int64_t stored, store_.count());
  if (static_cast<std::size_t>(stored) <= indexed_.load(std::memory_order_acquire)) return Status::ok();
  // One write lock for the whole catch-up, and one finish() at its end: sorting the new terms
  // into the dictionaries after every batch made the start-up build quadratic (each merge walks
  // every term of download.url, source.revision and build.id).
  std::unique_lock write(index_mutex_);
  // Start-up only: an exact reserve on every small catch-up would recopy the columns each time.
  if (index_.doc_count() == 0) index_.reserve(static_cast<std::size_t>(stored));
  // The store is read on a second thread while this one indexes, one batch ahead.
  BoundedQueue<std::vector<StoredRecord>> batches(2);
  Status read_status;
  std::thread reader([this, &batches, &read_status, after = index_.last_record_id()]() mutable {
    while (true) {
      auto records = store_.read_after(after, kBatch);
      if (!records) {
        read_status = records.error();
        break;
      }
      const bool last = records->size() < kBatch;
      if (!records->empty()) after = records->back().id;
      if (!batches.push(std::move(*records)) || last) break;
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
  index_.finish();  // also after a failed read: what was appended is kept, sorted and consistent
  indexed_.store(index_.doc_count(), std::memory_order_release);
  return read_status;
}

Result<std::string> SearchService::execute(const SearchRequest& request) {
  BH_RETURN_IF_ERROR(refresh());
  std::shared_lock read(index_mutex_);
  SearchExecutor exec(index_, limits_);
  return exec.run(request);
}

Result<std::string> SearchService::search_body(std::string_view body) {
  BH_ASSIGN_OR_RETURN(SearchRequest request, parse_search_body(body, limits_, now_millis()));
  return execute(request);
}

Result<std::string> SearchService::search_params(const std::vector<std::pair<std::string, std::string>>& params) {
  BH_ASSIGN_OR_RETURN(SearchRequest request, parse_uri_search(params, limits_, now_millis()));
  return execute(request);
}

IndexStats SearchService::stats() const {
  std::shared_lock read(index_mutex_);
  return {index_.doc_count(), index_.memory_bytes(), index_.document_bytes(), index_.last_record_id()};
}

std::uint64_t SearchService::fingerprint() const {
  std::shared_lock read(index_mutex_);
  return index_.fingerprint();
}

}  // namespace bh::search
