#include "store/store_factory.h"

#include <cctype>
#include <filesystem>

#include <fmt/format.h>

#include "store/memory/memory_record_store.h"
#include "store/sqlite/sqlite_job_store.h"
#include "store/sqlite/sqlite_record_store.h"

namespace bh {
namespace {

// The scheme of "scheme:rest" (RFC 3986 letters), or empty when `location` is a plain path.
std::string scheme_of(const std::string& location) {
  const std::size_t colon = location.find(':');
  if (colon == std::string::npos || colon == 0) return {};
  if (!std::isalpha(static_cast<unsigned char>(location[0]))) return {};
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = location[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
  }
  std::string s = location.substr(0, colon);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<std::unique_ptr<RecordStore>> open_sqlite(const std::filesystem::path& path, const StoreRequest& request) {
  SqliteStoreOptions options;
  options.path = path;
  options.synchronous_full = !request.fast_sync;
  options.clock = request.clock;
  BH_ASSIGN_OR_RETURN(auto store, SqliteRecordStore::open(options));
  return std::unique_ptr<RecordStore>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<RecordStore>> open_record_store(const StoreRequest& request) {
  const std::string& location = request.location;
  if (location.empty()) return fail(invalid_argument("no store location given (a data directory, sqlite:PATH or memory:)"));
  const std::string scheme = scheme_of(location);
  if (scheme.empty()) return open_sqlite(std::filesystem::path(location) / "buildhub.sqlite3", request);
  std::string rest = location.substr(scheme.size() + 1);
  if (scheme == "sqlite") {
    if (rest.starts_with("//")) rest.erase(0, 2);  // sqlite:///abs/path, sqlite://relative
    if (rest.empty()) return fail(invalid_argument("sqlite: needs a file path, e.g. sqlite:./data/buildhub.sqlite3"));
    return open_sqlite(rest, request);
  }
  if (scheme == "memory") {
    return std::unique_ptr<RecordStore>(
        std::make_unique<MemoryRecordStore>(request.clock != nullptr ? *request.clock : system_clock()));
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    return fail(invalid_argument("PostgreSQL stores are not available in this build of buildhub yet; use a data "
                                 "directory, sqlite:PATH or memory:"));
  }
  return fail(invalid_argument(fmt::format(
      "unknown store scheme '{}:' in '{}'; use a data directory, sqlite:PATH or memory: (write a directory whose name "
      "contains ':' as ./NAME)",
      scheme, location)));
}

Result<std::optional<std::filesystem::path>> store_directory(const StoreRequest& request) {
  const std::string& location = request.location;
  if (location.empty()) return fail(invalid_argument("no store location given (a data directory, sqlite:PATH or memory:)"));
  const std::string scheme = scheme_of(location);
  if (scheme.empty()) return std::optional<std::filesystem::path>(location);
  if (scheme == "memory") return std::optional<std::filesystem::path>();
  if (scheme == "sqlite") {
    std::string rest = location.substr(scheme.size() + 1);
    if (rest.starts_with("//")) rest.erase(0, 2);
    if (rest.empty()) return fail(invalid_argument("sqlite: needs a file path, e.g. sqlite:./data/buildhub.sqlite3"));
    const std::filesystem::path parent = std::filesystem::path(rest).parent_path();
    return std::optional<std::filesystem::path>(parent.empty() ? std::filesystem::path(".") : parent);
  }
  return fail(invalid_argument(fmt::format("the store '{}' keeps no files beside it", location)));
}

Result<std::unique_ptr<JobStore>> open_job_store(const StoreRequest& request) {
  BH_ASSIGN_OR_RETURN(auto directory, store_directory(request));
  BH_ASSIGN_OR_RETURN(auto store, SqliteJobStore::open(directory ? (*directory / "jobs.sqlite3").string() : ":memory:"));
  return std::unique_ptr<JobStore>(std::move(store));
}

int embedded_store_schema_version() { return SqliteRecordStore::current_schema_version(); }

}  // namespace bh
