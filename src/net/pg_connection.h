// A PostgreSQL connection through libpq, for what buildhub reads from another service's database
// (Kinto's records table, buildhub-reference §1.8). Parameters are sent apart from the SQL text
// (PQexecParams), never spliced into it; results come back as text.
//
// Connection strings: libpq's own (postgresql://user@host:port/db?sslmode=..., or key=value).
//
// Failure: a refused or lost connection is kUnavailable with libpq's message (the password is
// never part of it); an SQL error is kInvalidArgument with the server's message and SQLSTATE.
//
// Ownership: owns its PGconn. Thread safety: one thread at a time per connection.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct pg_conn;

namespace bh::net {

// Rows of text columns; nullopt for SQL NULL.
struct PgRows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

class PgConnection {
 public:
  static Result<PgConnection> connect(const std::string& conninfo);
  PgConnection(PgConnection&&) noexcept;
  PgConnection& operator=(PgConnection&&) noexcept;
  ~PgConnection();

  Result<PgRows> query(const std::string& sql, const std::vector<std::string>& params = {});

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_ = nullptr;
};

// "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db", for logs.
std::string redact_conninfo(std::string_view conninfo);

}  // namespace bh::net
