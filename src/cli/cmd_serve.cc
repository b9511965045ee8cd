// `buildhub serve`: the HTTP API on the embedded store.
#include <chrono>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/file_io.h"
#include "core/metrics.h"
#include "core/version.h"
#include "ingest/demo_data.h"
#include "ingest/pipeline.h"
#include "record/schema_validator.h"
#include "server/api.h"
#include "server/http_server.h"
#include "server/url.h"

namespace bh::cli {
namespace {

struct ServeFlags {
  StoreFlags store;
  LogFlags log;
  std::string listen = "127.0.0.1:8000";
  std::string port_file;
  std::uint64_t demo_records = 0;
  std::uint64_t demo_seed = 1;
  unsigned io_threads = 0;
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t read_timeout_ms = 30'000;
  std::uint64_t drain_timeout_ms = 10'000;
  std::size_t max_connections = 10'000;
  bool no_access_log = false;
  std::size_t max_search_size = 1000;
};

int run_serve(const ServeFlags& flags) {
  auto logger = make_logger(flags.log, "server");
  HttpServerOptions options;
  auto listen = parse_host_port(flags.listen);
  if (!listen) return report_failure(listen.error().with_context("--listen"));
  options.host = listen->host;
  options.port = listen->port;
  options.io_threads = flags.io_threads;
  options.max_body_bytes = flags.max_body_bytes;
  options.max_header_bytes = flags.max_header_bytes;
  options.read_timeout = std::chrono::milliseconds(flags.read_timeout_ms);
  options.drain_timeout = std::chrono::milliseconds(flags.drain_timeout_ms);
  options.max_connections = flags.max_connections;
  options.access_log = !flags.no_access_log;

  auto store = open_store(flags.store);
  if (!store) return report_failure(store.error());
  MetricsRegistry metrics;

  if (flags.demo_records > 0) {
    auto count = (*store)->count();
    if (!count) return report_failure(count.error());
    if (*count == 0) {
      auto validator = SchemaValidator::create_builtin();
      if (!validator) return report_failure(validator.error());
      logger->info("empty store: adding demo records", {{"records", flags.demo_records}, {"seed", flags.demo_seed}});
      IngestOptions ingest_options;
      ingest_options.metadata = R"({"source":"demo-data"})";
      IngestPipeline pipeline(**store, **validator, ingest_options);
      DemoDataSource source(flags.demo_seed, flags.demo_records);
      IngestObserver quiet;
      auto summary = pipeline.run(source, quiet);
      if (!summary) return report_failure(summary.error());
      logger->info("demo records added", {{"summary", summary->to_string()}});
    }
  }

  search::SearchLimits limits;
  limits.max_size = flags.max_search_size;
  search::SearchService search(**store, limits);
  {
    const auto started = std::chrono::steady_clock::now();
    if (Status s = search.refresh(); !s.is_ok()) return report_failure(s.with_context("building the search index"));
    const auto stats = search.stats();
    logger->info("search index built",
                 {{"records", stats.documents},
                  {"index_bytes", stats.index_bytes},
                  {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
  }

  const VersionInfo version = version_info();
  ApiServices services{**store, search, metrics, logger, version};
  std::unique_ptr<Router> router = make_api_router(services);
  auto server = HttpServer::start(
      options, [&router](const HttpRequest& request) { return router->dispatch(request); }, logger, metrics);
  if (!server) return report_failure(server.error());
  const std::uint16_t port = (*server)->port();
  logger->info("listening", {{"url", fmt::format("http://{}:{}", options.host.find(':') != std::string::npos
                                                                       ? "[" + options.host + "]"
                                                                       : options.host,
                                                 port)},
                             {"port", port},
                             {"store", (*store)->describe()},
                             {"version", std::string(version.version)}});
  if (!flags.port_file.empty()) {
    if (Status s = write_file_atomically(flags.port_file, std::to_string(port) + "\n"); !s.is_ok()) {
      (*server)->request_stop();
      (*server)->wait();
      return report_failure(s);
    }
  }
  (*server)->wait();
  logger->info("stopped");
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
  cmd->add_option("--max-body-bytes", flags->max_body_bytes, "Largest request body accepted (413 beyond)")
      ->envname("BUILDHUB_MAX_BODY_BYTES")
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", flags->max_header_bytes, "Largest request header accepted (431 beyond)")
      ->envname("BUILDHUB_MAX_HEADER_BYTES")
      ->capture_default_str();
  cmd->add_option("--read-timeout-ms", flags->read_timeout_ms,
                  "Time allowed to receive a whole request, and to stay idle between requests")
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
  cmd->add_flag("--no-access-log", flags->no_access_log, "Do not log every request")
      ->envname("BUILDHUB_NO_ACCESS_LOG");
  return [flags] { return run_serve(*flags); };
}

}  // namespace bh::cli
