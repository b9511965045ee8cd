#include "app/serve.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "core/metrics.h"
#include "core/version.h"
#include "server/ingest_routes.h"
#include "server/kinto_routes.h"
#include "server/ops_routes.h"
#include "server/page_routes.h"
#include "server/partial_routes.h"
#include "server/records_routes.h"
#include "server/route_module.h"
#include "server/router.h"
#include "server/search_routes.h"

namespace bh::app {
namespace {

std::string url_of(const std::string& host, std::uint16_t port) {
  return fmt::format("http://{}:{}", host.find(':') != std::string::npos ? "[" + host + "]" : host, port);
}

// Everything `serve` runs, declared in the order it is built. Destruction runs backwards; the
// parts that answer requests from other threads are stopped explicitly first (shutdown()).
class ServeApp {
 public:
  ServeApp(const ServeConfig& config, std::shared_ptr<Logger> logger)
      : config_(config), logger_(std::move(logger)), executor_({.cpu_budget = config.cpu_budget,
                                                                .memory_budget = config.memory_budget,
                                                                .thread_name = "bh-worker",
                                                                .nice_increment = 5}) {}

  Status start() {
    BH_ASSIGN_OR_RETURN(auto store, open_record_store(config_.store));
    store_ = std::make_unique<NotifyingRecordStore>(std::move(store));
    BH_RETURN_IF_ERROR(seed());
    BH_RETURN_IF_ERROR(start_search());
    BH_ASSIGN_OR_RETURN(validator_, SchemaValidator::create_builtin());
    BH_RETURN_IF_ERROR(start_partials());
    BH_RETURN_IF_ERROR(register_modules());
    auto server = HttpServer::start(
        config_.http, [this](HttpRequest r, Responder respond) { router_->dispatch(std::move(r), std::move(respond)); },
        logger_, metrics_, clock_);
    if (!server) return server.error();
    server_ = std::move(*server);
    logger_->info("listening", {{"url", url_of(config_.http.host, server_->port())},
                                {"port", server_->port()},
                                {"store", store_->describe()},
                                {"cpu_budget", executor_.cpu_budget()},
                                {"version", std::string(version_info().version)}});
    if (config_.queue) {
      BH_ASSIGN_OR_RETURN(queue_, QueueConsumer::create(*config_.queue, *store_, *validator_, executor_, metrics_,
                                                        logger_->child("sqs")));
      queue_->start();
    }
    if (!config_.port_file.empty()) {
      BH_RETURN_IF_ERROR(write_file_atomically(config_.port_file, std::to_string(server_->port()) + "\n"));
    }
    return Status::ok();
  }

  void wait() { server_->wait(); }

  // Answers in flight come from the executor and need the server: finish them before anything
  // they use goes, then stop the follower before the store closes.
  void shutdown() {
    if (server_) {
      server_->request_stop();
      server_->wait();
    }
    if (queue_) queue_->stop();
    if (partials_.service) partials_.service->stop();
    executor_.shutdown();
    if (search_) search_->stop_following();
  }
  ~ServeApp() { shutdown(); }

 private:
  Status seed() {
    auto seeded = seed_demo_records_if_empty(*store_, executor_, config_.demo);
    if (!seeded) return seeded.error();
    if (*seeded) {
      logger_->info("empty store: demo records added",
                    {{"records", config_.demo.records}, {"seed", config_.demo.seed}, {"summary", (*seeded)->to_string()}});
    }
    return Status::ok();
  }

  Status start_search() {
    search_ = std::make_unique<search::SearchService>(*store_, executor_, clock_, config_.search);
    const auto started = clock_.monotonic_now();
    if (Status s = search_->load(); !s) return s.with_context("building the search index");
    const auto stats = search_->stats();
    logger_->info("search index built",
                  {{"records", stats.documents},
                   {"index_bytes", stats.index_bytes},
                   {"seconds", std::chrono::duration<double>(clock_.monotonic_now() - started).count()}});
    store_->add_listener([search = search_.get()](RecordId id) { search->notify_stored(id); });
    Gauge& documents = metrics_.gauge("buildhub_search_index_documents", "Records in the search index");
    Counter& followed = metrics_.counter("buildhub_search_index_followed_total",
                                         "Records the index follower added after start-up");
    Counter& errors = metrics_.counter("buildhub_search_index_follow_errors_total",
                                       "Failed attempts of the index follower to read the store");
    documents.set(static_cast<double>(stats.documents));
    search::FollowerEvents events;
    events.on_error = [this, &errors](const Status& s) {
      errors.inc();
      logger_->error("search index follower failed", {{"error", s.to_string()}});
    };
    events.on_caught_up = [&documents, &followed](std::size_t records, std::chrono::nanoseconds,
                                                   const search::IndexStats& now) {
      followed.inc(records);
      documents.set(static_cast<double>(now.documents));
    };
    search_->start_following(std::move(events));
    return Status::ok();
  }

  Status start_partials() {
    auto search = [this](const std::string& body) -> Result<std::string> {
      BH_ASSIGN_OR_RETURN(search::SearchAnswer answer, search_->search({.body = body, .params = {}, .received = {}}));
      return std::move(answer.body);
    };
    BH_ASSIGN_OR_RETURN(partials_, build_partial_stack(config_.store, config_.partials, executor_, metrics_,
                                                       logger_->child("partials"), search));
    const unsigned workers = config_.partials.workers >= 0 ? static_cast<unsigned>(config_.partials.workers)
                                                           : std::max(1u, std::thread::hardware_concurrency() / 2);
    partials_.service->start(workers);
    return Status::ok();
  }

  Status register_modules() {
    BH_ASSIGN_OR_RETURN(WebAssets page, WebAssets::embedded());
    router_ = std::make_unique<Router>(metrics_, clock_);
    modules_.push_back(make_ops_routes({.checks = {{"store", [this] { return store_->check_health(); }}},
                                        .metrics = metrics_,
                                        .version = version_info(),
                                        .logger = logger_}));
    modules_.push_back(make_records_routes({.store = *store_, .metrics = metrics_}));
    modules_.push_back(make_search_routes({.search = *search_,
                                           .executor = executor_,
                                           .metrics = metrics_,
                                           .clock = clock_,
                                           .max_pending = config_.max_pending_searches}));
    kinto_records_ = std::make_unique<v1::KintoRecords>(*store_, *search_);
    modules_.push_back(make_kinto_routes({.records = *kinto_records_,
                                          .executor = executor_,
                                          .metrics = metrics_,
                                          .max_page = 10000,
                                          .max_pending = config_.max_pending_searches}));
    modules_.push_back(make_page_routes({.assets = std::move(page), .web_dir = config_.web_dir}));
    const VersionInfo v = version_info();
    modules_.push_back(make_ingest_routes(
        {.store = *store_,
         .validator = *validator_,
         .executor = executor_,
         .metrics = metrics_,
         .push_tokens = config_.push_tokens,
         .limits = {.max_document_bytes = config_.max_document_bytes},
         .metadata = nlohmann::json{{"version", std::string(v.version)}, {"commit", std::string(v.commit)},
                                    {"source", "push"}}
                         .dump()}));
    modules_.push_back(make_partial_routes({.partials = *partials_.service,
                                            .executor = executor_,
                                            .metrics = metrics_,
                                            .admin_tokens = config_.partials.admin_tokens}));
    for (auto& module : modules_) module->register_routes(*router_);
    return Status::ok();
  }

  const ServeConfig config_;
  std::shared_ptr<Logger> logger_;
  const Clock& clock_ = system_clock();
  MetricsRegistry metrics_;
  std::unique_ptr<NotifyingRecordStore> store_;
  Executor executor_;
  std::unique_ptr<search::SearchService> search_;
  std::unique_ptr<v1::KintoRecords> kinto_records_;
  std::shared_ptr<const SchemaValidator> validator_;
  std::unique_ptr<Router> router_;
  std::vector<std::unique_ptr<RouteModule>> modules_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<QueueConsumer> queue_;
  PartialStack partials_;
};

}  // namespace

Status run_serve(const ServeConfig& config, std::shared_ptr<Logger> logger) {
  ServeApp app(config, logger);
  if (Status s = app.start(); !s) return s;
  app.wait();
  app.shutdown();
  logger->info("stopped");
  return Status::ok();
}

}  // namespace bh::app
