#include "search/es_errors.h"

#include <nlohmann/json.hpp>

namespace bh::search {
namespace {

std::string_view default_type(Code code) {
  switch (code) {
    case Code::kInvalidArgument: case Code::kTooLarge: return es_type::kIllegalArgument;
    case Code::kOverloaded: return es_type::kRejected;
    case Code::kNotFound: return "resource_not_found_exception";
    case Code::kUnavailable: case Code::kCancelled: return "node_not_connected_exception";
    default: return "exception";
  }
}

bool raised_on_a_shard(std::string_view type) {
  return type == es_type::kTooManyBuckets || type == es_type::kQueryPhase || type == es_type::kQueryShard;
}

}  // namespace

std::string es_error_body(const Status& status) {
  using ojson = nlohmann::ordered_json;
  const std::string type = status.kind().empty() ? std::string(default_type(status.code())) : status.kind();
  ojson cause = ojson::object();
  cause["type"] = type;
  cause["reason"] = status.message();
  if (raised_on_a_shard(type)) cause["index"] = "buildhub2";
  ojson error = ojson::object();
  error["root_cause"] = ojson::array({cause});
  if (raised_on_a_shard(type)) {
    error["type"] = "search_phase_execution_exception";
    error["reason"] = "all shards failed";
    error["phase"] = "query";
    error["grouped"] = true;
    ojson shard = ojson::object();
    shard["shard"] = 0;
    shard["index"] = "buildhub2";
    shard["node"] = "buildhub";
    shard["reason"] = cause;
    error["failed_shards"] = ojson::array({shard});
  } else {
    error["type"] = type;
    error["reason"] = status.message();
  }
  ojson body = ojson::object();
  body["error"] = std::move(error);
  body["status"] = http_status(status.code());
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace bh::search
