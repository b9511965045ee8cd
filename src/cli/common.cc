#include <algorithm>
#include <cstdio>
#include <string_view>

#include <fmt/format.h>

#include "cli/commands.h"

namespace bh::cli {

void add_store_flags(CLI::App& cmd, StoreFlags& flags, const std::string& database_flag) {
  cmd.add_option("--data-dir", flags.data_dir, "Directory of the embedded store (created if missing)")
      ->envname("BUILDHUB_DATA_DIR")
      ->capture_default_str();
  cmd.add_option(database_flag, flags.database,
                 "The store as a URL, instead of --data-dir: sqlite:PATH (a SQLite file) or memory: (nothing kept)")
      ->envname("BUILDHUB_DATABASE");
  cmd.add_flag("--fast-sync", flags.fast_sync,
               "Commit without waiting for the disk (survives a process crash, not a power cut)")
      ->envname("BUILDHUB_FAST_SYNC");
}

StoreRequest store_request(const StoreFlags& flags) {
  StoreRequest request;
  request.location = flags.database.empty() ? flags.data_dir : flags.database;
  request.fast_sync = flags.fast_sync;
  return request;
}

Result<std::unique_ptr<RecordStore>> open_store(const StoreFlags& flags) { return open_record_store(store_request(flags)); }

void add_log_flags(CLI::App& cmd, LogFlags& flags) {
  cmd.add_option("--log-level", flags.level, "debug, info, warn, error or off")
      ->envname("BUILDHUB_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
}

std::shared_ptr<Logger> make_logger(const LogFlags& flags, std::string name) {
  LogLevel level = LogLevel::kInfo;
  parse_log_level(flags.level, level);
  return Logger::to_stderr(std::move(name), level);
}

int report_failure(const Status& status) {
  std::fprintf(stderr, "buildhub: %s\n", status.message().c_str());
  return exit_code(status.code());
}

void add_http_flags(CLI::App& cmd, HttpFlags& flags) {
  cmd.add_option("--max-attempts", flags.max_attempts,
                 "Attempts per request on connection errors, timeouts, 429 and 5xx (jittered exponential backoff)")
      ->envname("BUILDHUB_HTTP_MAX_ATTEMPTS")
      ->check(CLI::Range(1u, 100u))
      ->capture_default_str();
  cmd.add_option("--connect-timeout-ms", flags.connect_timeout_ms, "Time allowed to connect")
      ->envname("BUILDHUB_HTTP_CONNECT_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{600'000}))
      ->capture_default_str();
  cmd.add_option("--timeout-ms", flags.timeout_ms, "Time allowed for one attempt of a request")
      ->envname("BUILDHUB_HTTP_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000}))
      ->capture_default_str();
}

net::HttpClientOptions http_options(const HttpFlags& flags, std::string service) {
  net::HttpClientOptions o;
  o.service = std::move(service);
  o.max_attempts = flags.max_attempts;
  o.connect_timeout = std::chrono::milliseconds(flags.connect_timeout_ms);
  o.total_timeout = std::chrono::milliseconds(flags.timeout_ms);
  o.stall_timeout = std::min(o.total_timeout, std::chrono::milliseconds(20'000));
  o.backoff_base = std::chrono::milliseconds(250);
  return o;
}

std::filesystem::path state_directory(const StoreFlags& store) {
  if (store.database.empty()) return store.data_dir;
  constexpr std::string_view kSqlite = "sqlite:";
  if (std::string_view(store.database).starts_with(kSqlite)) {
    std::string path = store.database.substr(kSqlite.size());
    while (path.starts_with("///")) path.erase(0, 2);  // sqlite:///abs/path
    const auto parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
  }
  return ".";
}

std::string check_archive_url(const std::string& url) {
  if (!(url.starts_with("http://") || url.starts_with("https://")) || !url.ends_with("/")) {
    return "must be an http:// or https:// URL ending in /";
  }
  return {};
}

}  // namespace bh::cli
