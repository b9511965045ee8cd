// The typed form of an Elasticsearch search body. request_parser.cc and agg_parser.cc build it
// once from the JSON (all names resolved, all dates, numbers and minimum_should_match parsed,
// regexps compiled, unknown keys refused); executor.cc and aggregations.cc run it. Nothing here
// refers to JSON text except search_after values.
//
// Ownership: a SearchRequest owns its whole tree (queries through unique_ptr, compiled regexps
// shared immutably); it borrows nothing, so it may outlive the body it was parsed from.
// Thread safety: immutable after parsing; a SearchRequest may be executed from any thread, and
// by several at once.
// Failure: none here; every check happens in the parser, so a SearchRequest is always valid to run.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/date_math.h"
#include "search/field_catalog.h"
#include "search/suggest.h"
#include "search/text_analysis.h"
#include "store/record_store.h"

namespace bh::search {

struct Query;
using QueryPtr = std::unique_ptr<Query>;

// A condition on the string values of a keyword, text or version field (or the record id).
struct StringPredicate {
  enum class Op { kEquals, kPrefix, kWildcard, kRegexp, kRange, kTokens };
  Op op = Op::kEquals;
  std::vector<std::string> values;  // kEquals: any of them; kPrefix/kWildcard: one; kTokens: all, in order if phrase
  bool phrase = false;
  bool case_insensitive = false;
  std::shared_ptr<const CompiledRegexp> regexp;
  std::optional<std::string> lower, upper;  // kRange
  bool include_lower = true, include_upper = true;
};

// A condition on a date or long field: one of `values`, or the inclusive range [lower, upper].
struct NumericPredicate {
  std::vector<std::int64_t> values;
  bool is_range = false;
  std::int64_t lower = INT64_MIN + 1, upper = INT64_MAX;
};

struct ExistsPredicate {};

enum class ScoreMode {
  kConstant,  // every match scores `boost` (terms, prefix, wildcard, regexp, range, exists)
  kTermIdf,   // BM25 with tf = 1: boost * idf of the matched term (term, match on keywords)
};

struct FieldQuery {
  FieldRef field;
  std::variant<StringPredicate, NumericPredicate, ExistsPredicate> predicate;
  ScoreMode score = ScoreMode::kConstant;
  float boost = 1.0f;
};

struct MatchAllQuery { float boost = 1.0f; };
struct MatchNoneQuery {};
struct IdsQuery { std::vector<RecordId> ids; float boost = 1.0f; };

// minimum_should_match, parsed: "2" {2, false}, "-1" {-1, false}, "75%" {75, true}, "-25%".
struct MinimumShouldMatch {
  std::int64_t value = 1;
  bool percent = false;

  // How many of `optional_clauses` must match (Lucene's rounding: percentages round down).
  std::size_t required_of(std::size_t optional_clauses) const;
};

struct BoolQuery {
  std::vector<QueryPtr> must, should, filter, must_not;
  std::optional<MinimumShouldMatch> minimum_should_match;
  float boost = 1.0f;
};

struct ConstantScoreQuery { QueryPtr filter; float boost = 1.0f; };
struct DisMaxQuery { std::vector<QueryPtr> queries; float tie_breaker = 0.0f; float boost = 1.0f; };

struct Query {
  std::variant<MatchAllQuery, MatchNoneQuery, FieldQuery, IdsQuery, BoolQuery, ConstantScoreQuery, DisMaxQuery> node;
};

template <typename T>
QueryPtr make_query(T node) {
  auto q = std::make_unique<Query>();
  q->node = std::move(node);
  return q;
}

struct SortKey {
  // kUnmapped: a field the mapping does not have, sorted with `unmapped_type`: every document's
  // value is missing, so the key ties everywhere and the next key decides (as in Elasticsearch).
  enum class Kind { kField, kScore, kDoc, kUnmapped };
  Kind kind = Kind::kScore;
  std::optional<FieldRef> field;
  bool unmapped_numeric = false;  // kUnmapped: the unmapped_type is a number or date type
  bool descending = true;
  enum class Missing { kLast, kFirst, kValue } missing = Missing::kLast;
  std::string missing_value;  // kValue
};

struct SourceFilter {
  bool enabled = true;
  std::vector<std::string> includes, excludes;  // field patterns
  bool filtered() const { return !includes.empty() || !excludes.empty(); }
};

struct HighlightSpec {
  std::vector<std::string> fields;  // patterns, in request order
  std::string pre_tag = "<em>", post_tag = "</em>";
  bool require_field_match = true;
};

struct TermsOrder {
  enum class By { kCount, kKey, kSubAgg } by = By::kCount;
  bool ascending = false;
  std::string sub_agg;      // kSubAgg: "name" or "name.metric"
};

struct RangeSpec {
  std::optional<std::string> key;
  std::optional<double> from, to;              // range
  std::optional<std::int64_t> from_ms, to_ms;  // date_range
};

// ---- aggregations: one struct per kind, every field parsed and checked at request time ----

struct TermsAgg {
  FieldRef field;
  std::size_t size = 10;
  std::int64_t min_doc_count = 1;
  std::vector<TermsOrder> order;  // empty: by count, descending
  std::shared_ptr<const CompiledRegexp> include_regexp, exclude_regexp;
  std::vector<std::string> include_values, exclude_values;
  std::optional<std::string> missing;  // the value for documents without the field
};

// value_count and cardinality.
struct CountAgg {
  enum class Kind { kValueCount, kCardinality } kind = Kind::kValueCount;
  FieldRef field;
  std::optional<std::string> missing;
};

// min, max, avg, sum and stats over a date or long field.
struct MetricAgg {
  enum class Kind { kMin, kMax, kAvg, kSum, kStats } kind = Kind::kMin;
  FieldRef field;
  std::optional<std::string> missing;
  DateFormat format = DateFormat::default_format();  // *_as_string of date fields
};

struct MissingAgg { FieldRef field; };

struct FilterAgg { QueryPtr filter; };

struct FiltersAgg {
  std::vector<std::pair<std::string, QueryPtr>> filters;
  bool keyed = true;  // an object of named filters (false: an array)
  bool other_bucket = false;
  std::string other_bucket_key = "_other_";
};

// range and date_range.
struct RangeAgg {
  FieldRef field;
  bool dates = false;
  std::vector<RangeSpec> ranges;
  bool keyed = false;
  DateFormat format = DateFormat::default_format();
  TimeZoneOffset time_zone;
};

// histogram and date_histogram.
struct HistogramAgg {
  FieldRef field;
  bool dates = false;
  double interval = 0;                         // histogram
  std::optional<CalendarUnit> calendar_unit;   // date_histogram: a calendar interval, or
  std::int64_t fixed_interval_ms = 0;          // a fixed one
  double offset = 0;
  std::int64_t min_doc_count = 0;
  std::optional<double> extended_min, extended_max;
  bool keyed = false;
  DateFormat format = DateFormat::default_format();
  TimeZoneOffset time_zone;
};

struct TopHitsAgg {
  std::size_t from = 0;
  std::size_t size = 3;
  std::vector<SortKey> sort;
  SourceFilter source;
};

struct Aggregation {
  std::string name;
  std::variant<TermsAgg, CountAgg, MetricAgg, MissingAgg, FilterAgg, FiltersAgg, RangeAgg, HistogramAgg, TopHitsAgg> spec;
  std::vector<Aggregation> subs;
};

struct SearchRequest {
  QueryPtr query;        // never null (match_all when absent)
  QueryPtr post_filter;  // may be null
  std::size_t from = 0;
  std::size_t size = 10;
  std::vector<SortKey> sort;  // empty: by _score
  std::optional<nlohmann::json> search_after;  // an array
  SourceFilter source;
  std::optional<HighlightSpec> highlight;
  std::vector<Aggregation> aggs;
  std::vector<SuggestSpec> suggest;
  bool track_total_hits = true;
  bool track_scores = false;
  std::optional<double> min_score;
  // Elasticsearch's "timeout": stop collecting after this long (see executor.h). Unset: the
  // server's own limit applies.
  std::optional<std::chrono::nanoseconds> timeout;
};

}  // namespace bh::search
