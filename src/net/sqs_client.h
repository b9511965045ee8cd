// An SQS client over the AWS JSON protocol (what current AWS SDKs speak, and the only protocol
// fauxqs answers): ReceiveMessage (long poll), DeleteMessageBatch and ChangeMessageVisibility,
// signed with SigV4 when credentials are given.
//
// Queue URLs: https://sqs.us-west-2.amazonaws.com/123456789012/name (region from the host, as
// Buildhub2 read it), the legacy https://us-west-2.queue.amazonaws.com/..., or any other
// http(s)://host:port/account/name (an SQS-compatible server; region from the environment).
// Requests go to the URL's scheme://host:port with the queue URL in the body.
//
// Errors: an error body's __type and message are kept in the Status (QueueDoesNotExist is
// kNotFound, a refused signature kUnavailable); transport failures come from HttpClient after its
// retries. Ownership: borrows the HttpClient and clock. Thread safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "net/http_client.h"
#include "net/sqs_json.h"

namespace bh::net {

struct SqsQueue {
  std::string url;
  std::string endpoint;  // scheme://host[:port]
  std::string region;
};

// `default_region` applies when the host does not name one.
Result<SqsQueue> parse_queue_url(std::string_view url, std::string default_region);

struct ReceiveRequest {
  unsigned max_messages = 10;                    // 1..10
  std::chrono::seconds wait{20};                 // long poll, 0..20
  std::optional<std::chrono::seconds> visibility;  // the queue's default when unset
};

struct ReceiptEntry {
  std::string id;              // unique within the batch
  std::string receipt_handle;
};

class SqsClient {
 public:
  SqsClient(HttpClient& http, SqsQueue queue, std::optional<AwsCredentials> credentials,
            const Clock& clock = system_clock());

  const SqsQueue& queue() const { return queue_; }

  Result<std::vector<SqsMessage>> receive(const ReceiveRequest& request, std::stop_token stop = {}) const;
  // Up to 10 entries (SQS's limit); more are sent in several calls.
  Result<SqsBatchOutcome> delete_batch(std::span<const ReceiptEntry> entries) const;
  Status change_visibility(const std::string& receipt_handle, std::chrono::seconds timeout) const;

 private:
  Result<std::string> call(const std::string& operation, const std::string& body,
                           std::chrono::milliseconds timeout, std::stop_token stop) const;

  HttpClient& http_;
  SqsQueue queue_;
  std::optional<AwsCredentials> credentials_;
  const Clock& clock_;
};

}  // namespace bh::net
