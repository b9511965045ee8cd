#include "store/sqlite/sqlite_record_store.h"

#include "core/calendar.h"

#include <algorithm>
#include <chrono>
#include <system_error>

#include <fmt/format.h>

namespace bh {
namespace {

// Migrations, in order. Step N (1-based) brings the file from version N-1 to N. Never edit
// a step once released: add a new one.
constexpr std::string_view kMigrations[] = {
    // 1: the record table.
    R"sql(
CREATE TABLE builds (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  build_hash     TEXT NOT NULL UNIQUE,
  document       TEXT NOT NULL,
  metadata       TEXT NOT NULL DEFAULT '{}',
  created_at     TEXT NOT NULL,
  s3_object_key  TEXT,
  s3_object_etag TEXT
);
CREATE INDEX builds_s3_object_key ON builds (s3_object_key) WHERE s3_object_key IS NOT NULL;
)sql",
};

constexpr std::string_view kColumns =
    "id, build_hash, document, metadata, created_at, s3_object_key, s3_object_etag";

Status configure(sqlite::SqliteDb& db, const SqliteStoreOptions& options) {
  BH_RETURN_IF_ERROR(db.exec("PRAGMA busy_timeout = 10000;"));
  // Only takes effect on a new file. 16 KiB pages cut the write syscalls per commit ~4x; the
  // random inserts into the build_hash index dirty whole pages either way (docs/benchmarks.md).
  BH_RETURN_IF_ERROR(db.exec("PRAGMA page_size = 16384;"));
  BH_RETURN_IF_ERROR(db.exec("PRAGMA journal_mode = WAL;"));
  BH_RETURN_IF_ERROR(db.exec(options.synchronous_full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;"));
  BH_RETURN_IF_ERROR(db.exec(fmt::format("PRAGMA cache_size = -{};", options.cache_size_kib)));
  BH_RETURN_IF_ERROR(db.exec("PRAGMA temp_store = MEMORY;"));
  // Checkpoint every ~80 MB of WAL rather than every 4 MB: an index page rewritten by many
  // commits is then copied into the database once instead of once per commit.
  BH_RETURN_IF_ERROR(db.exec(fmt::format("PRAGMA wal_autocheckpoint = {};", options.wal_autocheckpoint_pages)));
  return Status::ok();
}

Status migrate(sqlite::SqliteDb& db) {
  BH_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE;"));
  auto rollback_on_error = [&](Status s) {
    if (!s.is_ok()) (void)db.exec("ROLLBACK;");
    return s;
  };
  Status s = db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);");
  if (!s.is_ok()) return rollback_on_error(s);
  auto rows = db.query_int64("SELECT COUNT(*) FROM schema_version;");
  if (!rows) return rollback_on_error(rows.error());
  if (*rows == 0) {
    s = db.exec("INSERT INTO schema_version (version) VALUES (0);");
    if (!s.is_ok()) return rollback_on_error(s);
  }
  auto version = db.query_int64("SELECT version FROM schema_version;");
  if (!version) return rollback_on_error(version.error());
  const auto known = static_cast<std::int64_t>(std::size(kMigrations));
  if (*version > known) {
    return rollback_on_error(conflict(fmt::format(
        "the store has schema version {}, newer than this buildhub knows ({}); use a newer buildhub", *version, known)));
  }
  for (std::int64_t v = *version; v < known; ++v) {
    s = db.exec(kMigrations[v]);
    if (!s.is_ok()) return rollback_on_error(s.with_context(fmt::format("migration {}", v + 1)));
    s = db.exec(fmt::format("UPDATE schema_version SET version = {};", v + 1));
    if (!s.is_ok()) return rollback_on_error(s);
  }
  return db.exec("COMMIT;");
}

StoredRecord row_to_record(const sqlite::Statement& stmt) {
  StoredRecord r;
  r.id = stmt.column_int64(0);
  r.build_hash = stmt.column_text(1);
  r.document = stmt.column_text(2);
  r.metadata = stmt.column_text(3);
  r.created_at = stmt.column_text(4);
  r.s3_object_key = stmt.column_optional_text(5);
  r.s3_object_etag = stmt.column_optional_text(6);
  return r;
}

}  // namespace

int SqliteRecordStore::current_schema_version() { return static_cast<int>(std::size(kMigrations)); }

Result<std::unique_ptr<SqliteRecordStore>> SqliteRecordStore::open(const SqliteStoreOptions& options) {
  std::error_code ec;
  const auto dir = options.path.parent_path();
  if (!dir.empty()) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(io_error(fmt::format("cannot create {}: {}", dir.string(), ec.message())));
  }
  std::unique_ptr<SqliteRecordStore> store(new SqliteRecordStore());
  store->path_ = options.path;
  BH_ASSIGN_OR_RETURN(store->writer_, sqlite::SqliteDb::open(options.path.string()));
  BH_RETURN_IF_ERROR(configure(store->writer_, options));
  BH_RETURN_IF_ERROR(migrate(store->writer_));
  BH_ASSIGN_OR_RETURN(store->reader_, sqlite::SqliteDb::open(options.path.string()));
  SqliteStoreOptions reader_options = options;
  reader_options.cache_size_kib = std::min<std::int64_t>(options.cache_size_kib, 64 * 1024);
  BH_RETURN_IF_ERROR(configure(store->reader_, reader_options));
  BH_RETURN_IF_ERROR(store->prepare_statements());
  return store;
}

Status SqliteRecordStore::prepare_statements() {
  BH_ASSIGN_OR_RETURN(insert_, writer_.prepare(
      "INSERT INTO builds (build_hash, document, metadata, created_at, s3_object_key, s3_object_etag) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (build_hash) DO NOTHING;"));
  BH_ASSIGN_OR_RETURN(id_by_hash_writer_, writer_.prepare("SELECT id FROM builds WHERE build_hash = ?1;"));
  BH_ASSIGN_OR_RETURN(get_by_id_, reader_.prepare(fmt::format("SELECT {} FROM builds WHERE id = ?1;", kColumns)));
  BH_ASSIGN_OR_RETURN(get_by_hash_,
                      reader_.prepare(fmt::format("SELECT {} FROM builds WHERE build_hash = ?1;", kColumns)));
  BH_ASSIGN_OR_RETURN(read_after_, reader_.prepare(fmt::format(
      "SELECT {} FROM builds WHERE id > ?1 ORDER BY id LIMIT ?2;", kColumns)));
  BH_ASSIGN_OR_RETURN(count_, reader_.prepare("SELECT COUNT(*) FROM builds;"));
  BH_ASSIGN_OR_RETURN(data_version_, reader_.prepare("PRAGMA data_version;"));
  return Status::ok();
}

Result<std::vector<InsertOutcome>> SqliteRecordStore::insert_batch(std::span<const NewRecord> records) {
  std::vector<InsertOutcome> outcomes;
  outcomes.reserve(records.size());
  if (records.empty()) return outcomes;
  const std::string created_at = format_utc(std::chrono::system_clock::now(), 6);

  std::lock_guard lock(write_mutex_);
  BH_RETURN_IF_ERROR(writer_.exec("BEGIN IMMEDIATE;"));
  auto abort = [&](Status s) -> Result<std::vector<InsertOutcome>> {
    insert_.reset();
    id_by_hash_writer_.reset();
    (void)writer_.exec("ROLLBACK;");
    return fail(std::move(s));
  };
  for (const NewRecord& r : records) {
    insert_.reset();
    Status s = insert_.bind_text_static(1, r.build_hash);
    if (s.is_ok()) s = insert_.bind_text_static(2, r.document);
    if (s.is_ok()) s = insert_.bind_text_static(3, r.metadata);
    if (s.is_ok()) s = insert_.bind_text_static(4, created_at);
    if (s.is_ok()) s = insert_.bind_optional_text(5, r.s3_object_key);
    if (s.is_ok()) s = insert_.bind_optional_text(6, r.s3_object_etag);
    if (s.is_ok()) s = insert_.run();
    if (!s.is_ok()) return abort(s.with_context("inserting " + r.build_hash));
    if (writer_.changes() == 1) {
      outcomes.push_back({InsertKind::kInserted, writer_.last_insert_rowid()});
      continue;
    }
    id_by_hash_writer_.reset();
    s = id_by_hash_writer_.bind_text_static(1, r.build_hash);
    if (!s.is_ok()) return abort(s);
    auto row = id_by_hash_writer_.step();
    if (!row) return abort(row.error());
    if (!*row) return abort(internal_error("conflicting record vanished: " + r.build_hash));
    outcomes.push_back({InsertKind::kAlreadyPresent, id_by_hash_writer_.column_int64(0)});
  }
  insert_.reset();
  id_by_hash_writer_.reset();
  Status commit = writer_.exec("COMMIT;");
  if (!commit.is_ok()) return abort(commit);
  return outcomes;
}

Result<std::optional<StoredRecord>> SqliteRecordStore::read_one(sqlite::Statement& stmt) {
  auto row = stmt.step();
  if (!row) {
    stmt.reset();
    return fail(row.error());
  }
  std::optional<StoredRecord> out;
  if (*row) out = row_to_record(stmt);
  stmt.reset();
  return out;
}

Result<std::optional<StoredRecord>> SqliteRecordStore::get(RecordId id) {
  std::lock_guard lock(read_mutex_);
  BH_RETURN_IF_ERROR(get_by_id_.bind_int64(1, id));
  return read_one(get_by_id_);
}

Result<std::optional<StoredRecord>> SqliteRecordStore::find_by_hash(std::string_view build_hash) {
  std::lock_guard lock(read_mutex_);
  BH_RETURN_IF_ERROR(get_by_hash_.bind_text_static(1, build_hash));
  return read_one(get_by_hash_);
}

Result<std::int64_t> SqliteRecordStore::count() {
  std::lock_guard lock(read_mutex_);
  auto version_row = data_version_.step();
  if (!version_row) {
    data_version_.reset();
    return fail(version_row.error());
  }
  const std::int64_t version = data_version_.column_int64(0);
  data_version_.reset();
  if (version == cached_data_version_ && cached_count_ >= 0) return cached_count_;
  auto row = count_.step();
  if (!row) {
    count_.reset();
    return fail(row.error());
  }
  const std::int64_t n = *row ? count_.column_int64(0) : 0;
  count_.reset();
  cached_count_ = n;
  cached_data_version_ = version;
  return n;
}

Result<std::vector<StoredRecord>> SqliteRecordStore::read_after(RecordId after, std::size_t limit) {
  std::lock_guard lock(read_mutex_);
  std::vector<StoredRecord> out;
  BH_RETURN_IF_ERROR(read_after_.bind_int64(1, after));
  BH_RETURN_IF_ERROR(read_after_.bind_int64(2, static_cast<std::int64_t>(limit)));
  while (true) {
    auto row = read_after_.step();
    if (!row) {
      read_after_.reset();
      return fail(row.error());
    }
    if (!*row) break;
    out.push_back(row_to_record(read_after_));
  }
  read_after_.reset();
  return out;
}

Status SqliteRecordStore::check_health() {
  std::lock_guard lock(read_mutex_);
  auto v = reader_.query_int64("SELECT version FROM schema_version;");
  if (!v) return v.error();
  if (*v != current_schema_version()) {
    return conflict(fmt::format("schema version {} but this binary expects {}", *v, current_schema_version()));
  }
  return Status::ok();
}

Result<int> SqliteRecordStore::schema_version() {
  std::lock_guard lock(read_mutex_);
  BH_ASSIGN_OR_RETURN(std::int64_t v, reader_.query_int64("SELECT version FROM schema_version;"));
  return static_cast<int>(v);
}

std::string SqliteRecordStore::describe() const { return "sqlite:" + path_.string(); }

}  // namespace bh
