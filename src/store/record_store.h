// RecordStore: the durable, append-only home of build records.
//
// Records are immutable. Identity is the content hash (build_hash, unique); the same content
// inserted twice is stored once and the second insert reports kAlreadyPresent with the id of
// the stored record. A changed document at the same S3 key has another hash, so it becomes a
// new record; nothing is ever updated in place.
//
// Every record gets an id from one increasing sequence. Ids become visible in increasing
// order (an implementation must not let a smaller id become visible after a larger one), so a
// follower such as another node's search index can poll read_after(last_seen_id) and never
// miss a record. SQLite gets this from its single writer; a PostgreSQL implementation must
// serialise id assignment with the commit (e.g. a transaction-level advisory lock around the
// insert) rather than rely on a bare sequence.
//
// last_id() is the watermark: the largest id visible now. It must be cheap (an index lookup, not a
// scan), because followers poll it; since ids become visible in order, every record with an id up
// to it can be read once it is returned, and count() can be kept incrementally against it.
//
// The behaviour every implementation must show is one test suite, store/record_store_contract.h
// (SQLite and the in-memory store run it; PostgreSQL will). Implementations are opened by URL
// through store/store_factory.h; nothing outside store/ names one.
//
// Ownership: stores are owned by whoever opened them (unique_ptr) and borrowed by reference.
// Thread safety: implementations are safe for concurrent use by many threads.
// Failure: every call returns a Status; a failed insert_batch has stored nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bh {

using RecordId = std::int64_t;

struct NewRecord {
  std::string build_hash;                     // "v1:" + md5 hex, see record/build_record.h
  std::string document;                       // the buildhub.json exactly as received
  std::string metadata = "{}";                // a JSON object: who ingested it, from where
  std::optional<std::string> s3_object_key;   // set when the record came from S3
  std::optional<std::string> s3_object_etag;
};

enum class InsertKind { kInserted, kAlreadyPresent };

struct InsertOutcome {
  InsertKind kind;
  RecordId id;  // the new record's id, or the id of the record that already holds this content
};

// A document that was not stored, and why: kept so that operators can see it and fix its source
// (GET /api/rejections). Rejections are a log: appended, listed newest first, never changed.
struct Rejection {
  std::int64_t id = 0;      // assigned by the store, increasing
  std::string created_at;   // assigned by the store: RFC 3339, UTC, microseconds
  std::string source;       // what found it: "backfill", "sqs", "push"
  std::string origin;       // where it came from: "s3://bucket/key", "sqs:<message id>", "push:<address>"
  std::optional<std::string> s3_object_key;
  std::optional<std::string> s3_object_etag;  // quotes stripped
  std::string reason;       // every problem found, in words
};

// What one transaction commits: records, and the rejections found next to them.
struct StoreBatch {
  std::span<const NewRecord> records;
  std::span<const Rejection> rejections;  // id and created_at are ignored (the store assigns them)
};

struct StoredRecord {
  RecordId id = 0;
  std::string build_hash;
  std::string document;
  std::string metadata;
  std::string created_at;  // RFC 3339, UTC, microseconds
  std::optional<std::string> s3_object_key;
  std::optional<std::string> s3_object_etag;
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  // Inserts the records in order and appends the rejections, in one transaction: all of it is
  // durable when this returns OK, none of it when it fails. The outcomes are in the records'
  // order. A batch may hold the same hash twice; the second is kAlreadyPresent.
  //
  // S3 objects: every record and rejection that names an S3 key also sets what the store knows
  // of that key (its ETag, and the record it holds, or none when it was rejected), so a later
  // listing can skip keys whose ETag has not changed. The same content under a new ETag is
  // kAlreadyPresent and moves the key to the new ETag; records themselves never change.
  virtual Result<std::vector<InsertOutcome>> commit_batch(const StoreBatch& batch) = 0;
  Result<std::vector<InsertOutcome>> insert_batch(std::span<const NewRecord> records) {
    return commit_batch({.records = records, .rejections = {}});
  }

  // The ETag last stored for each key (quotes stripped), or nullopt for a key never seen; in the
  // order of `keys`.
  virtual Result<std::vector<std::optional<std::string>>> known_s3_etags(std::span<const std::string> keys) = 0;

  // Rejections with id < `before` (0: from the newest), newest first, at most `limit`.
  virtual Result<std::vector<Rejection>> list_rejections(std::int64_t before, std::size_t limit) = 0;
  virtual Result<std::int64_t> count_rejections() = 0;

  virtual Result<std::optional<StoredRecord>> get(RecordId id) = 0;
  virtual Result<std::optional<StoredRecord>> find_by_hash(std::string_view build_hash) = 0;
  virtual Result<std::int64_t> count() = 0;
  // The largest id visible now; 0 when the store is empty. Cheap: followers poll it.
  virtual Result<RecordId> last_id() = 0;

  // Records with id > `after`, in id order, at most `limit` of them.
  virtual Result<std::vector<StoredRecord>> read_after(RecordId after, std::size_t limit) = 0;

  // Cheap liveness check of the underlying database (for /__heartbeat__).
  virtual Status check_health() = 0;

  // "sqlite:/path/to/buildhub.sqlite3", for logs and /__heartbeat__.
  virtual std::string describe() const = 0;
};

// Called after a batch committed, with the largest id it inserted (or found already present).
using InsertListener = std::function<void(RecordId)>;

// A store that tells listeners about every batch committed through it, after the commit, on the
// inserting thread. This is how the search index of this process hears of this process's inserts
// at once (other processes' inserts are found by polling last_id()).
// Ownership: owns the wrapped store. Thread safety: add_listener before concurrent use; the rest
// is as safe as the wrapped store. Listeners must be quick and must not call back into the store.
class NotifyingRecordStore final : public RecordStore {
 public:
  explicit NotifyingRecordStore(std::unique_ptr<RecordStore> inner) : inner_(std::move(inner)) {}
  void add_listener(InsertListener listener) { listeners_.push_back(std::move(listener)); }

  Result<std::vector<InsertOutcome>> commit_batch(const StoreBatch& batch) override;
  Result<std::vector<std::optional<std::string>>> known_s3_etags(std::span<const std::string> keys) override {
    return inner_->known_s3_etags(keys);
  }
  Result<std::vector<Rejection>> list_rejections(std::int64_t before, std::size_t limit) override {
    return inner_->list_rejections(before, limit);
  }
  Result<std::int64_t> count_rejections() override { return inner_->count_rejections(); }
  Result<std::optional<StoredRecord>> get(RecordId id) override { return inner_->get(id); }
  Result<std::optional<StoredRecord>> find_by_hash(std::string_view build_hash) override {
    return inner_->find_by_hash(build_hash);
  }
  Result<std::int64_t> count() override { return inner_->count(); }
  Result<RecordId> last_id() override { return inner_->last_id(); }
  Result<std::vector<StoredRecord>> read_after(RecordId after, std::size_t limit) override {
    return inner_->read_after(after, limit);
  }
  Status check_health() override { return inner_->check_health(); }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<RecordStore> inner_;
  std::vector<InsertListener> listeners_;
};

}  // namespace bh
