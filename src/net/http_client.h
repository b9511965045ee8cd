// An HTTP client for the services buildhub reads (S3, SQS, archives), on libcurl.
//
// - Connection reuse: each call borrows an easy handle from a pool and gives it back, so its
//   connections (and TLS sessions) serve the next call; many threads may call at once, so as many
//   requests are in flight as there are callers (the backfill runs --jobs of them).
// - Timeouts: a connect timeout and a total time per attempt; a transfer that stalls (no byte for
//   `stall_timeout`) is abandoned as a timeout.
// - Retries: connection errors, timeouts, 429 and every 5xx (S3's 503 SlowDown among them) are
//   retried up to `max_attempts` in all, after a full-jitter exponential backoff (a random pause
//   up to base * 2^attempt, capped), or after the server's Retry-After when it sends one (capped
//   the same way). Every retry is counted in buildhub_http_client_retries_total{service,reason}
//   and logged. Requests are signed again on every attempt (`sign`), as signatures carry the time.
// - Bodies: the response is accumulated up to `max_response_bytes`; a larger one (by
//   Content-Length, or as it arrives) fails with kTooLarge without being held, and is not retried.
// - Cancellation: a stop request aborts the transfer in progress and the backoff (kCancelled).
//
// Outcome: the last response, whatever its status, once the server answered (a 404 is an answer;
// so is a 503 after the last attempt, so callers can read the service's error body); kUnavailable
// when no attempt got an answer (with curl's reason), kTooLarge, kCancelled.
//
// Ownership: borrows the metrics registry and logger (null: none). Thread safety: send() is safe
// for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
#include "core/status.h"
#include "core/sync.h"
#include "net/aws_sigv4.h"

namespace bh::net {

struct HttpClientOptions {
  std::string service = "http";  // label in metrics and logs: "s3", "sqs"
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{60'000};  // per attempt, unless the call sets its own
  std::chrono::milliseconds stall_timeout{20'000};  // no byte received for this long: a timeout
  unsigned max_attempts = 5;
  std::chrono::milliseconds backoff_base{100};
  std::chrono::milliseconds backoff_max{10'000};
  std::size_t max_idle_handles = 64;  // pooled connections kept between calls
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  HeaderList headers;
  std::string body;
  std::size_t max_response_bytes = 64u << 20;
  std::chrono::milliseconds timeout{0};  // this call's time per attempt; 0: the client's
  std::chrono::milliseconds stall_timeout{0};  // 0: the client's (a long poll sets its wait + margin)
  // Called before every attempt; its headers are added to the request (a SigV4 signature).
  std::function<HeaderList()> sign;
  // "HOST:PORT:ADDRESS" entries (curl's CURLOPT_RESOLVE): connect to these addresses instead of
  // resolving the names again, so an address checked by the caller is the one connected to.
  std::vector<std::string> resolve;
  std::stop_token stop;
};

struct HttpReply {
  int status = 0;
  HeaderList headers;  // names lower-cased, in order received
  std::string body;
  unsigned attempts = 0;

  // First header with that lower-case name, or "".
  std::string header(std::string_view lower_name) const;
};

class HttpClient {
 public:
  HttpClient(HttpClientOptions options, MetricsRegistry* metrics, std::shared_ptr<Logger> logger);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpReply> send(const HttpCall& call);

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Attempt;
  void* take_handle() EXCLUDES(mutex_);
  void give_back(void* handle) EXCLUDES(mutex_);
  Attempt attempt_once(void* handle, const HttpCall& call);
  std::chrono::milliseconds backoff(unsigned attempt, const std::string& retry_after) const;
  void count_retry(const std::string& reason);

  HttpClientOptions options_;
  MetricsRegistry* metrics_;
  std::shared_ptr<Logger> logger_;
  Counter* requests_ = nullptr;
  Counter* failures_ = nullptr;
  Timer* duration_ = nullptr;
  Mutex mutex_;
  std::vector<void*> idle_ GUARDED_BY(mutex_);
};

// "true" when a status is worth another attempt: 429 and 5xx.
bool is_retryable_status(int status);

}  // namespace bh::net
