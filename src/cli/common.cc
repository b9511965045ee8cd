#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"

namespace bh::cli {

void add_store_flags(CLI::App& cmd, StoreFlags& flags) {
  cmd.add_option("--data-dir", flags.data_dir, "Directory of the embedded store (created if missing)")
      ->envname("BUILDHUB_DATA_DIR")
      ->capture_default_str();
  cmd.add_option("--database", flags.database,
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

}  // namespace bh::cli
