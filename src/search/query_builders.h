// Field-level query constructors shared by the JSON DSL parser and the query_string parser:
// each knows how a field's type reads a value (keywords as-is, text through the analyzer,
// dates through formats and date math, longs as integers).
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "search/query.h"

namespace bh::search {

// minimum_should_match as Elasticsearch writes it: "2", "-1", "75%", "-25%" (also a JSON integer).
// Combinations ("3<90%") are refused. kInvalidArgument naming the spec otherwise.
Result<MinimumShouldMatch> parse_minimum_should_match(std::string_view spec);

struct ValueOptions {
  float boost = 1.0f;
  bool lenient = false;          // a value the field cannot hold matches nothing instead of failing
  bool case_insensitive = false;
  std::int64_t now_millis = 0;
  const DateFormat* date_format = nullptr;  // null: the field's default
  TimeZoneOffset time_zone;
};

// term: the exact value (text fields: one exact token). Dates match the whole unit they name.
Result<QueryPtr> term_query(const FieldRef& field, std::string_view value, const ValueOptions& o);
// terms: any of the values, constant score.
Result<QueryPtr> terms_query(const FieldRef& field, const std::vector<std::string>& values, const ValueOptions& o);
// match: text fields are analyzed into tokens joined by `and_operator`; other fields as term.
// `minimum_should_match` applies to the token clauses.
Result<QueryPtr> match_query(const FieldRef& field, std::string_view text, bool and_operator,
                             const std::optional<MinimumShouldMatch>& minimum_should_match, const ValueOptions& o);
// match_phrase: text fields need the tokens in order; other fields as term.
Result<QueryPtr> phrase_query(const FieldRef& field, std::string_view text, const ValueOptions& o);
Result<QueryPtr> prefix_query(const FieldRef& field, std::string_view prefix, const ValueOptions& o);
Result<QueryPtr> wildcard_query(const FieldRef& field, std::string_view pattern, const ValueOptions& o);
Result<QueryPtr> regexp_query(const FieldRef& field, std::string_view pattern, std::string_view flags,
                              const ValueOptions& o);
QueryPtr exists_query(const FieldRef& field, float boost);
// exists on every field a pattern names ("target.*"): any of them, constant score.
QueryPtr exists_any_query(std::string_view field_pattern, float boost);

struct RangeBounds {
  std::optional<std::string> lower, upper;  // as written; numbers already turned into text
  bool include_lower = true, include_upper = true;
};
Result<QueryPtr> range_query(const FieldRef& field, const RangeBounds& bounds, const ValueOptions& o);

// Parses a decimal integer ("42", "-7", "1e3" is refused) for long fields.
std::optional<std::int64_t> parse_long(std::string_view text);

}  // namespace bh::search
