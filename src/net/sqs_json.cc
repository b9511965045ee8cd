#include "net/sqs_json.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_fields.h"

namespace bh::net {
namespace {

constexpr std::size_t kMaxNesting = 16;  // SQS answers nest 4 levels

Result<nlohmann::json> parse_object(std::string_view text) { return parse_json_object(text, kMaxNesting, "the answer"); }

}  // namespace

Result<std::vector<SqsMessage>> parse_receive_message(std::string_view json) {
  BH_ASSIGN_OR_RETURN(nlohmann::json doc, parse_object(json));
  BH_ASSIGN_OR_RETURN(const nlohmann::json* messages, array_field(doc, "Messages", ""));
  std::vector<SqsMessage> out;
  if (messages == nullptr) return out;
  for (const nlohmann::json& m : *messages) {
    if (!m.is_object()) return fail(invalid_argument("a message is not a JSON object"));
    SqsMessage msg;
    BH_ASSIGN_OR_RETURN(msg.message_id, string_field(m, "MessageId", "", true));
    BH_ASSIGN_OR_RETURN(msg.receipt_handle, string_field(m, "ReceiptHandle", "", true));
    BH_ASSIGN_OR_RETURN(msg.body, string_field(m, "Body", "", true));
    BH_ASSIGN_OR_RETURN(msg.md5_of_body, string_field(m, "MD5OfBody", "", false));
    if (const auto attrs = m.find("Attributes"); attrs != m.end() && attrs->is_object()) {
      BH_ASSIGN_OR_RETURN(const std::string count, string_field(*attrs, "ApproximateReceiveCount", "", false));
      std::uint32_t n = 0;
      const auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
      if (ec == std::errc() && ptr == count.data() + count.size()) msg.receive_count = n;
    }
    out.push_back(std::move(msg));
  }
  return out;
}

Result<SqsBatchOutcome> parse_batch_outcome(std::string_view json) {
  BH_ASSIGN_OR_RETURN(nlohmann::json doc, parse_object(json));
  SqsBatchOutcome out;
  BH_ASSIGN_OR_RETURN(const nlohmann::json* ok, array_field(doc, "Successful", ""));
  if (ok != nullptr) {
    for (const nlohmann::json& e : *ok) {
      if (!e.is_object()) return fail(invalid_argument("a Successful entry is not an object"));
      BH_ASSIGN_OR_RETURN(std::string id, string_field(e, "Id", "", true));
      out.successful.push_back(std::move(id));
    }
  }
  BH_ASSIGN_OR_RETURN(const nlohmann::json* failed, array_field(doc, "Failed", ""));
  if (failed != nullptr) {
    for (const nlohmann::json& e : *failed) {
      if (!e.is_object()) return fail(invalid_argument("a Failed entry is not an object"));
      BH_ASSIGN_OR_RETURN(std::string id, string_field(e, "Id", "", true));
      BH_ASSIGN_OR_RETURN(std::string code, string_field(e, "Code", "", false));
      BH_ASSIGN_OR_RETURN(std::string message, string_field(e, "Message", "", false));
      out.failed.emplace_back(std::move(id), code + ": " + message);
    }
  }
  return out;
}

std::optional<SqsError> parse_sqs_error(std::string_view json) {
  auto doc = parse_object(json);
  if (!doc) return std::nullopt;
  auto type = string_field(*doc, "__type", "", true);
  if (!type) return std::nullopt;
  SqsError e;
  const auto hash = type->rfind('#');
  e.type = hash == std::string::npos ? *type : type->substr(hash + 1);
  auto message = string_field(*doc, "message", "", false);
  if (message && message->empty()) message = string_field(*doc, "Message", "", false);
  if (message) e.message = *message;
  return e;
}

}  // namespace bh::net
