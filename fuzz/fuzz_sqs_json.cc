// What an SQS server answers over the JSON protocol, and queue URLs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/sqs_client.h"
#include "net/sqs_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto messages = bh::net::parse_receive_message(text);
  if (messages) {
    for (const auto& m : *messages) {
      if (m.receipt_handle.empty() && m.message_id.empty() && !m.body.empty() && m.body.size() > size) __builtin_trap();
    }
  }
  auto batch = bh::net::parse_batch_outcome(text);
  (void)batch;
  auto error = bh::net::parse_sqs_error(text);
  (void)error;
  auto queue = bh::net::parse_queue_url(text, "us-east-1");
  if (queue && queue->endpoint.empty()) __builtin_trap();
  return 0;
}
