// Lucene's query syntax, as Elasticsearch's query_string and simple_query_string take it.
//
// query_string: field:value, AND/OR/NOT and && || !, +/- prefixes, * and ? wildcards,
// [a TO b] / {a TO b} / mixed, >, >=, <, <= ranges, "quoted phrases", (grouping),
// field:(a b), ^boost, ~fuzziness (accepted, matched exactly), _exists_:field, /regexp/.
// Clauses combine as Lucene's classic parser does (default_operator decides bare clauses).
// A syntax error is an InvalidArgument naming the position.
//
// simple_query_string: + (AND) | (OR) - (NOT) "phrase" * (prefix) ( ) ~N; never fails on
// syntax, as in Elasticsearch.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "search/query.h"

namespace bh::search {

struct WeightedField {
  std::string pattern;  // "target.version", "target.*"
  float boost = 1.0f;
};

struct QueryStringOptions {
  std::string query;
  std::vector<WeightedField> fields;  // empty: default_field
  std::string default_field = "*";
  bool default_and = false;           // default_operator AND
  bool analyze_wildcard = false;
  bool lenient = false;
  bool auto_generate_phrase_queries = false;
  // The query's `analyzer` lower-cases (standard, simple, stop, the language analyzers): keyword
  // fields then compare without regard to case, whole value against whole value. (Elasticsearch
  // would split "en-US" into tokens no keyword value equals; see docs/search.md.)
  bool lowercase_keywords = false;
  std::optional<MinimumShouldMatch> minimum_should_match;
  float tie_breaker = 0.0f;
  float boost = 1.0f;
  std::int64_t now_millis = 0;
  TimeZoneOffset time_zone;
  std::size_t max_clauses = 1024;
};

// Whether an Elasticsearch analyzer named in a query lower-cases its terms; kInvalidArgument for a
// name that is not one of Elasticsearch's built-in analyzers.
Result<bool> analyzer_lowercases(std::string_view analyzer);

Result<QueryPtr> parse_query_string(const QueryStringOptions& options);
Result<QueryPtr> parse_simple_query_string(const QueryStringOptions& options);

}  // namespace bh::search
