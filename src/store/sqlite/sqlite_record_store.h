// The embedded RecordStore: one SQLite file in WAL mode.
//
// Layout (docs/formats.md has the full schema and its changelog):
//   schema_version(version)            one row: the migration level of the file
//   builds(id, build_hash UNIQUE, document, metadata, created_at, s3_object_key, s3_object_etag)
//   s3_objects(key PRIMARY KEY, etag, record_id, updated_at)   what each S3 key held when last read
//   rejections(id, created_at, source, origin, s3_object_key, s3_object_etag, reason)
//
// Opening a file migrates it forward, in one transaction per step; a file written by a newer
// buildhub (a higher schema version than this binary knows) is refused rather than guessed at.
//
// Thread safety: safe for concurrent use. Writes go through one connection under a mutex
// (SQLite has one writer anyway). Reads take a connection from a small pool (opened on demand,
// up to `max_readers`), so a long read (the index follower's catch-up) never holds up a short one
// (a heartbeat, a record lookup), and no read waits for a write transaction. Several processes
// may open the same file (WAL), e.g. `buildhub ingest` while `buildhub serve` runs.
//
// last_id() is `SELECT MAX(id)` (the rowid B-tree's last entry), read again only when the
// connection's PRAGMA data_version says something was committed since; count() adds the records
// after the last watermark it counted at to what it counted then.
//
// Ownership: opened through store/store_factory.h (or open() in tests); the caller owns it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/sync.h"
#include "store/record_store.h"
#include "store/sqlite/sqlite_db.h"

namespace bh {

struct SqliteStoreOptions {
  std::filesystem::path path;  // the database file; its directory is created if missing
  // FULL: a committed batch survives power loss. NORMAL: it survives a crash of the process
  // (not of the machine) and commits are cheaper.
  bool synchronous_full = true;
  std::int64_t cache_size_kib = 256 * 1024;  // page cache of the writing connection (at most)
  std::int64_t wal_autocheckpoint_pages = 5000;
  std::size_t max_readers = 4;               // read connections, opened as needed
  const Clock* clock = nullptr;              // stamps created_at; nullptr: the system clock
};

class SqliteRecordStore final : public RecordStore {
 public:
  // Opens or creates the store and runs pending migrations.
  static Result<std::unique_ptr<SqliteRecordStore>> open(const SqliteStoreOptions& options);
  ~SqliteRecordStore() override;

  // The schema version this binary writes.
  static int current_schema_version();

  Result<std::vector<InsertOutcome>> commit_batch(const StoreBatch& batch) override EXCLUDES(write_mutex_);
  Result<std::vector<std::optional<std::string>>> known_s3_etags(std::span<const std::string> keys) override;
  Result<std::vector<Rejection>> list_rejections(std::int64_t before, std::size_t limit) override;
  Result<std::int64_t> count_rejections() override;
  Result<std::optional<StoredRecord>> get(RecordId id) override;
  Result<std::optional<StoredRecord>> find_by_hash(std::string_view build_hash) override;
  Result<std::int64_t> count() override EXCLUDES(count_mutex_);
  Result<RecordId> last_id() override;
  Result<std::vector<StoredRecord>> read_after(RecordId after, std::size_t limit) override;
  Status check_health() override;
  std::string describe() const override;

  // The migration level of the open file (for tests and `buildhub --version`).
  Result<int> schema_version();

 private:
  struct Reader;
  class ReaderLease;
  SqliteRecordStore() = default;
  Status prepare_writer();
  Status remember_s3_object(const std::string& key, const std::string& etag, std::optional<RecordId> record_id,
                            const std::string& now) REQUIRES(write_mutex_);
  Result<ReaderLease> lease_reader() EXCLUDES(readers_mutex_);
  static Result<RecordId> watermark(Reader& reader);
  void give_back(Reader* reader) EXCLUDES(readers_mutex_);

  SqliteStoreOptions options_;
  const Clock* clock_ = nullptr;

  Mutex write_mutex_;
  sqlite::SqliteDb writer_ GUARDED_BY(write_mutex_);
  sqlite::Statement insert_ GUARDED_BY(write_mutex_);
  sqlite::Statement id_by_hash_writer_ GUARDED_BY(write_mutex_);
  sqlite::Statement upsert_s3_object_ GUARDED_BY(write_mutex_);
  sqlite::Statement insert_rejection_ GUARDED_BY(write_mutex_);

  Mutex readers_mutex_;
  CondVar reader_free_;
  std::vector<std::unique_ptr<Reader>> readers_ GUARDED_BY(readers_mutex_);
  std::vector<Reader*> idle_readers_ GUARDED_BY(readers_mutex_);

  // count() = counted_ + the records after counted_up_to_ (the store is append-only, and ids
  // become visible in order, so what was counted up to a watermark never changes).
  Mutex count_mutex_;
  RecordId counted_up_to_ GUARDED_BY(count_mutex_) = 0;
  std::int64_t counted_ GUARDED_BY(count_mutex_) = 0;
};

}  // namespace bh
