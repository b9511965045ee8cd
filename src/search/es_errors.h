// Elasticsearch 6's error vocabulary for the search API: which error type a failed search
// reports, and the body it answers with,
//   {"error": {"root_cause": [{"type", "reason"}], "type", "reason", ...}, "status": N}
// so that clients reading `.error.type`, `.error.reason` or `.error.root_cause[0].reason` (as
// elasticsearch-py, elasticsearch-dsl and jq scripts do) work unchanged.
//
// The search modules tag a Status with one of these types (Status::with_kind); an untagged
// Status gets the type Elasticsearch uses for its code (illegal_argument_exception for a
// client's mistake). Errors Elasticsearch raises on a shard (too many buckets, a result window
// too large, a query that cannot be built) come wrapped in search_phase_execution_exception
// with "all shards failed", as Elasticsearch wraps them.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace bh::search::es_type {
inline constexpr std::string_view kParsing = "parsing_exception";                // the request's structure
inline constexpr std::string_view kJsonParse = "json_parse_exception";          // the body is not JSON
inline constexpr std::string_view kIllegalArgument = "illegal_argument_exception";  // a value is wrong
inline constexpr std::string_view kQueryShard = "query_shard_exception";        // a query cannot be built
inline constexpr std::string_view kQueryPhase = "query_phase_execution_exception";  // result window
inline constexpr std::string_view kTooManyBuckets = "too_many_buckets_exception";
inline constexpr std::string_view kRejected = "es_rejected_execution_exception";  // 429
}  // namespace bh::search::es_type

namespace bh::search {

// `status` tagged with an Elasticsearch error type.
inline Status es_error(Code code, std::string message, std::string_view type) {
  return Status(code, std::move(message)).with_kind(std::string(type));
}

// The JSON body Elasticsearch 6 answers for this failure (not OK).
std::string es_error_body(const Status& status);

}  // namespace bh::search
