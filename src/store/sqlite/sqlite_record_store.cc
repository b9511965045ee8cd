#include "store/sqlite/sqlite_record_store.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "core/calendar.h"

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
    // 2: what each S3 key held when last read (so a listing skips unchanged keys, including the
    // keys of rejected documents), and the rejections log.
    R"sql(
CREATE TABLE s3_objects (
  key        TEXT PRIMARY KEY,
  etag       TEXT NOT NULL,
  record_id  INTEGER REFERENCES builds (id),
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT OR REPLACE INTO s3_objects (key, etag, record_id, updated_at)
  SELECT s3_object_key, trim(s3_object_etag, '"'), id, created_at FROM builds
  WHERE s3_object_key IS NOT NULL AND s3_object_etag IS NOT NULL ORDER BY id;
CREATE TABLE rejections (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at     TEXT NOT NULL,
  source         TEXT NOT NULL,
  origin         TEXT NOT NULL,
  s3_object_key  TEXT,
  s3_object_etag TEXT,
  reason         TEXT NOT NULL
);
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

Rejection row_to_rejection(const sqlite::Statement& stmt) {
  Rejection r;
  r.id = stmt.column_int64(0);
  r.created_at = stmt.column_text(1);
  r.source = stmt.column_text(2);
  r.origin = stmt.column_text(3);
  r.s3_object_key = stmt.column_optional_text(4);
  r.s3_object_etag = stmt.column_optional_text(5);
  r.reason = stmt.column_text(6);
  return r;
}

// Every row of a bound statement, through `to_row`; the statement is reset either way.
template <typename Row>
Result<std::vector<Row>> collect_rows(sqlite::Statement& stmt, Row (*to_row)(const sqlite::Statement&)) {
  std::vector<Row> out;
  while (true) {
    auto row = stmt.step();
    if (!row) {
      stmt.reset();
      return fail(row.error());
    }
    if (!*row) break;
    out.push_back(to_row(stmt));
  }
  stmt.reset();
  return out;
}

// One read connection and its statements. Used by one thread at a time (leased from the pool).
struct ReaderStatements {
  sqlite::Statement get_by_id;
  sqlite::Statement get_by_hash;
  sqlite::Statement read_after;
  sqlite::Statement count_between;
  sqlite::Statement last_id;
  sqlite::Statement data_version;
  sqlite::Statement s3_etag;
  sqlite::Statement rejections_before;
  sqlite::Statement count_rejections;
};

Result<std::optional<StoredRecord>> read_one(sqlite::Statement& stmt) {
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

Result<std::int64_t> one_int(sqlite::Statement& stmt) {
  auto row = stmt.step();
  const std::int64_t v = row && *row ? stmt.column_int64(0) : 0;
  stmt.reset();
  if (!row) return fail(row.error());
  return v;
}

}  // namespace

struct SqliteRecordStore::Reader {
  sqlite::SqliteDb db;
  ReaderStatements statements;
  // The watermark this connection last read, and SQLite's data_version when it did: the
  // version changes only when some connection (ours or another process's) commits, so an
  // unchanged version means an unchanged watermark, without a B-tree lookup.
  std::int64_t seen_data_version = -1;
  RecordId seen_watermark = 0;
};

// The watermark through one read connection (which the caller holds).
Result<RecordId> SqliteRecordStore::watermark(Reader& reader) {
  BH_ASSIGN_OR_RETURN(const std::int64_t version, one_int(reader.statements.data_version));
  if (version != reader.seen_data_version) {
    BH_ASSIGN_OR_RETURN(reader.seen_watermark, one_int(reader.statements.last_id));
    reader.seen_data_version = version;
  }
  return reader.seen_watermark;
}

// Returns its connection to the pool when destroyed.
class SqliteRecordStore::ReaderLease {
 public:
  ReaderLease(SqliteRecordStore* store, Reader* reader) : store_(store), reader_(reader) {}
  ReaderLease(ReaderLease&& other) noexcept : store_(other.store_), reader_(std::exchange(other.reader_, nullptr)) {}
  ReaderLease& operator=(ReaderLease&&) = delete;
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;
  ~ReaderLease() {
    if (reader_ != nullptr) store_->give_back(reader_);
  }
  Reader& operator*() const { return *reader_; }
  Reader* operator->() const { return reader_; }

 private:
  SqliteRecordStore* store_;
  Reader* reader_;
};

int SqliteRecordStore::current_schema_version() { return static_cast<int>(std::size(kMigrations)); }

SqliteRecordStore::~SqliteRecordStore() = default;

Result<std::unique_ptr<SqliteRecordStore>> SqliteRecordStore::open(const SqliteStoreOptions& options) {
  std::error_code ec;
  const auto dir = options.path.parent_path();
  if (!dir.empty()) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(io_error(fmt::format("cannot create {}: {}", dir.string(), ec.message())));
  }
  std::unique_ptr<SqliteRecordStore> store(new SqliteRecordStore());
  store->options_ = options;
  store->options_.max_readers = std::max<std::size_t>(options.max_readers, 1);
  store->clock_ = options.clock != nullptr ? options.clock : &system_clock();
  {
    MutexLock lock(store->write_mutex_);
    BH_ASSIGN_OR_RETURN(store->writer_, sqlite::SqliteDb::open(options.path.string()));
    BH_RETURN_IF_ERROR(configure(store->writer_, options));
    BH_RETURN_IF_ERROR(migrate(store->writer_));
  }
  BH_RETURN_IF_ERROR(store->prepare_writer());
  // One reader now, so a file that cannot be read fails the open rather than the first query.
  { BH_ASSIGN_OR_RETURN(ReaderLease first, store->lease_reader()); }
  return store;
}

Status SqliteRecordStore::prepare_writer() {
  MutexLock lock(write_mutex_);
  BH_ASSIGN_OR_RETURN(insert_, writer_.prepare(
      "INSERT INTO builds (build_hash, document, metadata, created_at, s3_object_key, s3_object_etag) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (build_hash) DO NOTHING;"));
  BH_ASSIGN_OR_RETURN(id_by_hash_writer_, writer_.prepare("SELECT id FROM builds WHERE build_hash = ?1;"));
  BH_ASSIGN_OR_RETURN(upsert_s3_object_, writer_.prepare(
      "INSERT INTO s3_objects (key, etag, record_id, updated_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, record_id = excluded.record_id, "
      "updated_at = excluded.updated_at;"));
  BH_ASSIGN_OR_RETURN(insert_rejection_, writer_.prepare(
      "INSERT INTO rejections (created_at, source, origin, s3_object_key, s3_object_etag, reason) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6);"));
  return Status::ok();
}

Result<SqliteRecordStore::ReaderLease> SqliteRecordStore::lease_reader() {
  {
    MutexLock lock(readers_mutex_);
    while (idle_readers_.empty() && readers_.size() >= options_.max_readers) reader_free_.wait(lock);
    if (!idle_readers_.empty()) {
      Reader* r = idle_readers_.back();
      idle_readers_.pop_back();
      return ReaderLease(this, r);
    }
    readers_.push_back(nullptr);  // a slot held while the connection opens outside the lock
  }
  auto opened = [&]() -> Result<std::unique_ptr<Reader>> {
    auto reader = std::make_unique<Reader>();
    BH_ASSIGN_OR_RETURN(reader->db, sqlite::SqliteDb::open(options_.path.string()));
    SqliteStoreOptions reader_options = options_;
    reader_options.cache_size_kib = std::min<std::int64_t>(options_.cache_size_kib, 64 * 1024);
    BH_RETURN_IF_ERROR(configure(reader->db, reader_options));
    ReaderStatements& st = reader->statements;
    BH_ASSIGN_OR_RETURN(st.get_by_id, reader->db.prepare(fmt::format("SELECT {} FROM builds WHERE id = ?1;", kColumns)));
    BH_ASSIGN_OR_RETURN(st.get_by_hash,
                        reader->db.prepare(fmt::format("SELECT {} FROM builds WHERE build_hash = ?1;", kColumns)));
    BH_ASSIGN_OR_RETURN(st.read_after, reader->db.prepare(fmt::format(
        "SELECT {} FROM builds WHERE id > ?1 ORDER BY id LIMIT ?2;", kColumns)));
    BH_ASSIGN_OR_RETURN(st.count_between, reader->db.prepare("SELECT COUNT(*) FROM builds WHERE id > ?1 AND id <= ?2;"));
    BH_ASSIGN_OR_RETURN(st.last_id, reader->db.prepare("SELECT COALESCE(MAX(id), 0) FROM builds;"));
    BH_ASSIGN_OR_RETURN(st.data_version, reader->db.prepare("PRAGMA data_version;"));
    BH_ASSIGN_OR_RETURN(st.s3_etag, reader->db.prepare("SELECT etag FROM s3_objects WHERE key = ?1;"));
    BH_ASSIGN_OR_RETURN(st.rejections_before, reader->db.prepare(
        "SELECT id, created_at, source, origin, s3_object_key, s3_object_etag, reason FROM rejections "
        "WHERE id < ?1 ORDER BY id DESC LIMIT ?2;"));
    BH_ASSIGN_OR_RETURN(st.count_rejections, reader->db.prepare("SELECT COUNT(*) FROM rejections;"));
    return reader;
  }();
  MutexLock lock(readers_mutex_);
  auto slot = std::find(readers_.begin(), readers_.end(), nullptr);
  if (!opened) {
    readers_.erase(slot);
    reader_free_.notify_one();
    return fail(opened.error());
  }
  *slot = std::move(*opened);
  return ReaderLease(this, slot->get());
}

void SqliteRecordStore::give_back(Reader* reader) {
  MutexLock lock(readers_mutex_);
  idle_readers_.push_back(reader);
  reader_free_.notify_one();
}

Result<std::vector<InsertOutcome>> SqliteRecordStore::commit_batch(const StoreBatch& batch) {
  const std::span<const NewRecord> records = batch.records;
  std::vector<InsertOutcome> outcomes;
  outcomes.reserve(records.size());
  if (records.empty() && batch.rejections.empty()) return outcomes;
  const std::string created_at = format_utc(clock_->wall_now(), 6);

  MutexLock lock(write_mutex_);
  BH_RETURN_IF_ERROR(writer_.exec("BEGIN IMMEDIATE;"));
  auto abort = [&](Status s) REQUIRES(write_mutex_) -> Result<std::vector<InsertOutcome>> {
    insert_.reset();
    id_by_hash_writer_.reset();
    upsert_s3_object_.reset();
    insert_rejection_.reset();
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
    } else {
      id_by_hash_writer_.reset();
      s = id_by_hash_writer_.bind_text_static(1, r.build_hash);
      if (!s.is_ok()) return abort(s);
      auto row = id_by_hash_writer_.step();
      if (!row) return abort(row.error());
      if (!*row) return abort(internal_error("conflicting record vanished: " + r.build_hash));
      outcomes.push_back({InsertKind::kAlreadyPresent, id_by_hash_writer_.column_int64(0)});
    }
    if (r.s3_object_key && r.s3_object_etag) {
      s = remember_s3_object(*r.s3_object_key, *r.s3_object_etag, outcomes.back().id, created_at);
      if (!s.is_ok()) return abort(s.with_context("remembering " + *r.s3_object_key));
    }
  }
  for (const Rejection& r : batch.rejections) {
    insert_rejection_.reset();
    Status s = insert_rejection_.bind_text_static(1, created_at);
    if (s.is_ok()) s = insert_rejection_.bind_text_static(2, r.source);
    if (s.is_ok()) s = insert_rejection_.bind_text_static(3, r.origin);
    if (s.is_ok()) s = insert_rejection_.bind_optional_text(4, r.s3_object_key);
    if (s.is_ok()) s = insert_rejection_.bind_optional_text(5, r.s3_object_etag);
    if (s.is_ok()) s = insert_rejection_.bind_text_static(6, r.reason);
    if (s.is_ok()) s = insert_rejection_.run();
    if (!s.is_ok()) return abort(s.with_context("recording a rejection of " + r.origin));
    if (r.s3_object_key && r.s3_object_etag) {
      s = remember_s3_object(*r.s3_object_key, *r.s3_object_etag, std::nullopt, created_at);
      if (!s.is_ok()) return abort(s.with_context("remembering " + *r.s3_object_key));
    }
  }
  insert_.reset();
  id_by_hash_writer_.reset();
  upsert_s3_object_.reset();
  insert_rejection_.reset();
  Status commit = writer_.exec("COMMIT;");
  if (!commit.is_ok()) return abort(commit);
  return outcomes;
}

Status SqliteRecordStore::remember_s3_object(const std::string& key, const std::string& etag,
                                             std::optional<RecordId> record_id, const std::string& now) {
  upsert_s3_object_.reset();
  Status s = upsert_s3_object_.bind_text_static(1, key);
  if (s.is_ok()) s = upsert_s3_object_.bind_text_static(2, etag);
  if (s.is_ok()) s = upsert_s3_object_.bind_optional_int64(3, record_id);
  if (s.is_ok()) s = upsert_s3_object_.bind_text_static(4, now);
  if (s.is_ok()) s = upsert_s3_object_.run();
  return s;
}

Result<std::vector<std::optional<std::string>>> SqliteRecordStore::known_s3_etags(std::span<const std::string> keys) {
  BH_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  sqlite::Statement& stmt = reader->statements.s3_etag;
  std::vector<std::optional<std::string>> out;
  out.reserve(keys.size());
  // One read transaction, so the answers are one snapshot and the lookups share its locks.
  BH_RETURN_IF_ERROR(reader->db.exec("BEGIN;"));
  for (const std::string& key : keys) {
    stmt.reset();
    Status s = stmt.bind_text_static(1, key);
    auto row = s.is_ok() ? stmt.step() : Result<bool>(fail(s));
    if (!row) {
      stmt.reset();
      (void)reader->db.exec("ROLLBACK;");
      return fail(row.error());
    }
    out.push_back(*row ? stmt.column_optional_text(0) : std::nullopt);
  }
  stmt.reset();
  BH_RETURN_IF_ERROR(reader->db.exec("COMMIT;"));
  return out;
}

Result<std::vector<Rejection>> SqliteRecordStore::list_rejections(std::int64_t before, std::size_t limit) {
  BH_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  sqlite::Statement& stmt = reader->statements.rejections_before;
  BH_RETURN_IF_ERROR(stmt.bind_int64(1, before > 0 ? before : std::numeric_limits<std::int64_t>::max()));
  BH_RETURN_IF_ERROR(stmt.bind_int64(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000))));
  return collect_rows(stmt, row_to_rejection);
}

Result<std::int64_t> SqliteRecordStore::count_rejections() {
  BH_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  return one_int(reader->statements.count_rejections);
}

Result<std::optional<StoredRecord>> SqliteRecordStore::get(RecordId id) {
  BH_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  BH_RETURN_IF_ERROR(reader->statements.get_by_id.bind_int64(1, id));
  return read_one(reader->statements.get_by_id);
}

Result<std::optional<StoredRecord>> SqliteRecordStore::find_by_hash(std::string_view build_hash) {
  BH_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  BH_RETURN_IF_ERROR(reader->statements.get_by_hash.bind_text_static(1, build_hash));
  return read_one(reader->statements.get_by_hash);
}

Result<RecordId> SqliteRecordStore::last_id() {
  BH_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  return watermark(*reader);
}

Result<std::int64_t> SqliteRecordStore::count() {
  BH_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  BH_ASSIGN_OR_RETURN(const RecordId watermark, this->watermark(*reader));
  RecordId from = 0;
  std::int64_t base = 0;
  {
    MutexLock lock(count_mutex_);
    if (watermark == counted_up_to_) return counted_;  // nothing new: one index lookup
    from = counted_up_to_;
    base = counted_;
  }
  // Every id up to the watermark is visible and never changes, so the records in (from,
  // watermark] are counted exactly whatever commits meanwhile.
  sqlite::Statement& between = reader->statements.count_between;
  BH_RETURN_IF_ERROR(between.bind_int64(1, from));
  BH_RETURN_IF_ERROR(between.bind_int64(2, watermark));
  BH_ASSIGN_OR_RETURN(const std::int64_t added, one_int(between));
  MutexLock lock(count_mutex_);
  if (watermark > counted_up_to_) {
    counted_up_to_ = watermark;
    counted_ = base + added;
  }
  return base + added;
}

Result<std::vector<StoredRecord>> SqliteRecordStore::read_after(RecordId after, std::size_t limit) {
  BH_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  sqlite::Statement& stmt = reader->statements.read_after;
  BH_RETURN_IF_ERROR(stmt.bind_int64(1, after));
  BH_RETURN_IF_ERROR(stmt.bind_int64(2, static_cast<std::int64_t>(limit)));
  return collect_rows(stmt, row_to_record);
}

Status SqliteRecordStore::check_health() {
  BH_ASSIGN_OR_RETURN(int v, schema_version());
  if (v != current_schema_version()) {
    return conflict(fmt::format("schema version {} but this binary expects {}", v, current_schema_version()));
  }
  return Status::ok();
}

Result<int> SqliteRecordStore::schema_version() {
  BH_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  BH_ASSIGN_OR_RETURN(std::int64_t v, reader->db.query_int64("SELECT version FROM schema_version;"));
  return static_cast<int>(v);
}

std::string SqliteRecordStore::describe() const { return "sqlite:" + options_.path.string(); }

}  // namespace bh
