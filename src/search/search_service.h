// SearchService: the search index kept in step with the record store, and the entry point of
// /api/search.
//
// load() builds the index from the whole store at start. Before every search the service
// compares the store's record count with the index and, when the store has more, reads the
// new records (read_after the last indexed id) into the index first, so a record is searchable
// as soon as it is stored, whichever process stored it.
//
// Thread safety: all methods are safe for concurrent use. Searches share a read lock; a catch-up
// holds the write lock until every new record is in (searches wait for it, which is what makes
// "searchable as soon as stored" hold).
#pragma once

#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
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

class SearchService {
 public:
  SearchService(RecordStore& store, SearchLimits limits) : store_(store), limits_(limits) {}

  // Indexes every stored record not yet indexed. Called at start and before each search.
  Status refresh();

  // A request body (Elasticsearch JSON). The HTTP layer sends a request without a body to
  // search_params instead.
  Result<std::string> search_body(std::string_view body);
  // GET ?q=&size=&from=&sort=
  Result<std::string> search_params(const std::vector<std::pair<std::string, std::string>>& params);

  IndexStats stats() const;
  std::uint64_t fingerprint() const;
  const SearchLimits& limits() const { return limits_; }

 private:
  Result<std::string> execute(const SearchRequest& request);

  RecordStore& store_;
  SearchLimits limits_;
  mutable std::shared_mutex index_mutex_;
  SearchIndex index_;
  std::atomic<std::size_t> indexed_{0};
};

}  // namespace bh::search
