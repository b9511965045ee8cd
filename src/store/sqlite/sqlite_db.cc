#include "store/sqlite/sqlite_db.h"

#include <utility>

#include <fmt/format.h>
#include <sqlite3.h>

namespace bh::sqlite {
namespace {

Code code_for(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Code::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Code::kCorrupt;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG: return Code::kInvalidArgument;
    case SQLITE_NOMEM: return Code::kUnavailable;
    default: return Code::kIoError;
  }
}

}  // namespace

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Status Statement::error(std::string_view what) const {
  const int rc = sqlite3_extended_errcode(db_);
  return Status(code_for(rc), fmt::format("sqlite {}: {}", what, sqlite3_errmsg(db_)));
}

Status Statement::bind_int64(int index, std::int64_t value) {
  return sqlite3_bind_int64(stmt_, index, value) == SQLITE_OK ? Status::ok() : error("bind");
}

Status Statement::bind_text(int index, std::string_view value) {
  return sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8) == SQLITE_OK
             ? Status::ok()
             : error("bind");
}

Status Statement::bind_text_static(int index, std::string_view value) {
  return sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8) == SQLITE_OK
             ? Status::ok()
             : error("bind");
}

Status Statement::bind_optional_text(int index, const std::optional<std::string>& value) {
  if (!value) return sqlite3_bind_null(stmt_, index) == SQLITE_OK ? Status::ok() : error("bind");
  return bind_text_static(index, *value);
}

Status Statement::bind_optional_int64(int index, std::optional<std::int64_t> value) {
  if (!value) return sqlite3_bind_null(stmt_, index) == SQLITE_OK ? Status::ok() : error("bind");
  return bind_int64(index, *value);
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(error("step"));
}

Status Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) return Status::ok();
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::column_text(int col) const {
  const auto* text = sqlite3_column_text(stmt_, col);
  const int size = sqlite3_column_bytes(stmt_, col);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::column_optional_text(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return column_text(col);
}

Result<SqliteDb> SqliteDb::open(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail(Status(code_for(rc), fmt::format("cannot open {}: {}", path, msg)));
  }
  sqlite3_extended_result_codes(db, 1);
  return SqliteDb(db);
}

SqliteDb::~SqliteDb() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Status SqliteDb::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::ok();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return Status(code_for(rc), fmt::format("sqlite exec: {}", msg));
}

Result<Statement> SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                    nullptr);
  if (rc != SQLITE_OK) {
    return fail(Status(code_for(rc), fmt::format("sqlite prepare: {} in: {}", sqlite3_errmsg(db_), sql)));
  }
  return Statement(db_, stmt);
}

Result<std::int64_t> SqliteDb::query_int64(std::string_view sql) {
  BH_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
  BH_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return fail(internal_error(fmt::format("query returned no row: {}", sql)));
  return stmt.column_int64(0);
}

std::int64_t SqliteDb::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int SqliteDb::changes() const { return sqlite3_changes(db_); }

}  // namespace bh::sqlite
