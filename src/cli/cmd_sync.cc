// `buildhub backfill` and `buildhub daemon`: the hub kept in sync with an S3 archive.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/queue_consumer.h"
#include "cli/commands.h"
#include "cli/progress_line.h"
#include "cli/signals.h"
#include "core/file_io.h"
#include "core/version.h"
#include "ingest/backfill.h"
#include "net/s3_client.h"
#include "record/schema_validator.h"
#include "server/http_server.h"
#include "server/ops_routes.h"
#include "server/router.h"
#include "server/url.h"

namespace bh::cli {
namespace {

std::string ingest_metadata(const char* source) {
  const VersionInfo v = version_info();
  return nlohmann::json{{"version", std::string(v.version)}, {"commit", std::string(v.commit)}, {"source", source}}
      .dump();
}

// ---- backfill ----

struct BackfillFlags {
  StoreFlags store;
  LogFlags log;
  HttpFlags http;
  std::string bucket;
  std::string prefix;
  std::string endpoint_url;
  bool no_sign_request = false;
  bool resume = false;
  bool dry_run = false;
  unsigned jobs = 32;
  std::string state_file;
  std::string metrics_file;
  std::size_t max_document_bytes = 1 << 20;
  bool json_summary = false;
  bool quiet = false;
};

class CliBackfillObserver final : public BackfillObserver {
 public:
  explicit CliBackfillObserver(bool progress) : line_(progress) {}
  void on_page(const BackfillCounts& c) override {
    const double rate = c.seconds > 0 ? static_cast<double>(c.listed) / c.seconds : 0;
    line_.draw(fmt::format("{} keys listed ({:.0f}/s), {} matched, {} unchanged, {} downloaded, {} inserted, {} present, {} rejected",
                           c.listed, rate, c.matched, c.unchanged, c.downloaded, c.inserted, c.already_present, c.rejected));
  }
  void on_rejected(const std::string& origin, const Status& reason) override {
    line_.clear();
    std::fprintf(stderr, "rejected %s: %s\n", origin.c_str(), reason.message().c_str());
  }
  void on_missing(const std::string& key, const Status& reason) override {
    line_.clear();
    std::fprintf(stderr, "missing %s (skipped): %s\n", key.c_str(), reason.message().c_str());
  }
  void clear() { line_.clear(); }

 private:
  ProgressLine line_;
};

int run_backfill_command(const BackfillFlags& flags) {
  StopOnSignals signals;
  auto logger = make_logger(flags.log, "backfill");
  auto location = net::parse_bucket_url(flags.bucket, net::s3_defaults_from_environment(flags.endpoint_url));
  if (!location) return report_failure(location.error().with_context("--bucket"));
  if (!flags.prefix.empty()) location->prefix += flags.prefix;
  auto store = open_store(flags.store);
  if (!store) return report_failure(store.error());
  auto validator = SchemaValidator::create_builtin();
  if (!validator) return report_failure(validator.error());
  MetricsRegistry metrics;
  net::HttpClient http(http_options(flags.http, "s3"), &metrics, logger);
  const auto credentials = flags.no_sign_request ? std::nullopt : net::credentials_from_environment();
  net::S3Client s3(http, *location, credentials);
  Executor executor(ExecutorOptions{});
  BackfillOptions options;
  options.jobs = flags.jobs;
  options.resume = flags.resume;
  options.dry_run = flags.dry_run;
  options.limits.max_document_bytes = flags.max_document_bytes;
  options.metadata = ingest_metadata("backfill");
  options.state_file = flags.state_file.empty() ? default_backfill_state_file(state_directory(flags.store), *location)
                                                : std::filesystem::path(flags.state_file);
  logger->info("backfill starting", {{"bucket", location->describe()},
                                     {"endpoint", location->endpoint},
                                     {"signed", credentials.has_value()},
                                     {"resume", flags.resume},
                                     {"state_file", options.state_file.string()},
                                     {"jobs", flags.jobs}});
  CliBackfillObserver observer(!flags.quiet && ::isatty(STDERR_FILENO) != 0);
  auto counts = run_backfill({.s3 = s3,
                              .store = **store,
                              .validator = **validator,
                              .executor = executor,
                              .metrics = metrics,
                              .clock = system_clock()},
                             options, observer, signals.token());
  observer.clear();
  if (!flags.metrics_file.empty()) {
    if (Status s = write_file_atomically(flags.metrics_file, metrics.render_prometheus()); !s) {
      logger->error("writing the metrics file failed", {{"error", s.to_string()}});
    }
  }
  if (!counts) return report_failure(counts.error());
  const BackfillCounts& c = *counts;
  const nlohmann::json summary = {{"bucket", location->describe()},
                                  {"pages", c.pages},
                                  {"listed", c.listed},
                                  {"matched", c.matched},
                                  {"unchanged", c.unchanged},
                                  {"to_download", c.to_download},
                                  {"downloaded", c.downloaded},
                                  {"missing", c.missing},
                                  {"inserted", c.inserted},
                                  {"already_present", c.already_present},
                                  {"rejected", c.rejected},
                                  {"resumed", c.resumed},
                                  {"resumed_after", c.resumed_after},
                                  {"seconds", c.seconds},
                                  {"keys_per_second", c.seconds > 0 ? static_cast<double>(c.listed) / c.seconds : 0.0}};
  if (flags.json_summary) {
    std::printf("%s\n", summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (!flags.quiet || c.rejected > 0) {
    std::fprintf(stderr,
                 "backfill: %llu keys listed, %llu matched, %llu unchanged, %llu downloaded, %llu inserted, "
                 "%llu already present, %llu rejected, %llu missing in %.2f s\n",
                 static_cast<unsigned long long>(c.listed), static_cast<unsigned long long>(c.matched),
                 static_cast<unsigned long long>(c.unchanged), static_cast<unsigned long long>(c.downloaded),
                 static_cast<unsigned long long>(c.inserted), static_cast<unsigned long long>(c.already_present),
                 static_cast<unsigned long long>(c.rejected), static_cast<unsigned long long>(c.missing), c.seconds);
  }
  return c.rejected > 0 ? exit_code(Code::kInvalidArgument) : 0;
}

// ---- daemon ----

struct DaemonFlags {
  StoreFlags store;
  LogFlags log;
  HttpFlags http;
  QueueFlags queue;
  std::string listen;
  std::size_t max_document_bytes = 1 << 20;
};


int run_daemon_command(const DaemonFlags& flags) {
  StopOnSignals signals;
  auto logger = make_logger(flags.log, "daemon");
  auto store = open_store(flags.store);
  if (!store) return report_failure(store.error());
  auto validator = SchemaValidator::create_builtin();
  if (!validator) return report_failure(validator.error());
  MetricsRegistry metrics;
  Executor executor(ExecutorOptions{});
  app::QueueConsumerConfig config = queue_config(flags.queue, state_directory(flags.store));
  config.http = http_options(flags.http, "sqs");
  config.max_document_bytes = flags.max_document_bytes;
  auto consumer = app::QueueConsumer::create(config, **store, **validator, executor, metrics, logger);
  if (!consumer) return report_failure(consumer.error());
  // /metrics and /__heartbeat__ for the daemon alone, when asked.
  std::unique_ptr<Router> router;
  std::vector<std::unique_ptr<RouteModule>> modules;
  std::unique_ptr<HttpServer> server;
  if (!flags.listen.empty()) {
    auto listen = parse_host_port(flags.listen);
    if (!listen) return report_failure(listen.error().with_context("--listen"));
    router = std::make_unique<Router>(metrics, system_clock());
    RecordStore& s = **store;
    modules.push_back(make_ops_routes({.checks = {{"store", [&s] { return s.check_health(); }}},
                                       .metrics = metrics,
                                       .version = version_info(),
                                       .logger = logger}));
    for (auto& m : modules) m->register_routes(*router);
    HttpServerOptions options;
    options.host = listen->host;
    options.port = listen->port;
    options.handle_signals = false;
    options.access_log = false;
    auto started = HttpServer::start(
        options, [&router](HttpRequest r, Responder respond) { router->dispatch(std::move(r), std::move(respond)); },
        logger, metrics);
    if (!started) return report_failure(started.error());
    server = std::move(*started);
    logger->info("metrics listening", {{"port", server->port()}});
  }
  const Status s = (*consumer)->run(signals.token());
  if (server) {
    server->request_stop();
    server->wait();
  }
  const SqsDaemonCounts c = (*consumer)->counts();
  logger->info("daemon stopped", {{"messages", c.messages},
                                  {"deleted", c.deleted},
                                  {"kept", c.kept},
                                  {"inserted", c.inserted},
                                  {"already_present", c.not_inserted},
                                  {"rejected", c.rejected},
                                  {"missing", c.missing}});
  if (!s) return report_failure(s);
  return 0;
}

}  // namespace

void add_queue_flags(CLI::App& cmd, QueueFlags& flags, bool required) {
  auto* queue = cmd.add_option("--queue", flags.queue_url,
                               "SQS queue of the archive bucket's S3 events "
                               "(https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, or an SQS-compatible server's URL)")
                    ->envname("BUILDHUB_SQS_QUEUE_URL");
  if (required) queue->required();
  cmd.add_option("--s3-endpoint-url", flags.s3_endpoint_url,
                 "Read the buckets the events name from this S3-compatible server (path-style) instead of AWS")
      ->envname("BUILDHUB_S3_ENDPOINT_URL");
  cmd.add_flag("--no-sign-request", flags.no_sign_request,
               "Read S3 objects unsigned (public buckets), even when AWS credentials are set")
      ->envname("BUILDHUB_S3_NO_SIGN_REQUEST");
  cmd.add_flag("--release-as-beta", flags.release_as_beta,
               "Also insert every Firefox release-channel record a second time with channel beta, as Buildhub2 did "
               "(off by default: it confused users)")
      ->envname("BUILDHUB_RELEASE_AS_BETA");
  cmd.add_option("--queue-jobs", flags.jobs, "Downloads in flight for one batch of messages")
      ->envname("BUILDHUB_SQS_JOBS")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  cmd.add_option("--wait-seconds", flags.wait_seconds, "Long-poll time of each ReceiveMessage (0-20)")
      ->envname("BUILDHUB_SQS_WAIT_SECONDS")
      ->check(CLI::Range(0u, 20u))
      ->capture_default_str();
  cmd.add_option("--visibility-timeout", flags.visibility_timeout,
                 "Seconds a received message stays hidden while it is processed (0: the queue's own)")
      ->envname("BUILDHUB_SQS_VISIBILITY_TIMEOUT")
      ->check(CLI::Range(0u, 43'200u))
      ->capture_default_str();
  cmd.add_flag("--v1-archive-events", flags.v1_archive_events,
               "Also make records from the archive bucket's own events with Buildhub v1's rules (build files, "
               "release-candidate and nightly metadata files); files announced before their metadata are remembered")
      ->envname("BUILDHUB_V1_ARCHIVE_EVENTS");
  cmd.add_option("--v1-archive-url", flags.v1_archive_url, "The archive the events' keys are on (v1's ARCHIVE_URL)")
      ->envname("BUILDHUB_ARCHIVE_URL")
      ->check(check_archive_url)
      ->capture_default_str();
  cmd.add_option("--v1-products", flags.v1_products, "Product folders under pub/ whose events count (v1's PRODUCTS)")
      ->envname("BUILDHUB_PRODUCTS")
      ->delimiter(',')
      ->capture_default_str();
  cmd.add_option("--v1-pending-file", flags.v1_pending_file,
                 "Where build files waiting for their metadata are remembered (default: DATA_DIR/v1/pending-archive-files.json)")
      ->envname("BUILDHUB_V1_PENDING_FILE");
}

app::QueueConsumerConfig queue_config(const QueueFlags& flags, const std::filesystem::path& state) {
  app::QueueConsumerConfig c;
  c.queue_url = flags.queue_url;
  c.s3_endpoint_url = flags.s3_endpoint_url;
  c.sign_s3 = !flags.no_sign_request;
  c.release_as_beta = flags.release_as_beta;
  c.jobs = flags.jobs;
  c.wait = std::chrono::seconds(flags.wait_seconds);
  if (flags.visibility_timeout > 0) c.visibility = std::chrono::seconds(flags.visibility_timeout);
  c.http.service = "sqs";
  if (flags.v1_archive_events) {
    c.v1_events = app::V1EventsConfig{
        .archive_url = flags.v1_archive_url,
        .products = flags.v1_products,
        .pending_file = flags.v1_pending_file.empty() ? state / "v1" / "pending-archive-files.json"
                                                      : std::filesystem::path(flags.v1_pending_file)};
  }
  return c;
}

CommandRunner register_backfill(CLI::App& app) {
  auto flags = std::make_shared<BackfillFlags>();
  CLI::App* cmd = app.add_subcommand(
      "backfill",
      "List an S3 bucket and ingest every buildhub.json in it (Buildhub2's backfill).\n"
      "Keys whose key and ETag are already known are skipped; invalid documents are rejections\n"
      "(GET /api/rejections), never a stopped run; the exit code is 3 when any were rejected.\n"
      "Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN); none: unsigned.");
  add_store_flags(*cmd, flags->store);
  add_log_flags(*cmd, flags->log);
  add_http_flags(*cmd, flags->http);
  cmd->add_option("--bucket", flags->bucket,
                  "s3://BUCKET[/PREFIX], https://s3-REGION.amazonaws.com/BUCKET (Buildhub2's form), or "
                  "http(s)://HOST:PORT/BUCKET for an S3-compatible server")
      ->envname("BUILDHUB_BACKFILL_BUCKET")
      ->required();
  cmd->add_option("--prefix", flags->prefix, "Only keys starting with this (after the URL's own prefix)")
      ->envname("BUILDHUB_BACKFILL_PREFIX");
  cmd->add_option("--endpoint-url", flags->endpoint_url,
                  "Send the requests to this S3-compatible server (path-style), whatever the bucket URL's host")
      ->envname("BUILDHUB_S3_ENDPOINT_URL");
  cmd->add_flag("--no-sign-request", flags->no_sign_request, "Unsigned requests (public buckets), even with credentials set")
      ->envname("BUILDHUB_S3_NO_SIGN_REQUEST");
  cmd->add_flag("--resume", flags->resume,
                "Continue after the last fully processed listing page of the previous run over this bucket and prefix");
  cmd->add_flag("--dry-run", flags->dry_run,
                "List and compare with the store only: report how many keys a run would download (to_download); "
                "nothing is downloaded, stored or remembered");
  cmd->add_option("--jobs", flags->jobs, "Downloads in flight")
      ->envname("BUILDHUB_BACKFILL_JOBS")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  cmd->add_option("--state-file", flags->state_file,
                  "Where the resume point is kept (default: DATA_DIR/backfill/<bucket>-<hash>.json)")
      ->envname("BUILDHUB_BACKFILL_STATE_FILE");
  cmd->add_option("--metrics-file", flags->metrics_file,
                  "Write the run's metrics here at the end, in Prometheus text format (node_exporter's textfile "
                  "collector reads it)")
      ->envname("BUILDHUB_BACKFILL_METRICS_FILE");
  cmd->add_option("--max-document-bytes", flags->max_document_bytes, "Larger objects are rejected without being read")
      ->envname("BUILDHUB_MAX_DOCUMENT_BYTES")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30))
      ->capture_default_str();
  cmd->add_flag("--json", flags->json_summary, "Print the summary as JSON on stdout");
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress line and no summary unless something was rejected");
  return [flags] { return run_backfill_command(*flags); };
}

CommandRunner register_daemon(CLI::App& app) {
  auto flags = std::make_shared<DaemonFlags>();
  CLI::App* cmd = app.add_subcommand(
      "daemon",
      "Ingest the buildhub.json files an S3 bucket announces through SQS (Buildhub2's daemon).\n"
      "Messages are deleted once every record in them is handled; invalid documents and poison\n"
      "messages are rejections (GET /api/rejections); others failing stay for the queue's redrive\n"
      "policy. SIGTERM finishes the messages in hand. `serve --queue` runs the same inside the server.");
  add_store_flags(*cmd, flags->store);
  add_log_flags(*cmd, flags->log);
  add_http_flags(*cmd, flags->http);
  add_queue_flags(*cmd, flags->queue, true);
  cmd->add_option("--listen", flags->listen, "Serve /metrics and /__heartbeat__ on HOST:PORT (default: not at all)")
      ->envname("BUILDHUB_DAEMON_LISTEN");
  cmd->add_option("--max-document-bytes", flags->max_document_bytes, "Larger objects are rejected without being read")
      ->envname("BUILDHUB_MAX_DOCUMENT_BYTES")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30))
      ->capture_default_str();
  return [flags] { return run_daemon_command(*flags); };
}

}  // namespace bh::cli
