// `buildhub serve`: flags into a ServeConfig; src/app/serve.cc builds and runs everything.
#include "app/serve.h"
#include "cli/commands.h"
#include "server/url.h"

#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "core/file_io.h"

namespace bh::cli {
namespace {

struct ServeFlags {
  StoreFlags store;
  LogFlags log;
  std::string listen = "127.0.0.1:8000";
  std::string port_file;
  std::string web_dir;
  std::uint64_t demo_records = 0;
  std::uint64_t demo_seed = 1;
  unsigned io_threads = 0;
  unsigned cpu_budget = 0;
  std::uint64_t memory_budget = 0;
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t read_timeout_ms = 30'000;
  std::uint64_t drain_timeout_ms = 10'000;
  std::size_t max_connections = 10'000;
  bool no_access_log = false;
  std::size_t max_search_size = 1000;
  std::size_t max_buckets = 100'000;
  std::uint64_t max_search_time_ms = 10'000;
  std::size_t max_pending_searches = 64;
  std::uint64_t index_poll_ms = 250;
  std::string push_token_file;
  std::size_t max_document_bytes = 1 << 20;
  QueueFlags queue;
  PartialServiceFlags partials;
};

int run_serve(const ServeFlags& flags) {
  auto logger = make_logger(flags.log, "server");
  auto listen = parse_host_port(flags.listen);
  if (!listen) return report_failure(listen.error().with_context("--listen"));
  app::ServeConfig config;
  config.store = store_request(flags.store);
  config.http.host = listen->host;
  config.http.port = listen->port;
  config.http.io_threads = flags.io_threads;
  config.http.max_body_bytes = flags.max_body_bytes;
  config.http.max_header_bytes = flags.max_header_bytes;
  config.http.read_timeout = std::chrono::milliseconds(flags.read_timeout_ms);
  config.http.drain_timeout = std::chrono::milliseconds(flags.drain_timeout_ms);
  config.http.max_connections = flags.max_connections;
  config.http.access_log = !flags.no_access_log;
  config.port_file = flags.port_file;
  config.demo = {flags.demo_records, flags.demo_seed};
  config.cpu_budget = flags.cpu_budget;
  config.memory_budget = flags.memory_budget;
  config.search.limits.max_size = flags.max_search_size;
  config.search.limits.max_buckets = flags.max_buckets;
  config.search.max_search_time = std::chrono::milliseconds(flags.max_search_time_ms);
  config.search.poll_interval = std::chrono::milliseconds(flags.index_poll_ms);
  config.max_pending_searches = flags.max_pending_searches;
  auto tokens = read_tokens(flags.push_token_file, "BUILDHUB_PUSH_TOKENS");
  if (!tokens) return report_failure(tokens.error().with_context("--push-token-file"));
  config.push_tokens = std::move(*tokens);
  config.max_document_bytes = flags.max_document_bytes;
  config.web_dir = flags.web_dir;
  if (!flags.queue.queue_url.empty()) {
    config.queue = queue_config(flags.queue, state_directory(flags.store));
    config.queue->max_document_bytes = flags.max_document_bytes;
  }
  auto partials = partial_config(flags.partials);
  if (!partials) return report_failure(partials.error());
  config.partials = std::move(*partials);
  if (Status s = app::run_serve(config, logger); !s) return report_failure(s);
  return 0;
}

}  // namespace

CommandRunner register_serve(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the HTTP API and web page on the store.");
  add_store_flags(*cmd, flags->store);
  add_log_flags(*cmd, flags->log);
  cmd->add_option("--listen", flags->listen, "HOST:PORT, [IPV6]:PORT or PORT (on 127.0.0.1) to listen on; port 0: any free port")
      ->envname("BUILDHUB_LISTEN")
      ->capture_default_str();
  cmd->add_option("--port-file", flags->port_file, "Write the bound port to this file once listening")
      ->envname("BUILDHUB_PORT_FILE");
  cmd->add_option("--demo-records", flags->demo_records,
                  "On start with an empty store, first add this many demo records")
      ->envname("BUILDHUB_DEMO_RECORDS")
      ->capture_default_str();
  cmd->add_option("--demo-seed", flags->demo_seed, "Seed of the demo records")
      ->envname("BUILDHUB_DEMO_SEED")
      ->capture_default_str();
  cmd->add_option("--io-threads", flags->io_threads, "Threads serving connections (0: one per core)")
      ->envname("BUILDHUB_IO_THREADS")
      ->capture_default_str();
  cmd->add_option("--cpu-budget", flags->cpu_budget,
                  "Worker threads for searches and other CPU work (0: one per core); connections are served apart")
      ->envname("BUILDHUB_CPU_BUDGET")
      ->capture_default_str();
  cmd->add_option("--memory-budget", flags->memory_budget,
                  "Bytes that large jobs (binary diffs) may hold at once; more waits (0: no limit)")
      ->envname("BUILDHUB_MEMORY_BUDGET")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", flags->max_body_bytes, "Largest request body accepted (413 beyond)")
      ->envname("BUILDHUB_MAX_BODY_BYTES")
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", flags->max_header_bytes, "Largest request header accepted (431 beyond)")
      ->envname("BUILDHUB_MAX_HEADER_BYTES")
      ->capture_default_str();
  cmd->add_option("--read-timeout-ms", flags->read_timeout_ms,
                  "Time allowed to receive a whole request, to stay idle between requests, and for an answer being sent to make progress")
      ->envname("BUILDHUB_READ_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000}))
      ->capture_default_str();
  cmd->add_option("--drain-timeout-ms", flags->drain_timeout_ms,
                  "On SIGTERM/SIGINT, how long requests in flight may take to finish")
      ->envname("BUILDHUB_DRAIN_TIMEOUT_MS")
      ->capture_default_str();
  cmd->add_option("--max-connections", flags->max_connections, "Open connections beyond this are closed at once")
      ->envname("BUILDHUB_MAX_CONNECTIONS")
      ->capture_default_str();
  cmd->add_option("--max-search-size", flags->max_search_size, "Largest `size` a search may ask for (400 beyond)")
      ->envname("BUILDHUB_MAX_SEARCH_SIZE")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}))
      ->capture_default_str();
  cmd->add_option("--max-buckets", flags->max_buckets,
                  "Aggregation buckets one search may answer with, counted at every level; more is a 400 "
                  "too_many_buckets_exception")
      ->envname("BUILDHUB_MAX_BUCKETS")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  cmd->add_option("--max-search-time-ms", flags->max_search_time_ms,
                  "A search stops after this long and answers with what it found and \"timed_out\": true; a "
                  "request's own \"timeout\" may only be shorter")
      ->envname("BUILDHUB_MAX_SEARCH_TIME_MS")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000}))
      ->capture_default_str();
  cmd->add_option("--max-pending-searches", flags->max_pending_searches,
                  "Searches running or queued at once; more are answered 429 with Retry-After")
      ->envname("BUILDHUB_MAX_PENDING_SEARCHES")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  cmd->add_option("--index-poll-ms", flags->index_poll_ms,
                  "How often the search index looks for records stored by other processes (this process's are "
                  "searchable at once)")
      ->envname("BUILDHUB_INDEX_POLL_MS")
      ->check(CLI::Range(std::uint64_t{10}, std::uint64_t{3'600'000}))
      ->capture_default_str();
  cmd->add_option("--push-token-file", flags->push_token_file,
                  "Bearer tokens that may POST /api/builds, one per line (BUILDHUB_PUSH_TOKENS adds comma-separated "
                  "ones); without any, pushing is refused with 401")
      ->envname("BUILDHUB_PUSH_TOKEN_FILE");
  cmd->add_option("--max-document-bytes", flags->max_document_bytes,
                  "Largest buildhub.json accepted from a push or an S3 event (413 / rejection beyond)")
      ->envname("BUILDHUB_MAX_DOCUMENT_BYTES")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30))
      ->capture_default_str();
  add_queue_flags(*cmd, flags->queue, false);
  add_partial_flags(*cmd, flags->partials, true);
  cmd->add_option("--web-dir", flags->web_dir,
                  "Serve the web page from this directory (the repository's web/), read again on every request; "
                  "without it, the page compiled into the binary")
      ->envname("BUILDHUB_WEB_DIR")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--no-access-log", flags->no_access_log, "Do not log every request")
      ->envname("BUILDHUB_NO_ACCESS_LOG");
  return [flags] { return run_serve(*flags); };
}

}  // namespace bh::cli
