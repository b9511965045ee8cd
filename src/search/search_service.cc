#include "search/search_service.h"

#include <chrono>

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
  std::lock_guard refresh_lock(refresh_mutex_);
  while (true) {
    RecordId after = 0;
    {
      std::shared_lock read(index_mutex_);
      after = index_.last_record_id();
    }
    BH_ASSIGN_OR_RETURN(std::vector<StoredRecord> records, store_.read_after(after, kBatch));
    if (records.empty()) break;
    std::vector<IndexInput> inputs;
    inputs.reserve(records.size());
    for (const auto& r : records) inputs.push_back({r.id, r.document});
    {
      std::unique_lock write(index_mutex_);
      index_.add_batch(inputs);
      indexed_.store(index_.doc_count(), std::memory_order_release);
    }
    if (records.size() < kBatch) break;
  }
  return Status::ok();
}

Result<std::string> SearchService::execute(const SearchRequest& request) {
  BH_RETURN_IF_ERROR(refresh());
  std::shared_lock read(index_mutex_);
  SearchExecutor exec(index_, limits_);
  return exec.run(request);
}

Result<std::string> SearchService::search_body(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return search_params({});
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
