#include "ingest/s3_event.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_fields.h"
#include "net/s3_xml.h"

namespace bh {
namespace {

constexpr std::size_t kMaxNesting = 32;  // an S3 event nests 5 levels

Result<nlohmann::json> parse_object(std::string_view text, std::string_view what) {
  return parse_json_object(text, kMaxNesting, what);
}

Status read_records(const nlohmann::json& doc, S3EventBody& out) {
  const auto records = doc.find("Records");
  if (records == doc.end()) {
    if (doc.value("Event", nlohmann::json()) == "s3:TestEvent") {
      out.test_event = true;
      return Status::ok();
    }
    return invalid_argument("no \"Records\" (nor an SNS \"Message\"): not an S3 event");
  }
  if (!records->is_array()) {
    return invalid_argument(fmt::format("\"Records\" is a {}, not an array", records->type_name()));
  }
  std::size_t index = 0;
  for (const nlohmann::json& record : *records) {
    const std::string where = fmt::format("Records[{}]", index++);
    if (!record.is_object()) return invalid_argument(where + " is not an object");
    const auto s3 = record.find("s3");
    if (s3 == record.end()) {
      ++out.records_without_s3;
      continue;
    }
    if (!s3->is_object()) return invalid_argument(where + ".s3 is not an object");
    S3EventObject o;
    BH_ASSIGN_OR_RETURN(o.event_name, string_field(record, "eventName", where, false));
    BH_ASSIGN_OR_RETURN(o.event_time, string_field(record, "eventTime", where, false));
    BH_ASSIGN_OR_RETURN(const nlohmann::json* object, object_field(*s3, "object", where + ".s3"));
    BH_ASSIGN_OR_RETURN(const nlohmann::json* bucket, object_field(*s3, "bucket", where + ".s3"));
    BH_ASSIGN_OR_RETURN(o.bucket, string_field(*bucket, "name", where + ".s3.bucket", true));
    BH_ASSIGN_OR_RETURN(const std::string key, string_field(*object, "key", where + ".s3.object", true));
    o.key = net::url_decode_plus(key);
    BH_ASSIGN_OR_RETURN(const std::string etag, string_field(*object, "eTag", where + ".s3.object", false));
    o.etag = net::strip_etag_quotes(etag);
    if (const auto size = object->find("size"); size != object->end() && size->is_number_unsigned()) {
      o.size = size->get<std::uint64_t>();
    }
    if (o.bucket.empty() || o.key.empty()) return invalid_argument(where + ": an empty bucket name or key");
    out.objects.push_back(std::move(o));
  }
  return Status::ok();
}

}  // namespace

bool is_buildhub_json_key(std::string_view key) {
  const auto slash = key.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  return name.ends_with("buildhub.json");
}

Result<S3EventBody> parse_s3_event_body(std::string_view body) {
  BH_ASSIGN_OR_RETURN(nlohmann::json doc, parse_object(body, "the message body"));
  S3EventBody out;
  if (const auto message = doc.find("Message"); message != doc.end()) {
    // SNS: the S3 event is a JSON text inside a string.
    if (!message->is_string()) {
      return fail(invalid_argument(fmt::format("\"Message\" is a {}, not a string", message->type_name())));
    }
    out.sns_wrapped = true;
    BH_ASSIGN_OR_RETURN(nlohmann::json inner, parse_object(message->get_ref<const std::string&>(), "the SNS Message"));
    BH_RETURN_IF_ERROR(read_records(inner, out));
    return out;
  }
  BH_RETURN_IF_ERROR(read_records(doc, out));
  return out;
}

}  // namespace bh
