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
// Thread safety: implementations are safe for concurrent use by many threads.
// Failure: every call returns a Status; a failed insert_batch has stored nothing.
#pragma once

#include <cstdint>
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

  // Inserts the records in order, in one transaction: all of them are durable when this
  // returns OK, none of them when it fails. The outcomes are in input order. A batch may hold
  // the same hash twice; the second is kAlreadyPresent.
  virtual Result<std::vector<InsertOutcome>> insert_batch(std::span<const NewRecord> records) = 0;

  virtual Result<std::optional<StoredRecord>> get(RecordId id) = 0;
  virtual Result<std::optional<StoredRecord>> find_by_hash(std::string_view build_hash) = 0;
  virtual Result<std::int64_t> count() = 0;

  // Records with id > `after`, in id order, at most `limit` of them.
  virtual Result<std::vector<StoredRecord>> read_after(RecordId after, std::size_t limit) = 0;

  // Cheap liveness check of the underlying database (for /__heartbeat__).
  virtual Status check_health() = 0;

  // "sqlite:/path/to/buildhub.sqlite3", for logs and /__heartbeat__.
  virtual std::string describe() const = 0;
};

}  // namespace bh
