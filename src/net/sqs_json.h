// Parsers of what an SQS server answers over the AWS JSON protocol (1.0): ReceiveMessage,
// DeleteMessageBatch and error bodies. Pure functions over untrusted bytes: nesting is checked
// before nlohmann parses, every field's type is checked, and nothing throws out. Fuzzed
// (fuzz/fuzz_sqs_json.cc).
//
// Thread safety: pure. Failure: kInvalidArgument naming what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace bh::net {

struct SqsMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::string md5_of_body;
  std::uint32_t receive_count = 0;  // ApproximateReceiveCount, 0 when not sent
};

// {"Messages": [...]} (or {} when the long poll found nothing).
Result<std::vector<SqsMessage>> parse_receive_message(std::string_view json);

struct SqsBatchOutcome {
  std::vector<std::string> successful;                        // entry ids
  std::vector<std::pair<std::string, std::string>> failed;    // entry id, "Code: Message"
};

// {"Successful": [{"Id"}], "Failed": [{"Id", "Code", "Message", "SenderFault"}]}
Result<SqsBatchOutcome> parse_batch_outcome(std::string_view json);

struct SqsError {
  std::string type;     // "QueueDoesNotExist" (the part after '#' of "__type")
  std::string message;
};

// {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "..."}; nullopt if not one.
std::optional<SqsError> parse_sqs_error(std::string_view json);

}  // namespace bh::net
