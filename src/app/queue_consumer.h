// The S3-event daemon as a running service: its HTTP clients (S3, SQS), the S3 client of every
// bucket the events name, and the SqsDaemon loop on a thread of its own. `buildhub daemon` runs
// it alone; `buildhub serve --queue URL` runs it inside the server, on the server's store, so
// what it stores is searchable at once.
//
// Ownership: borrows the store, validator, executor, metrics and logger, which must outlive it.
// Thread safety: start() and stop() from one thread; stop() finishes the batch in hand.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/sync.h"
#include "ingest/sqs_daemon.h"
#include "ingest/v1_archive_events.h"
#include "net/http_client.h"
#include "net/s3_client.h"
#include "net/sqs_client.h"

namespace bh::app {

// Buildhub v1's archive events (ingest/v1_archive_events.h), when set.
struct V1EventsConfig {
  std::string archive_url;
  std::vector<std::string> products;
  std::filesystem::path pending_file;
};

struct QueueConsumerConfig {
  std::string queue_url;
  std::string s3_endpoint_url;  // S3-compatible store holding the buckets events name; "": AWS
  bool sign_s3 = true;          // false: unsigned S3 reads (public buckets), as Buildhub2 did
  bool release_as_beta = false;
  unsigned jobs = 16;
  std::chrono::seconds wait{20};
  std::optional<std::chrono::seconds> visibility;
  std::size_t max_document_bytes = 1 << 20;
  net::HttpClientOptions http;
  std::optional<V1EventsConfig> v1_events;
};

class QueueConsumer {
 public:
  static Result<std::unique_ptr<QueueConsumer>> create(const QueueConsumerConfig& config, RecordStore& store,
                                                       const SchemaValidator& validator, Executor& executor,
                                                       MetricsRegistry& metrics, std::shared_ptr<Logger> logger);
  ~QueueConsumer();

  // Runs the loop on a thread of its own until stop().
  void start();
  void stop();
  // Runs the loop on the caller's thread until `stop` is requested.
  Status run(std::stop_token stop);

  SqsDaemonCounts counts() const { return daemon_->counts(); }

 private:
  QueueConsumer() = default;
  const net::S3Client& client_for(const std::string& bucket) EXCLUDES(clients_mutex_);

  QueueConsumerConfig config_;
  std::shared_ptr<Logger> logger_;
  std::optional<net::AwsCredentials> credentials_;
  std::unique_ptr<net::HttpClient> s3_http_;
  std::unique_ptr<net::HttpClient> sqs_http_;
  std::unique_ptr<net::SqsClient> sqs_;
  Mutex clients_mutex_;
  std::map<std::string, std::unique_ptr<net::S3Client>> clients_ GUARDED_BY(clients_mutex_);
  std::unique_ptr<net::HttpClient> archive_http_;
  std::unique_ptr<v1::ArchiveEvents> archive_events_;
  std::unique_ptr<SqsDaemon> daemon_;
  std::jthread thread_;
};

}  // namespace bh::app
