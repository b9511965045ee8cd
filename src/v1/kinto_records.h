// Kinto's read API over our store: Buildhub v1's record listing and record lookup, answered
// from the record store and the search index instead of a Kinto server.
//
// Kinto's own fields:
//   - `id`, the v1 record id: the one Kinto had (metadata.kinto_id, kept by import-kinto), else
//     v1's id computed from the record's download URL (v1::build_record_id), else
//     "buildhub2-<store id>" for a URL v1's rules do not take. An id is one record's: a record
//     imported from Kinto takes its id from a record that only computed it (which then gets
//     the buildhub2- form); of two records computing the same id the first stored keeps it.
//   - `last_modified`, ms since the epoch: Kinto's (metadata.kinto_last_modified), else the
//     store's created_at, raised where needed to one more than every timestamp before it in
//     store order, so a record stored later is always newer (`_since` with the previous
//     ETag finds exactly the new records) and no two of our own records share one.
// Both are derived from the store alone, so every node gives the same answer.
//
// Listing: filters on record fields go to the search engine (as an Elasticsearch query);
// filters and sorts on id/last_modified are applied to KintoRecordView. A sort on record
// fields only is paged by the engine (search_after); a sort with id or last_modified is done
// in memory over every match (cost: about a millisecond per thousand matches).
//
// Ownership: borrows the store and the search service, which outlive it.
// Thread safety: every method is safe for concurrent use.
// Failure: kInvalidArgument for a query the engine refuses, kUnavailable when a search runs
// out of time, the store's errors as they are.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "core/status.h"
#include "core/sync.h"
#include "search/search_service.h"
#include "store/record_store.h"
#include "v1/kinto_query.h"
#include "v1/path_rules.h"

namespace bh::v1 {

struct KintoEntry {
  RecordId store_id = 0;
  std::int64_t last_modified = 0;
  std::string id;
  bool kinto_id = false;  // the id came from Kinto (not computed)
};

// The v1 id and timestamp of every stored record, in store order, read from the store as it
// grows (catch_up reads only what is new).
class KintoRecordView {
 public:
  explicit KintoRecordView(RecordStore& store);

  Status catch_up() EXCLUDES(catch_up_mutex_, mutex_);
  std::optional<KintoEntry> find(std::string_view id) const EXCLUDES(mutex_);
  std::optional<KintoEntry> of_store_id(RecordId store_id) const EXCLUDES(mutex_);
  // The newest last_modified (Kinto's collection timestamp); 0 for an empty store.
  std::int64_t timestamp() const EXCLUDES(mutex_);

  // Calls `visit` for every entry, in store order, under the read lock (keep it short).
  template <typename Visit>
  void for_each(Visit&& visit) const EXCLUDES(mutex_) {
    ReaderLock lock(mutex_);
    for (const auto& e : entries_) visit(e);
  }

 private:
  std::string computed_id(const StoredRecord& record) REQUIRES(catch_up_mutex_);

  RecordStore& store_;
  const PathRules rules_;
  Mutex catch_up_mutex_;
  RecordId read_up_to_ GUARDED_BY(catch_up_mutex_) = 0;
  simdjson::dom::parser parser_ GUARDED_BY(catch_up_mutex_);
  mutable SharedMutex mutex_;
  // A deque: entries never move, so the map's keys can view their ids.
  std::deque<KintoEntry> entries_ GUARDED_BY(mutex_);
  std::unordered_map<std::string_view, std::size_t> by_id_ GUARDED_BY(mutex_);
  std::int64_t newest_ GUARDED_BY(mutex_) = 0;
};

struct KintoListRequest {
  const KintoQuery& query;
  std::size_t limit = 10000;  // records in this page (the caller caps _limit)
};

struct KintoPage {
  std::string data;                    // the JSON array of the page's records
  std::size_t records = 0;             // in `data`
  std::size_t total = 0;               // records matching the filters (Total-Records)
  std::optional<nlohmann::json> next;  // the cursor after this page, when there is more
  std::int64_t timestamp = 0;          // the collection's (ETag)
};

struct KintoRecord {
  std::string data;  // the record's JSON object with id and last_modified
  std::int64_t last_modified = 0;
};

class KintoRecords {
 public:
  KintoRecords(RecordStore& store, search::SearchService& search);

  Result<KintoPage> list(const KintoListRequest& request);
  // nullopt when no record has that id.
  Result<std::optional<KintoRecord>> get(std::string_view id);
  Result<std::int64_t> timestamp();

 private:
  struct Candidate;
  Result<std::string> record_json(const KintoEntry& entry, const std::vector<std::string>& fields);
  Result<KintoPage> list_by_engine(const KintoListRequest& request);
  Result<KintoPage> list_in_memory(const KintoListRequest& request);
  Result<KintoPage> page_of(const KintoListRequest& request, std::vector<Candidate>& matches);

  RecordStore& store_;
  search::SearchService& search_;
  KintoRecordView view_;
};

}  // namespace bh::v1
