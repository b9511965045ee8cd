// Elasticsearch search bodies (and URI searches) into a typed SearchRequest.
//
// Every problem with the request is an InvalidArgument Status whose message names what is
// wrong (the server answers 400 {"error": message}): invalid JSON, a body that is not an
// object, a bad size/from, a result window beyond the limit, unknown query or aggregation
// types (named), malformed clauses, nesting beyond max_depth, more than max_clauses clauses.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "search/query.h"

namespace bh::search {

struct SearchLimits {
  std::size_t max_size = 1000;            // Buildhub2's MAX_SEARCH_SIZE
  std::size_t max_result_window = 10000;  // Elasticsearch's index.max_result_window
  std::size_t max_depth = 20;             // nesting of queries and aggregations
  std::size_t max_clauses = 1024;         // Lucene's max clause count
  // Buckets in one answer, counted at every level as Elasticsearch 7 counts them (ES 6 had no
  // limit; ES 7's default is 10,000, too few for a version facet of every build).
  std::size_t max_buckets = 100000;
};

Result<SearchRequest> parse_search_body(std::string_view body, const SearchLimits& limits, std::int64_t now_millis);

// GET /api/search?q=...&size=&from=&sort=field:desc&default_operator=&df=
Result<SearchRequest> parse_uri_search(const std::vector<std::pair<std::string, std::string>>& params,
                                       const SearchLimits& limits, std::int64_t now_millis);

}  // namespace bh::search
