// The typed form of an Elasticsearch search body. request_parser.cc builds it once from the
// JSON (all names resolved, all dates and numbers parsed, regexps compiled); executor.cc and
// aggregations.cc run it. Nothing here refers to JSON text except search_after values.
//
// Thread safety: immutable after parsing; a SearchRequest may be executed from any thread.
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

struct BoolQuery {
  std::vector<QueryPtr> must, should, filter, must_not;
  std::optional<std::string> minimum_should_match;  // "2", "-1", "75%"
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
  enum class Kind { kField, kScore, kDoc };
  Kind kind = Kind::kScore;
  std::optional<FieldRef> field;
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

struct AggSpec;

struct TermsOrder {
  enum class By { kCount, kKey, kSubAgg } by = By::kCount;
  bool ascending = false;
  std::string sub_agg;      // kSubAgg: "name" or "name.metric"
};

struct RangeSpec {
  std::optional<std::string> key;
  std::optional<double> from, to;          // range
  std::optional<std::int64_t> from_ms, to_ms;  // date_range
};

struct AggSpec {
  enum class Type {
    kTerms, kCardinality, kValueCount, kMin, kMax, kAvg, kSum, kStats, kFilter, kFilters, kRange, kDateRange,
    kHistogram, kDateHistogram, kTopHits, kMissing
  };
  std::string name;
  Type type = Type::kTerms;
  std::optional<FieldRef> field;
  std::vector<AggSpec> subs;

  // terms
  std::size_t size = 10;
  std::int64_t min_doc_count = 1;
  std::vector<TermsOrder> order;
  std::shared_ptr<const CompiledRegexp> include_regexp, exclude_regexp;
  std::vector<std::string> include_values, exclude_values;
  std::optional<std::string> missing;  // terms/metrics: value for documents without the field

  // filter / filters
  QueryPtr filter;
  std::vector<std::pair<std::string, QueryPtr>> filters;
  bool filters_keyed = true;
  bool other_bucket = false;
  std::string other_bucket_key = "_other_";

  // range / date_range
  std::vector<RangeSpec> ranges;
  bool keyed = false;

  // histogram / date_histogram
  double interval = 0;
  double offset = 0;
  std::optional<CalendarUnit> calendar_unit;
  std::int64_t fixed_interval_ms = 0;
  std::optional<double> extended_min, extended_max;
  DateFormat format = DateFormat::default_format();
  bool has_format = false;
  TimeZoneOffset time_zone;

  // top_hits
  std::size_t from = 0;
  std::vector<SortKey> sort;
  SourceFilter source;
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
  std::vector<AggSpec> aggs;
  bool track_total_hits = true;
  bool track_scores = false;
  std::optional<double> min_score;
  // Elasticsearch's "timeout": stop collecting after this long (see executor.h). Unset: the
  // server's own limit applies.
  std::optional<std::chrono::nanoseconds> timeout;
};

}  // namespace bh::search
