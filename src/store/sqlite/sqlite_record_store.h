// The embedded RecordStore: one SQLite file in WAL mode.
//
// Layout (docs/formats.md has the full schema and its changelog):
//   schema_version(version)            one row: the migration level of the file
//   builds(id, build_hash UNIQUE, document, metadata, created_at, s3_object_key, s3_object_etag)
//
// Opening a file migrates it forward, in one transaction per step; a file written by a newer
// buildhub (a higher schema version than this binary knows) is refused rather than guessed at.
//
// Thread safety: safe for concurrent use. Writes go through one connection under a mutex
// (SQLite has one writer anyway); reads use a second connection so they are not blocked by a
// long write transaction. Several processes may open the same file (WAL), e.g. `buildhub
// ingest` while `buildhub serve` runs.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

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
};

class SqliteRecordStore final : public RecordStore {
 public:
  // Opens or creates the store and runs pending migrations.
  static Result<std::unique_ptr<SqliteRecordStore>> open(const SqliteStoreOptions& options);

  // The schema version this binary writes.
  static int current_schema_version();

  Result<std::vector<InsertOutcome>> insert_batch(std::span<const NewRecord> records) override;
  Result<std::optional<StoredRecord>> get(RecordId id) override;
  Result<std::optional<StoredRecord>> find_by_hash(std::string_view build_hash) override;
  Result<std::int64_t> count() override;
  Result<std::vector<StoredRecord>> read_after(RecordId after, std::size_t limit) override;
  Status check_health() override;
  std::string describe() const override;

  // The migration level of the open file (for tests and `buildhub --version`).
  Result<int> schema_version();

 private:
  SqliteRecordStore() = default;
  Status prepare_statements();
  Result<std::optional<StoredRecord>> read_one(sqlite::Statement& stmt);

  std::filesystem::path path_;

  std::mutex write_mutex_;
  sqlite::SqliteDb writer_;
  sqlite::Statement insert_;
  sqlite::Statement id_by_hash_writer_;

  std::mutex read_mutex_;
  sqlite::SqliteDb reader_;
  sqlite::Statement get_by_id_;
  sqlite::Statement get_by_hash_;
  sqlite::Statement read_after_;
  sqlite::Statement count_;
  sqlite::Statement data_version_;
  // COUNT(*) scans an index (~1 ms per million records); it is recomputed only when
  // PRAGMA data_version says another connection (our writer or another process) committed.
  std::int64_t cached_count_ = -1;
  std::int64_t cached_data_version_ = -1;
};

}  // namespace bh
