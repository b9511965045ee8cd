#include "search/query_builders.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace bh::search {

Result<MinimumShouldMatch> parse_minimum_should_match(std::string_view spec) {
  std::string_view s = spec;
  MinimumShouldMatch m;
  m.percent = !s.empty() && s.back() == '%';
  if (m.percent) s.remove_suffix(1);
  const auto v = parse_long(s);
  if (!v || std::string(s).find_first_of(" <") != std::string::npos) {
    return fail(Code::kInvalidArgument, fmt::format("minimum_should_match [{}] is not a number or a percentage", spec));
  }
  m.value = *v;
  return m;
}

std::size_t MinimumShouldMatch::required_of(std::size_t optional_clauses) const {
  const auto n = static_cast<long long>(optional_clauses);
  const long long magnitude = value < 0 ? -value : value;
  long long k = percent ? static_cast<long long>(static_cast<double>(n) * static_cast<double>(magnitude) / 100.0) : magnitude;
  if (value < 0) k = n - k;
  return static_cast<std::size_t>(std::clamp<long long>(k, 0, n));
}
namespace {

QueryPtr string_query(const FieldRef& field, StringPredicate p, ScoreMode score, float boost) {
  FieldQuery q;
  q.field = field;
  q.predicate = std::move(p);
  q.score = score;
  q.boost = boost;
  return make_query(std::move(q));
}

QueryPtr numeric_query(const FieldRef& field, NumericPredicate p, float boost) {
  FieldQuery q;
  q.field = field;
  q.predicate = std::move(p);
  q.score = ScoreMode::kConstant;
  q.boost = boost;
  return make_query(std::move(q));
}

Status value_error(const FieldRef& field, std::string_view value, std::string_view why) {
  return Status(Code::kInvalidArgument,
                fmt::format("failed to create query: field [{}] of type [{}]: {} [{}]", field.name,
                            field_type_name(field.type), why, value));
}

// The inclusive millisecond interval a date value names ("2019-01-01" is the whole day).
Result<std::pair<std::int64_t, std::int64_t>> date_interval(const FieldRef& field, std::string_view value,
                                                          const ValueOptions& o) {
  const DateFormat& format = o.date_format ? *o.date_format : DateFormat::default_format();
  auto lo = parse_date_math(value, format, o.time_zone, o.now_millis, false);
  auto hi = parse_date_math(value, format, o.time_zone, o.now_millis, true);
  if (!lo || !hi) return fail(value_error(field, value, "cannot parse the date"));
  return std::pair{*lo, *hi};
}

Result<QueryPtr> numeric_term(const FieldRef& field, std::string_view value, const ValueOptions& o) {
  if (field.type == FieldType::kDate) {
    auto interval = date_interval(field, value, o);
    if (!interval) return o.lenient ? make_query(MatchNoneQuery{}) : Result<QueryPtr>(tl::unexpected(interval.error()));
    NumericPredicate p;
    p.is_range = true;
    p.lower = interval->first;
    p.upper = interval->second;
    return numeric_query(field, std::move(p), o.boost);
  }
  const auto v = parse_long(value);
  if (!v) {
    if (o.lenient) return make_query(MatchNoneQuery{});
    return fail(value_error(field, value, "not a whole number"));
  }
  NumericPredicate p;
  p.values.push_back(*v);
  return numeric_query(field, std::move(p), o.boost);
}

Result<QueryPtr> id_term(const FieldRef& field, std::string_view value, const ValueOptions& o) {
  // The record id is a keyword in Buildhub2's mapping: the exact decimal text.
  StringPredicate p;
  p.op = StringPredicate::Op::kEquals;
  p.values.emplace_back(value);
  return string_query(field, std::move(p), ScoreMode::kTermIdf, o.boost);
}

}  // namespace

std::optional<std::int64_t> parse_long(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const char* begin = text.data();
  if (*begin == '+') ++begin;
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), v);
  if (ec == std::errc() && ptr == text.data() + text.size()) return v;
  // "5.0" is a whole number; "5.5" is not.
  double d = 0;
  const auto [dptr, dec] = std::from_chars(begin, text.data() + text.size(), d);
  if (dec == std::errc() && dptr == text.data() + text.size() && std::isfinite(d) && d == std::floor(d) &&
      std::fabs(d) < 9.2e18) {
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

Result<QueryPtr> term_query(const FieldRef& field, std::string_view value, const ValueOptions& o) {
  switch (field.type) {
    case FieldType::kDate: case FieldType::kLong: return numeric_term(field, value, o);
    case FieldType::kRecordId: return id_term(field, value, o);
    case FieldType::kText: {
      StringPredicate p;
      p.op = StringPredicate::Op::kTokens;
      p.values.emplace_back(value);
      return string_query(field, std::move(p), ScoreMode::kTermIdf, o.boost);
    }
    case FieldType::kKeyword: case FieldType::kVersion: {
      StringPredicate p;
      p.op = StringPredicate::Op::kEquals;
      p.case_insensitive = o.case_insensitive;
      p.values.emplace_back(value);
      return string_query(field, std::move(p), ScoreMode::kTermIdf, o.boost);
    }
  }
  return make_query(MatchNoneQuery{});
}

Result<QueryPtr> terms_query(const FieldRef& field, const std::vector<std::string>& values, const ValueOptions& o) {
  if (field.type == FieldType::kKeyword || field.type == FieldType::kVersion || field.type == FieldType::kRecordId) {
    StringPredicate p;
    p.op = StringPredicate::Op::kEquals;
    p.values = values;
    return string_query(field, std::move(p), ScoreMode::kConstant, o.boost);
  }
  BoolQuery b;
  for (const auto& v : values) {
    BH_ASSIGN_OR_RETURN(QueryPtr q, term_query(field, v, o));
    b.should.push_back(std::move(q));
  }
  ConstantScoreQuery cs;
  cs.filter = make_query(std::move(b));
  cs.boost = o.boost;
  return make_query(std::move(cs));
}

Result<QueryPtr> match_query(const FieldRef& field, std::string_view text, bool and_operator,
                             const std::optional<MinimumShouldMatch>& minimum_should_match, const ValueOptions& o) {
  if (field.type != FieldType::kText) return term_query(field, text, o);
  const auto tokens = standard_tokens(text);
  if (tokens.empty()) return make_query(MatchNoneQuery{});
  if (tokens.size() == 1) return term_query(field, tokens[0], o);
  BoolQuery b;
  for (const auto& t : tokens) {
    ValueOptions one = o;
    one.boost = 1.0f;
    BH_ASSIGN_OR_RETURN(QueryPtr q, term_query(field, t, one));
    (and_operator ? b.must : b.should).push_back(std::move(q));
  }
  if (!and_operator) b.minimum_should_match = minimum_should_match.value_or(MinimumShouldMatch{});
  b.boost = o.boost;
  return make_query(std::move(b));
}

Result<QueryPtr> phrase_query(const FieldRef& field, std::string_view text, const ValueOptions& o) {
  if (field.type != FieldType::kText) return term_query(field, text, o);
  StringPredicate p;
  p.op = StringPredicate::Op::kTokens;
  p.phrase = true;
  p.values = standard_tokens(text);
  if (p.values.empty()) return make_query(MatchNoneQuery{});
  return string_query(field, std::move(p), ScoreMode::kTermIdf, o.boost);
}

namespace {

// prefix / wildcard / regexp: multi-term queries on string fields, constant score.
Result<QueryPtr> multi_term_query(const FieldRef& field, StringPredicate p, std::string_view what, const ValueOptions& o) {
  if (field.is_numeric()) {
    if (o.lenient) return make_query(MatchNoneQuery{});
    return fail(value_error(field, p.values[0], fmt::format("{} queries need a keyword or text field, not", what)));
  }
  return string_query(field, std::move(p), ScoreMode::kConstant, o.boost);
}

StringPredicate pattern_predicate(StringPredicate::Op op, std::string_view text, bool case_insensitive) {
  StringPredicate p;
  p.op = op;
  p.case_insensitive = case_insensitive;
  p.values.emplace_back(text);
  return p;
}

}  // namespace

Result<QueryPtr> prefix_query(const FieldRef& field, std::string_view prefix, const ValueOptions& o) {
  return multi_term_query(field, pattern_predicate(StringPredicate::Op::kPrefix, prefix, o.case_insensitive), "prefix", o);
}

Result<QueryPtr> wildcard_query(const FieldRef& field, std::string_view pattern, const ValueOptions& o) {
  return multi_term_query(field, pattern_predicate(StringPredicate::Op::kWildcard, pattern, o.case_insensitive), "wildcard", o);
}

Result<QueryPtr> regexp_query(const FieldRef& field, std::string_view pattern, std::string_view flags,
                              const ValueOptions& o) {
  StringPredicate p = pattern_predicate(StringPredicate::Op::kRegexp, pattern, false);
  if (!field.is_numeric()) { BH_ASSIGN_OR_RETURN(p.regexp, CompiledRegexp::compile(pattern, flags)); }
  return multi_term_query(field, std::move(p), "regexp", o);
}

QueryPtr exists_query(const FieldRef& field, float boost) {
  FieldQuery q;
  q.field = field;
  q.predicate = ExistsPredicate{};
  q.boost = boost;
  return make_query(std::move(q));
}

QueryPtr exists_any_query(std::string_view field_pattern, float boost) {
  const auto fields = expand_field_pattern(field_pattern);
  if (fields.empty()) return make_query(MatchNoneQuery{});
  if (fields.size() == 1) return exists_query(fields[0], boost);
  BoolQuery b;
  for (const auto& f : fields) b.should.push_back(exists_query(f, 1.0f));
  b.minimum_should_match = MinimumShouldMatch{};
  ConstantScoreQuery cs;
  cs.filter = make_query(std::move(b));
  cs.boost = boost;
  return make_query(std::move(cs));
}

Result<QueryPtr> range_query(const FieldRef& field, const RangeBounds& b, const ValueOptions& o) {
  if (field.type == FieldType::kDate) {
    const DateFormat& format = o.date_format ? *o.date_format : DateFormat::default_format();
    NumericPredicate p;
    p.is_range = true;
    if (b.lower) {
      // gte rounds down; gt rounds up and excludes that last millisecond.
      auto v = parse_date_math(*b.lower, format, o.time_zone, o.now_millis, !b.include_lower);
      if (!v) return o.lenient ? make_query(MatchNoneQuery{}) : Result<QueryPtr>(fail(value_error(field, *b.lower, "cannot parse the date")));
      p.lower = b.include_lower ? *v : *v + 1;
    }
    if (b.upper) {
      auto v = parse_date_math(*b.upper, format, o.time_zone, o.now_millis, b.include_upper);
      if (!v) return o.lenient ? make_query(MatchNoneQuery{}) : Result<QueryPtr>(fail(value_error(field, *b.upper, "cannot parse the date")));
      p.upper = b.include_upper ? *v : *v - 1;
    }
    return numeric_query(field, std::move(p), o.boost);
  }
  if (field.type == FieldType::kLong) {
    NumericPredicate p;
    p.is_range = true;
    auto bound = [&](const std::string& text, bool lower, bool inclusive, std::int64_t& out) -> Status {
      double d = 0;
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(d)) {
        return value_error(field, text, "not a number");
      }
      if (d >= 9.2e18) d = 9.2e18;
      if (d <= -9.2e18) d = -9.2e18;
      if (lower) out = inclusive ? static_cast<std::int64_t>(std::ceil(d)) : static_cast<std::int64_t>(std::floor(d)) + 1;
      else out = inclusive ? static_cast<std::int64_t>(std::floor(d)) : static_cast<std::int64_t>(std::ceil(d)) - 1;
      return Status::ok();
    };
    if (b.lower) {
      const Status s = bound(*b.lower, true, b.include_lower, p.lower);
      if (!s.is_ok()) return o.lenient ? make_query(MatchNoneQuery{}) : Result<QueryPtr>(tl::unexpected(s));
    }
    if (b.upper) {
      const Status s = bound(*b.upper, false, b.include_upper, p.upper);
      if (!s.is_ok()) return o.lenient ? make_query(MatchNoneQuery{}) : Result<QueryPtr>(tl::unexpected(s));
    }
    return numeric_query(field, std::move(p), o.boost);
  }
  StringPredicate p;
  p.op = StringPredicate::Op::kRange;
  p.lower = b.lower;
  p.upper = b.upper;
  p.include_lower = b.include_lower;
  p.include_upper = b.include_upper;
  return string_query(field, std::move(p), ScoreMode::kConstant, o.boost);
}

}  // namespace bh::search
