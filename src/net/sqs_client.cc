#include "net/sqs_client.h"

#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/digest.h"

namespace bh::net {

Result<SqsQueue> parse_queue_url(std::string_view url, std::string default_region) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return fail(invalid_argument(fmt::format("[{}] is not a queue URL: expected https://sqs.REGION.amazonaws.com/ACCOUNT/NAME", url)));
  }
  const std::string scheme(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return fail(invalid_argument(fmt::format("[{}]: a queue URL starts with https:// or http://", url)));
  }
  const std::string_view rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  const std::string authority(rest.substr(0, slash));
  if (authority.empty() || slash == std::string_view::npos || slash + 1 >= rest.size()) {
    return fail(invalid_argument(fmt::format("[{}] names no queue", url)));
  }
  SqsQueue q;
  q.url = std::string(url);
  q.endpoint = scheme + "://" + authority;
  q.region = std::move(default_region);
  static const std::regex kAws(R"(^sqs\.(.*?)\.amazonaws\.com(:\d+)?$)");
  static const std::regex kLegacy(R"(^(.*?)\.queue\.amazonaws\.com(:\d+)?$)");
  std::smatch m;
  if (std::regex_match(authority, m, kAws) || std::regex_match(authority, m, kLegacy)) q.region = m[1].str();
  return q;
}

SqsClient::SqsClient(HttpClient& http, SqsQueue queue, std::optional<AwsCredentials> credentials, const Clock& clock)
    : http_(http), queue_(std::move(queue)), credentials_(std::move(credentials)), clock_(clock) {}

Result<std::string> SqsClient::call(const std::string& operation, const std::string& body,
                                    std::chrono::milliseconds timeout, std::stop_token stop) const {
  HttpCall c;
  c.method = "POST";
  c.url = queue_.endpoint + "/";
  c.body = body;
  c.headers = {{"content-type", "application/x-amz-json-1.0"}, {"x-amz-target", "AmazonSQS." + operation}};
  c.max_response_bytes = 16u << 20;  // ten 256 KiB messages with their attributes fit many times over
  c.timeout = timeout;
  c.stall_timeout = timeout;
  c.stop = std::move(stop);
  if (credentials_) {
    c.sign = [this, operation, payload = sha256_hex(body)]() {
      SigningRequest r;
      r.method = "POST";
      const std::string host = queue_.endpoint.substr(queue_.endpoint.find("://") + 3);
      r.host = host;
      r.canonical_uri = "/";
      r.headers = {{"content-type", "application/x-amz-json-1.0"}, {"x-amz-target", "AmazonSQS." + operation}};
      r.payload_sha256 = payload;
      r.region = queue_.region;
      r.service = "sqs";
      r.time = clock_.wall_now();
      return sign_v4(r, *credentials_).headers_to_add;
    };
  }
  BH_ASSIGN_OR_RETURN(HttpReply reply, http_.send(c));
  if (reply.status == 200) return std::move(reply.body);
  const auto err = parse_sqs_error(reply.body);
  const std::string detail = err ? fmt::format("{} ({}: {})", reply.status, err->type, err->message)
                                 : fmt::format("HTTP {}", reply.status);
  const std::string message = fmt::format("SQS {} on {}: {}", operation, queue_.url, detail);
  if (err && (err->type == "QueueDoesNotExist" || err->type.ends_with("NonExistentQueue"))) return fail(not_found(message));
  if (reply.status == 400 && err && err->type.find("ReceiptHandle") != std::string::npos) {
    return fail(invalid_argument(message));
  }
  return fail(unavailable(message));
}

Result<std::vector<SqsMessage>> SqsClient::receive(const ReceiveRequest& request, std::stop_token stop) const {
  nlohmann::json body = {{"QueueUrl", queue_.url},
                         {"MaxNumberOfMessages", std::clamp(request.max_messages, 1u, 10u)},
                         {"WaitTimeSeconds", std::clamp<std::int64_t>(request.wait.count(), 0, 20)},
                         {"AttributeNames", {"ApproximateReceiveCount"}},
                         {"MessageSystemAttributeNames", {"ApproximateReceiveCount"}}};
  if (request.visibility) body["VisibilityTimeout"] = request.visibility->count();
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(request.wait) + std::chrono::seconds(15);
  BH_ASSIGN_OR_RETURN(std::string reply, call("ReceiveMessage", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), timeout, std::move(stop)));
  auto messages = parse_receive_message(reply);
  if (!messages) {
    return fail(unavailable(fmt::format("SQS ReceiveMessage on {}: the answer does not parse: {}", queue_.url,
                                        messages.error().message())));
  }
  return messages;
}

Result<SqsBatchOutcome> SqsClient::delete_batch(std::span<const ReceiptEntry> entries) const {
  SqsBatchOutcome all;
  for (std::size_t start = 0; start < entries.size(); start += 10) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = start; i < std::min(entries.size(), start + 10); ++i) {
      list.push_back({{"Id", entries[i].id}, {"ReceiptHandle", entries[i].receipt_handle}});
    }
    const nlohmann::json body = {{"QueueUrl", queue_.url}, {"Entries", list}};
    BH_ASSIGN_OR_RETURN(std::string reply, call("DeleteMessageBatch", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), std::chrono::milliseconds(0), {}));
    auto outcome = parse_batch_outcome(reply);
    if (!outcome) {
      return fail(unavailable(fmt::format("SQS DeleteMessageBatch on {}: the answer does not parse: {}", queue_.url,
                                          outcome.error().message())));
    }
    for (auto& id : outcome->successful) all.successful.push_back(std::move(id));
    for (auto& f : outcome->failed) all.failed.push_back(std::move(f));
  }
  return all;
}

Status SqsClient::change_visibility(const std::string& receipt_handle, std::chrono::seconds timeout) const {
  const nlohmann::json body = {
      {"QueueUrl", queue_.url}, {"ReceiptHandle", receipt_handle}, {"VisibilityTimeout", timeout.count()}};
  auto reply = call("ChangeMessageVisibility", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), std::chrono::milliseconds(0), {});
  return reply ? Status::ok() : reply.error();
}

}  // namespace bh::net
