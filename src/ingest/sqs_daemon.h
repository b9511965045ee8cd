// The S3-event daemon: long-polls an SQS queue of S3 event notifications and ingests every
// buildhub.json the events announce, as Buildhub2's `daemon` did, without its failure modes.
//
// Per receive (up to 10 messages): each body is parsed (SNS-wrapped or direct); every record
// whose key's file name ends with buildhub.json is downloaded (many at once) from the bucket the
// event names; the documents of the whole receive go through the ingest pipeline in one
// transaction, rejections included. Then:
//   - a message whose every record was handled is deleted (DeleteMessageBatch), and only then:
//     handled means stored, already present, rejected (an invalid buildhub.json, recorded with
//     its key, ETag and reason), skipped (not a buildhub.json, not a creation event) or missing
//     (404: logged and skipped);
//   - a message that is not an S3 event at all (not JSON, wrong shape) is a poison message: it is
//     recorded as a rejection ("sqs:<message id>") and deleted;
//   - a message with a record that failed for another reason (S3 unreachable after retries, the
//     store failing) is kept: its visibility is pushed back (30 s doubling with its receive count,
//     at most 15 min) and it is logged with its receive count, so the queue's redrive policy takes
//     it after its maxReceiveCount.
// Nothing here stops the loop but a stop request; a failing receive is retried with backoff.
//
// With archive events (deps.archive_events, off by default), every other announced file goes
// through Buildhub v1's rules (ingest/v1_archive_events.h): build files and metadata files of the
// archive bucket become records; an archive that does not answer keeps the message as above.
//
// Optionally (off by default, as Buildhub2's bug 1470948 hack was on): every Firefox
// release-channel record is inserted a second time with channel "beta".
//
// Ownership: borrows everything in SqsDaemonDeps. Thread safety: run() once at a time; counts()
// from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "core/executor.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sync.h"
#include "ingest/pipeline.h"
#include "ingest/s3_event.h"
#include "ingest/v1_archive_events.h"
#include "net/s3_client.h"
#include "net/sqs_client.h"

namespace bh {

struct SqsDaemonOptions {
  net::ReceiveRequest receive;  // 10 messages, 20 s long poll, the queue's visibility timeout
  unsigned jobs = 16;           // downloads in flight
  bool release_as_beta = false;
  RecordLimits limits;
  std::string metadata = "{}";
  std::chrono::seconds retry_delay{30};    // first visibility push-back of a failing message
  std::chrono::seconds max_retry_delay{900};
};

// The S3 client for a bucket an event names (one per bucket, kept by the caller).
using S3ClientForBucket = std::function<const net::S3Client&(const std::string& bucket)>;

struct SqsDaemonDeps {
  const net::SqsClient& sqs;
  S3ClientForBucket s3_for_bucket;
  RecordStore& store;
  const SchemaValidator& validator;
  Executor& executor;
  MetricsRegistry& metrics;
  std::shared_ptr<Logger> logger;
  const Clock& clock;
  // Optional: v1's archive events (files other than buildhub.json) made into records.
  v1::ArchiveEvents* archive_events = nullptr;
};

struct SqsDaemonCounts {
  std::uint64_t messages = 0;
  std::uint64_t deleted = 0;
  std::uint64_t kept = 0;
  std::uint64_t key_matched = 0;
  std::uint64_t not_key_matched = 0;
  std::uint64_t inserted = 0;
  std::uint64_t not_inserted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t missing = 0;
  std::uint64_t v1_records = 0;     // documents made from archive events
  std::uint64_t v1_remembered = 0;  // build files waiting for their metadata
};

class SqsDaemon {
 public:
  SqsDaemon(SqsDaemonDeps deps, SqsDaemonOptions options);

  // Receives and processes until `stop` is requested: a receive in progress is abandoned (no
  // message is in hand then); a batch in hand is finished, its done messages deleted, then it
  // returns OK.
  Status run(std::stop_token stop);

  // One receive and its processing (tests, and run()'s loop). Returns the number of messages
  // received.
  Result<std::size_t> poll_once(std::stop_token stop);

  SqsDaemonCounts counts() const;

 private:
  struct Metrics;
  struct MessageState {
    bool failed = false;
    std::string failure;
  };
  void handle_archive_event(const S3EventObject& object, MessageState& state, std::vector<IngestItem>& items,
                            SqsDaemonCounts& delta);
  SqsDaemonDeps deps_;
  SqsDaemonOptions options_;
  std::shared_ptr<Metrics> metrics_;
  mutable Mutex mutex_;
  SqsDaemonCounts counts_ GUARDED_BY(mutex_);
};

// The Buildhub2 beta copy of a Firefox release-channel document: the same JSON with
// target.channel = "beta"; nullopt for anything else (other products or channels, unparsable).
std::optional<std::string> beta_copy_of_release(const std::string& document);

}  // namespace bh
