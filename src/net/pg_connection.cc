#include "net/pg_connection.h"

#include <libpq-fe.h>

#include <fmt/format.h>

namespace bh::net {
namespace {

std::string trimmed(const char* message) {
  std::string out = message != nullptr ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

Result<PgConnection> PgConnection::connect(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return fail(unavailable("PostgreSQL: out of memory"));
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return fail(unavailable(fmt::format("connecting to PostgreSQL at {}: {}", redact_conninfo(conninfo), message)));
  }
  return PgConnection(conn);
}

PgConnection::PgConnection(PgConnection&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = other.conn_;
    other.conn_ = nullptr;
  }
  return *this;
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Result<PgRows> PgConnection::query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  PGresult* result = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr,
                                  nullptr, 0);
  std::unique_ptr<PGresult, void (*)(PGresult*)> owned(result, PQclear);
  if (result == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    return fail(unavailable(fmt::format("PostgreSQL: {}", trimmed(PQerrorMessage(conn_)))));
  }
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    return fail(invalid_argument(fmt::format("PostgreSQL: {} (SQLSTATE {})", trimmed(PQresultErrorMessage(result)),
                                             state != nullptr ? state : "?")));
  }
  PgRows rows;
  const int columns = PQnfields(result);
  for (int c = 0; c < columns; ++c) rows.columns.emplace_back(PQfname(result, c));
  const int count = PQntuples(result);
  rows.rows.reserve(static_cast<std::size_t>(count));
  for (int r = 0; r < count; ++r) {
    std::vector<std::optional<std::string>> row;
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(result, r, c), static_cast<std::size_t>(PQgetlength(result, r, c))));
      }
    }
    rows.rows.push_back(std::move(row));
  }
  return rows;
}

std::string redact_conninfo(std::string_view conninfo) {
  // URL form: scheme://user:password@host...
  const std::size_t scheme = conninfo.find("://");
  if (scheme != std::string_view::npos) {
    const std::size_t at = conninfo.find('@', scheme + 3);
    const std::size_t colon = conninfo.find(':', scheme + 3);
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      return std::string(conninfo.substr(0, colon + 1)) + "***" + std::string(conninfo.substr(at));
    }
    return std::string(conninfo);
  }
  // key=value form: password=... hidden.
  std::string out(conninfo);
  for (std::size_t at = out.find("password="); at != std::string::npos; at = out.find("password=", at + 1)) {
    const std::size_t start = at + 9;
    std::size_t end = out.find(' ', start);
    if (end == std::string::npos) end = out.size();
    out.replace(start, end - start, "***");
  }
  return out;
}

}  // namespace bh::net
