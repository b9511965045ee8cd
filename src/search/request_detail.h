// Helpers shared by the search-body parser's two files (request_parser.cc: queries, sort,
// _source, highlight, the request; agg_parser.cc: aggregations). Not an API.
//
// Thread safety: pure functions over a per-request Context.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "search/query.h"
#include "search/request_parser.h"

namespace bh::search::request_detail {

using json = nlohmann::json;

struct Context {
  const SearchLimits& limits;
  std::int64_t now;
  std::size_t clauses = 0;
  std::size_t buckets_estimate = 0;
};

// An InvalidArgument failure: every request problem is the client's (400).
tl::unexpected<Status> bad(std::string message);
// "an object", "a string", ...: for messages.
std::string type_name(const json& j);
// A scalar as Elasticsearch reads it: strings as-is, numbers in JSON form, booleans as words.
Result<std::string> scalar_text(const json& j, std::string_view what);
Result<float> number_of(const json& j, std::string_view what);
Result<bool> bool_of(const json& j, std::string_view what);
// size/from/min_doc_count: whole numbers, also as strings ("10").
Result<std::int64_t> count_of(const json& j, std::string_view what);
Result<std::vector<std::string>> string_list(const json& j, std::string_view what);
// minimum_should_match from JSON ("75%", "-1", 2), parsed at request time.
Result<std::optional<MinimumShouldMatch>> minimum_should_match_of(const json& j, std::string_view what);
// An Elasticsearch time value ("30s", "500ms", "2m", "1.5s", "100micros"); "-1" is none.
Result<std::optional<std::chrono::nanoseconds>> time_value(std::string_view text, std::string_view setting);

Result<QueryPtr> parse_query(Context& ctx, const json& j, std::size_t depth, bool filter_context);
Result<std::vector<SortKey>> parse_sort(const json& j);
Result<SourceFilter> parse_source(const json& j);
Result<std::vector<Aggregation>> parse_aggs(Context& ctx, const json& j, std::size_t depth);

}  // namespace bh::search::request_detail
