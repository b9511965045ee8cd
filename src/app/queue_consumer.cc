#include "app/queue_consumer.h"

#include <nlohmann/json.hpp>

#include "core/thread.h"
#include "core/version.h"

namespace bh::app {

Result<std::unique_ptr<QueueConsumer>> QueueConsumer::create(const QueueConsumerConfig& config, RecordStore& store,
                                                             const SchemaValidator& validator, Executor& executor,
                                                             MetricsRegistry& metrics, std::shared_ptr<Logger> logger) {
  std::unique_ptr<QueueConsumer> c(new QueueConsumer());
  c->config_ = config;
  c->logger_ = logger;
  c->credentials_ = net::credentials_from_environment();
  const net::S3UrlDefaults defaults = net::s3_defaults_from_environment();
  BH_ASSIGN_OR_RETURN(net::SqsQueue queue, net::parse_queue_url(config.queue_url, defaults.region));
  net::HttpClientOptions s3_options = config.http;
  s3_options.service = "s3";
  net::HttpClientOptions sqs_options = config.http;
  sqs_options.service = "sqs";
  c->s3_http_ = std::make_unique<net::HttpClient>(s3_options, &metrics, logger);
  c->sqs_http_ = std::make_unique<net::HttpClient>(sqs_options, &metrics, logger);
  c->sqs_ = std::make_unique<net::SqsClient>(*c->sqs_http_, queue, c->credentials_);
  SqsDaemonOptions options;
  options.receive.wait = config.wait;
  options.receive.visibility = config.visibility;
  options.jobs = config.jobs;
  options.release_as_beta = config.release_as_beta;
  options.limits.max_document_bytes = config.max_document_bytes;
  const VersionInfo v = version_info();
  options.metadata =
      nlohmann::json{{"version", std::string(v.version)}, {"commit", std::string(v.commit)}, {"source", "sqs"}}.dump();
  if (config.v1_events) {
    net::HttpClientOptions archive_options = config.http;
    archive_options.service = "archive";
    c->archive_http_ = std::make_unique<net::HttpClient>(archive_options, &metrics, logger);
    c->archive_events_ = std::make_unique<v1::ArchiveEvents>(v1::ArchiveEventsOptions{
        .get = v1::archive_get_over_http(*c->archive_http_),
        .archive_url = config.v1_events->archive_url,
        .products = config.v1_events->products,
        .pending_file = config.v1_events->pending_file});
    if (Status loaded = c->archive_events_->load(); !loaded) {
      // Only the memory of files waiting for metadata is lost; the daily inventory run covers them.
      logger->warn("the v1 pending list is unreadable; starting with an empty one", {{"error", loaded.to_string()}});
    }
    logger->info("v1 archive events on", {{"archive", config.v1_events->archive_url},
                                          {"pending_file", config.v1_events->pending_file.string()},
                                          {"pending", c->archive_events_->pending_count()}});
  }
  QueueConsumer* self = c.get();
  c->daemon_ = std::make_unique<SqsDaemon>(
      SqsDaemonDeps{.sqs = *c->sqs_,
                    .s3_for_bucket = [self](const std::string& bucket) -> const net::S3Client& {
                      return self->client_for(bucket);
                    },
                    .store = store,
                    .validator = validator,
                    .executor = executor,
                    .metrics = metrics,
                    .logger = logger,
                    .clock = system_clock(),
                    .archive_events = c->archive_events_.get()},
      options);
  return c;
}

QueueConsumer::~QueueConsumer() { stop(); }

const net::S3Client& QueueConsumer::client_for(const std::string& bucket) {
  MutexLock lock(clients_mutex_);
  auto& slot = clients_[bucket];
  if (slot) return *slot;
  net::S3Location location;
  const std::string region = sqs_->queue().region;  // Buildhub2: the bucket's region is the queue's
  if (!config_.s3_endpoint_url.empty()) {
    auto parsed = net::parse_bucket_url(config_.s3_endpoint_url + "/" + bucket, {.region = region, .endpoint_override = ""});
    if (parsed) location = *parsed;
  } else {
    auto parsed = net::parse_bucket_url("s3://" + bucket, {.region = region, .endpoint_override = ""});
    if (parsed) location = *parsed;
  }
  if (location.endpoint.empty()) {
    // A bucket name the parser refuses still gets a client; S3 will answer for it.
    location = {.endpoint = config_.s3_endpoint_url.empty() ? "https://s3." + region + ".amazonaws.com"
                                                             : config_.s3_endpoint_url,
                .bucket = bucket, .prefix = "", .region = region, .path_style = true};
  }
  slot = std::make_unique<net::S3Client>(*s3_http_, location,
                                         config_.sign_s3 ? credentials_ : std::optional<net::AwsCredentials>());
  return *slot;
}

void QueueConsumer::start() {
  thread_ = start_thread("bh-sqs", [this](std::stop_token stop) {
    if (Status s = daemon_->run(stop); !s) logger_->error("the S3-event daemon stopped", {{"error", s.to_string()}});
  });
}

void QueueConsumer::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

Status QueueConsumer::run(std::stop_token stop) { return daemon_->run(std::move(stop)); }

}  // namespace bh::app
