// A thin RAII layer over the SQLite C API: a connection and prepared statements whose every
// failure becomes a Status. Not thread-safe: a SqliteDb and its statements are used by one
// thread at a time (the owner serialises access).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace bh::sqlite {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binding is 1-based, as in SQLite. Text is copied (SQLITE_TRANSIENT) only when asked;
  // bind_text_static requires the text to outlive the next step()/reset().
  Status bind_int64(int index, std::int64_t value);
  Status bind_text(int index, std::string_view value);
  Status bind_text_static(int index, std::string_view value);
  Status bind_optional_text(int index, const std::optional<std::string>& value);
  Status bind_optional_int64(int index, std::optional<std::int64_t> value);

  // Advances: true when a row is available, false when done.
  Result<bool> step();
  // Runs to completion, ignoring rows.
  Status run();
  void reset();

  std::int64_t column_int64(int col) const;
  std::string column_text(int col) const;
  std::optional<std::string> column_optional_text(int col) const;

 private:
  Status error(std::string_view what) const;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  // Opens (creating if needed) the database at `path`.
  static Result<SqliteDb> open(const std::string& path, bool read_only = false);

  SqliteDb() = default;
  ~SqliteDb();
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without results.
  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // Runs a query that yields one integer (e.g. COUNT(*), PRAGMA user_version).
  Result<std::int64_t> query_int64(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

}  // namespace bh::sqlite
