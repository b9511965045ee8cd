// The subcommands of the `buildhub` binary. Each registers its flags on the CLI11 app and
// returns the function that runs it once parsing has succeeded; that function returns the
// process exit code (see docs/operations.md).
//
// Configuration precedence for every flag: command line, then the BUILDHUB_* environment
// variable named in --help, then the default.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/partial_setup.h"
#include "app/queue_consumer.h"
#include "core/log.h"
#include "core/status.h"
#include "net/http_client.h"
#include "store/store_factory.h"

namespace bh::cli {

using CommandRunner = std::function<int()>;

// Flags shared by every command that uses the store.
struct StoreFlags {
  std::string data_dir = "./data";
  std::string database;    // a store URL; wins over data_dir when set
  bool fast_sync = false;  // SQLite synchronous=NORMAL
};
// `database_flag` names the store-URL flag: "--database" everywhere but where that name means
// another service's database (import-kinto: "--store").
void add_store_flags(CLI::App& cmd, StoreFlags& flags, const std::string& database_flag = "--database");
StoreRequest store_request(const StoreFlags& flags);
Result<std::unique_ptr<RecordStore>> open_store(const StoreFlags& flags);
// Where a command keeps its state by default (resume points, caches): beside the store (the data
// directory, a SQLite file's directory), "." for a server database.
std::filesystem::path state_directory(const StoreFlags& flags);

struct LogFlags {
  std::string level = "info";
};
void add_log_flags(CLI::App& cmd, LogFlags& flags);
std::shared_ptr<Logger> make_logger(const LogFlags& flags, std::string name);

// Flags of the S3-event daemon, shared by `daemon` and `serve --queue`.
struct QueueFlags {
  std::string queue_url;
  std::string s3_endpoint_url;
  bool no_sign_request = false;
  bool release_as_beta = false;
  unsigned jobs = 16;
  unsigned wait_seconds = 20;
  unsigned visibility_timeout = 0;
  bool v1_archive_events = false;
  std::string v1_archive_url = "https://archive.mozilla.org/";
  std::vector<std::string> v1_products = {"firefox", "thunderbird", "mobile", "devedition"};
  std::string v1_pending_file;  // default: STATE/v1/pending-archive-files.json
};
void add_queue_flags(CLI::App& cmd, QueueFlags& flags, bool required);
// `state` is where the v1 pending list is kept by default (state_directory of the store flags).
app::QueueConsumerConfig queue_config(const QueueFlags& flags, const std::filesystem::path& state);

// Flags of the partial service, shared by `serve` and `worker`.
struct PartialServiceFlags {
  int workers = -1;  // -1: automatic
  std::string cache_dir;
  std::uint64_t complete_cache_bytes = std::uint64_t{8} << 30;
  std::uint64_t partial_cache_bytes = std::uint64_t{8} << 30;
  std::uint64_t patch_cache_bytes = std::uint64_t{8} << 30;
  std::vector<std::string> allow_hosts;
  std::vector<std::string> allow_internal;
  std::uint64_t fetch_max_bytes = std::uint64_t{600} << 20;
  std::string url_template;
  std::uint64_t lease_ms = 30'000;
  std::uint64_t poll_ms = 500;
  std::uint64_t retry_pause_ms = 5'000;
  unsigned max_attempts = 3;
  std::uint64_t max_memory = std::uint64_t{768} << 20;
  std::string admin_token_file;
  std::vector<std::string> verify_keys;
};
void add_partial_flags(CLI::App& cmd, PartialServiceFlags& flags, bool serving);
Result<app::PartialConfig> partial_config(const PartialServiceFlags& flags);
// Tokens from a file (one per line; '#' comments) and a comma-separated environment variable;
// each at least 16 characters.
Result<std::vector<std::string>> read_tokens(const std::string& file, const char* env_name);

// CLI11 check of an archive base URL (v1's ARCHIVE_URL): http(s), ending in '/'. "" when good.
std::string check_archive_url(const std::string& url);

// Prints "buildhub: <message>" on stderr and returns the exit code of the status.
int report_failure(const Status& status);

// Flags of the outgoing HTTP client (S3, SQS, the archive), shared by backfill, daemon and
// inventory-to-records.
struct HttpFlags {
  unsigned max_attempts = 8;
  std::uint64_t connect_timeout_ms = 5'000;
  std::uint64_t timeout_ms = 60'000;
};
void add_http_flags(CLI::App& cmd, HttpFlags& flags);
net::HttpClientOptions http_options(const HttpFlags& flags, std::string service);

CommandRunner register_ingest(CLI::App& app);
CommandRunner register_demo_data(CLI::App& app);
CommandRunner register_serve(CLI::App& app);
CommandRunner register_worker(CLI::App& app);
CommandRunner register_diff(CLI::App& app);
CommandRunner register_patch(CLI::App& app);
CommandRunner register_partial(CLI::App& app);
CommandRunner register_apply(CLI::App& app);
CommandRunner register_backfill(CLI::App& app);
CommandRunner register_daemon(CLI::App& app);
CommandRunner register_inventory_to_records(CLI::App& app);
CommandRunner register_inventory(CLI::App& app);
CommandRunner register_import_kinto(CLI::App& app);

// `buildhub mar ARGS...`: parsed by hand (Mozilla's `mar` option grammar does not fit CLI11);
// `argv` is what follows "mar". Returns the exit code.
int run_mar_command(const std::vector<std::string_view>& argv);

}  // namespace bh::cli
