#include "search/request_parser.h"

#include <cmath>

#include <fmt/format.h>

#include "core/json_nesting.h"
#include "search/es_errors.h"
#include "search/query_builders.h"
#include "search/query_string.h"
#include "search/request_detail.h"
#include "search/text_analysis.h"

namespace bh::search {
namespace request_detail {

using json = nlohmann::json;

tl::unexpected<Status> bad(std::string message) {
  return fail(es_error(Code::kInvalidArgument, std::move(message), es_type::kParsing));
}

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    default: return "a number";
  }
}

// A scalar as the text Elasticsearch would see: strings as-is, numbers in JSON form.
Result<std::string> scalar_text(const json& j, std::string_view what) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return j.dump();
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) return fmt::format("{}", static_cast<std::int64_t>(d));
    return j.dump();
  }
  if (j.is_boolean()) return std::string(j.get<bool>() ? "true" : "false");
  return bad(fmt::format("{} must be a string or a number, not {}", what, type_name(j)));
}

Result<float> number_of(const json& j, std::string_view what) {
  if (j.is_number()) return static_cast<float>(j.get<double>());
  if (j.is_string()) {
    try {
      std::size_t used = 0;
      const double d = std::stod(j.get<std::string>(), &used);
      if (used == j.get<std::string>().size() && std::isfinite(d)) return static_cast<float>(d);
    } catch (...) {
    }
  }
  return bad(fmt::format("{} must be a number", what));
}

Result<bool> bool_of(const json& j, std::string_view what) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_string() && (j == "true" || j == "false")) return j == "true";
  return bad(fmt::format("{} must be true or false", what));
}

// size/from: numbers or numeric strings (Buildhub2 ran int() on size).
Result<std::int64_t> count_of(const json& j, std::string_view what) {
  if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    return bad(fmt::format("[{}] is out of range: {}", what, j.dump()));  // quoted as sent, not wrapped around
  }
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) return static_cast<std::int64_t>(d);
  }
  if (j.is_string()) {
    if (auto v = parse_long(j.get<std::string>())) return *v;
  }
  return bad(fmt::format("[{}] must be a whole number, not {}", what, j.is_string() ? fmt::format("\"{}\"", j.get<std::string>()) : j.dump()));
}



// {"field": value} or {"field": {"value": ..., options}}: the field name and the options object.
struct FieldClause {
  std::string field;
  json body;           // the value or the options object
  bool has_options;
};

Result<FieldClause> single_field(const json& j, std::string_view query) {
  if (!j.is_object()) return bad(fmt::format("[{}] query must be an object, not {}", query, type_name(j)));
  std::optional<FieldClause> out;
  for (const auto& [k, v] : j.items()) {
    if (k == "boost" || k == "_name") continue;
    if (out) return bad(fmt::format("[{}] query doesn't support multiple fields, found [{}] and [{}]", query, out->field, k));
    out = FieldClause{k, v, v.is_object()};
  }
  if (!out || out->field.empty()) return bad(fmt::format("[{}] query needs a field name", query));
  return *out;
}

Result<float> boost_of(const json& options) {
  if (!options.is_object() || !options.contains("boost")) return 1.0f;
  return number_of(options["boost"], "boost");
}

Result<QueryPtr> parse_query(Context& ctx, const json& j, std::size_t depth, bool filter_context);

Result<std::vector<QueryPtr>> parse_clause_list(Context& ctx, const json& j, std::size_t depth, bool filter_context) {
  std::vector<QueryPtr> out;
  if (j.is_array()) {
    for (const auto& item : j) {
      BH_ASSIGN_OR_RETURN(QueryPtr q, parse_query(ctx, item, depth, filter_context));
      out.push_back(std::move(q));
    }
  } else {
    BH_ASSIGN_OR_RETURN(QueryPtr q, parse_query(ctx, j, depth, filter_context));
    out.push_back(std::move(q));
  }
  return out;
}

Result<std::optional<FieldRef>> field_or_none(std::string_view name, std::string_view query) {
  if (name.empty()) return bad(fmt::format("[{}] query: field name is null or empty", query));
  return resolve_field(name);
}

Result<QueryPtr> parse_bool(Context& ctx, const json& b, std::size_t depth, bool filter_context) {
  if (!b.is_object()) return bad("[bool] query must be an object");
  BoolQuery q;
  for (const auto& [k, v] : b.items()) {
    if (k == "must") { BH_ASSIGN_OR_RETURN(q.must, parse_clause_list(ctx, v, depth, filter_context)); }
    else if (k == "should") { BH_ASSIGN_OR_RETURN(q.should, parse_clause_list(ctx, v, depth, filter_context)); }
    else if (k == "filter") { BH_ASSIGN_OR_RETURN(q.filter, parse_clause_list(ctx, v, depth, true)); }
    else if (k == "must_not") { BH_ASSIGN_OR_RETURN(q.must_not, parse_clause_list(ctx, v, depth, true)); }
    else if (k == "minimum_should_match") { BH_ASSIGN_OR_RETURN(q.minimum_should_match, minimum_should_match_of(v, "[bool] minimum_should_match")); }
    else if (k == "boost") { BH_ASSIGN_OR_RETURN(q.boost, number_of(v, "boost")); }
    else if (k == "disable_coord" || k == "adjust_pure_negative" || k == "_name") {}
    else return bad(fmt::format("[bool] query does not support [{}]", k));
  }
  // Elasticsearch 6: in a filter context, should clauses of a bool without must need one match.
  if (filter_context && !q.should.empty() && !q.minimum_should_match && q.must.empty() && q.filter.empty()) {
    q.minimum_should_match = MinimumShouldMatch{};
  }
  return make_query(std::move(q));
}

Result<QueryPtr> parse_range(Context& ctx, const json& j) {
  BH_ASSIGN_OR_RETURN(FieldClause c, single_field(j, "range"));
  if (!c.body.is_object()) return bad("[range] query: the field must map to an object of bounds");
  BH_ASSIGN_OR_RETURN(auto field, field_or_none(c.field, "range"));
  RangeBounds b;
  ValueOptions o;
  o.now_millis = ctx.now;
  std::optional<DateFormat> format;
  for (const auto& [k, v] : c.body.items()) {
    if (k == "gt" || k == "gte" || k == "from") {
      if (v.is_null()) continue;
      BH_ASSIGN_OR_RETURN(b.lower, scalar_text(v, "[range] bound"));
      if (k != "from") b.include_lower = k == "gte";
    } else if (k == "lt" || k == "lte" || k == "to") {
      if (v.is_null()) continue;
      BH_ASSIGN_OR_RETURN(b.upper, scalar_text(v, "[range] bound"));
      if (k != "to") b.include_upper = k == "lte";
    } else if (k == "include_lower") { BH_ASSIGN_OR_RETURN(b.include_lower, bool_of(v, "include_lower")); }
    else if (k == "include_upper") { BH_ASSIGN_OR_RETURN(b.include_upper, bool_of(v, "include_upper")); }
    else if (k == "format") {
      if (!v.is_string()) return bad("[range] format must be a string");
      BH_ASSIGN_OR_RETURN(format, DateFormat::parse(v.get<std::string>()));
    } else if (k == "time_zone") {
      if (!v.is_string()) return bad("[range] time_zone must be a string");
      BH_ASSIGN_OR_RETURN(o.time_zone, TimeZoneOffset::parse(v.get<std::string>()));
    } else if (k == "boost") { BH_ASSIGN_OR_RETURN(o.boost, number_of(v, "boost")); }
    else if (k == "relation" || k == "_name") {}
    else return bad(fmt::format("[range] query does not support [{}]", k));
  }
  if (!field) return make_query(MatchNoneQuery{});
  if (format) o.date_format = &*format;
  return range_query(*field, b, o);
}

// match / match_phrase / term / prefix / wildcard / regexp: {"field": value} or {"field": {...}}.
Result<QueryPtr> parse_field_query(Context& ctx, std::string_view type, const json& j) {
  BH_ASSIGN_OR_RETURN(FieldClause c, single_field(j, type));
  BH_ASSIGN_OR_RETURN(auto field, field_or_none(c.field, type));
  ValueOptions o;
  o.now_millis = ctx.now;
  json value = c.body;
  bool and_operator = false;
  std::optional<MinimumShouldMatch> msm;
  std::string flags;
  std::string zero_terms = "none";
  if (c.has_options) {
    value = json();
    for (const auto& [k, v] : c.body.items()) {
      if (k == "value" || k == "query" || (k == "wildcard" && type == "wildcard")) value = v;
      else if (k == "boost") { BH_ASSIGN_OR_RETURN(o.boost, number_of(v, "boost")); }
      else if (k == "case_insensitive") { BH_ASSIGN_OR_RETURN(o.case_insensitive, bool_of(v, "case_insensitive")); }
      else if (k == "lenient") { BH_ASSIGN_OR_RETURN(o.lenient, bool_of(v, "lenient")); }
      else if (k == "operator" && v.is_string()) {
        const std::string op = v.get<std::string>();
        if (op == "and" || op == "AND") and_operator = true;
        else if (op != "or" && op != "OR") return bad(fmt::format("[{}] operator must be and or or, not [{}]", type, op));
      } else if (k == "minimum_should_match") { BH_ASSIGN_OR_RETURN(msm, minimum_should_match_of(v, "minimum_should_match")); }
      else if (k == "flags" && v.is_string()) flags = v.get<std::string>();
      else if (k == "zero_terms_query" && v.is_string()) zero_terms = v.get<std::string>();
      else if (k == "analyzer" || k == "slop" || k == "fuzziness" || k == "prefix_length" || k == "max_expansions" ||
               k == "rewrite" || k == "max_determinized_states" || k == "flags_value" || k == "_name" ||
               k == "auto_generate_synonyms_phrase_query" || k == "fuzzy_transpositions" || k == "cutoff_frequency") {
      } else {
        return bad(fmt::format("[{}] query does not support [{}]", type, k));
      }
    }
    if (value.is_null()) return bad(fmt::format("[{}] query needs a value for field [{}]", type, c.field));
  }
  BH_ASSIGN_OR_RETURN(std::string text, scalar_text(value, fmt::format("[{}] value", type)));
  if (!field) return make_query(MatchNoneQuery{});
  if (type == "term") return term_query(*field, text, o);
  if (type == "match") {
    if (field->type == FieldType::kText && standard_tokens(text).empty() && zero_terms == "all") return make_query(MatchAllQuery{});
    return match_query(*field, text, and_operator, msm, o);
  }
  if (type == "match_phrase") return phrase_query(*field, text, o);
  if (type == "prefix") return prefix_query(*field, text, o);
  if (type == "wildcard") return wildcard_query(*field, text, o);
  return regexp_query(*field, text, flags, o);
}

Result<std::vector<WeightedField>> weighted_fields(const json& j, std::string_view query) {
  if (!j.is_array()) return bad(fmt::format("[{}] fields must be an array of field names", query));
  std::vector<WeightedField> out;
  for (const auto& f : j) {
    if (!f.is_string()) return bad(fmt::format("[{}] fields must be strings", query));
    std::string name = f.get<std::string>();
    WeightedField w;
    const auto caret = name.rfind('^');
    if (caret != std::string::npos) {
      try {
        std::size_t used = 0;
        const std::string b = name.substr(caret + 1);
        w.boost = std::stof(b, &used);
        if (used != b.size()) throw std::invalid_argument("boost");
      } catch (...) {
        return bad(fmt::format("[{}] field [{}] has an invalid ^boost", query, name));
      }
      name.resize(caret);
    }
    w.pattern = std::move(name);
    out.push_back(std::move(w));
  }
  return out;
}

Result<QueryPtr> parse_query_string_query(Context& ctx, const json& j, bool simple) {
  const std::string_view type = simple ? "simple_query_string" : "query_string";
  if (!j.is_object()) return bad(fmt::format("[{}] query must be an object", type));
  QueryStringOptions o;
  o.now_millis = ctx.now;
  o.max_clauses = ctx.limits.max_clauses;
  bool has_query = false;
  for (const auto& [k, v] : j.items()) {
    if (k == "query") { BH_ASSIGN_OR_RETURN(o.query, scalar_text(v, fmt::format("[{}] query", type))); has_query = true; }
    else if (k == "fields") { BH_ASSIGN_OR_RETURN(o.fields, weighted_fields(v, type)); }
    else if (k == "default_field") { if (!v.is_string()) return bad("default_field must be a string"); o.default_field = v.get<std::string>(); }
    else if (k == "default_operator") {
      if (!v.is_string()) return bad("default_operator must be a string");
      const std::string op = v.get<std::string>();
      if (op == "AND" || op == "and") o.default_and = true;
      else if (op != "OR" && op != "or") return bad(fmt::format("[{}] default_operator must be AND or OR, not [{}]", type, op));
    }
    else if (k == "analyze_wildcard") { BH_ASSIGN_OR_RETURN(o.analyze_wildcard, bool_of(v, "analyze_wildcard")); }
    else if (k == "lenient") { BH_ASSIGN_OR_RETURN(o.lenient, bool_of(v, "lenient")); }
    else if (k == "auto_generate_phrase_queries") { BH_ASSIGN_OR_RETURN(o.auto_generate_phrase_queries, bool_of(v, "auto_generate_phrase_queries")); }
    else if (k == "minimum_should_match") { BH_ASSIGN_OR_RETURN(o.minimum_should_match, minimum_should_match_of(v, "minimum_should_match")); }
    else if (k == "tie_breaker") { BH_ASSIGN_OR_RETURN(o.tie_breaker, number_of(v, "tie_breaker")); }
    else if (k == "boost") { BH_ASSIGN_OR_RETURN(o.boost, number_of(v, "boost")); }
    else if (k == "time_zone") { if (!v.is_string()) return bad("time_zone must be a string"); BH_ASSIGN_OR_RETURN(o.time_zone, TimeZoneOffset::parse(v.get<std::string>())); }
    else if (k == "analyzer") {
      if (!v.is_string()) return bad(fmt::format("[{}] analyzer must be a string", type));
      BH_ASSIGN_OR_RETURN(o.lowercase_keywords, analyzer_lowercases(v.get<std::string>()));
    }
    else if (k == "quote_analyzer" || k == "phrase_slop" || k == "split_on_whitespace" ||
             k == "allow_leading_wildcard" || k == "enable_position_increments" || k == "fuzziness" ||
             k == "fuzzy_prefix_length" || k == "fuzzy_max_expansions" || k == "fuzzy_transpositions" ||
             k == "max_determinized_states" || k == "quote_field_suffix" || k == "flags" || k == "escape" ||
             k == "use_dis_max" || k == "auto_generate_synonyms_phrase_query" || k == "type" || k == "rewrite" ||
             k == "analyze_wildcards" || k == "_name" || k == "all_fields") {
    } else {
      return bad(fmt::format("[{}] query does not support [{}]", type, k));
    }
  }
  if (!has_query) return bad(fmt::format("[{}] must be provided with a [query]", type));
  return simple ? parse_simple_query_string(o) : parse_query_string(o);
}

Result<QueryPtr> parse_multi_match(Context& ctx, const json& j) {
  if (!j.is_object()) return bad("[multi_match] query must be an object");
  std::string text;
  std::vector<WeightedField> fields;
  std::string type = "best_fields";
  bool and_operator = false;
  float tie = 0.0f, boost = 1.0f;
  bool lenient = false;
  std::optional<MinimumShouldMatch> msm;
  bool has_query = false;
  for (const auto& [k, v] : j.items()) {
    if (k == "query") { BH_ASSIGN_OR_RETURN(text, scalar_text(v, "[multi_match] query")); has_query = true; }
    else if (k == "fields") { BH_ASSIGN_OR_RETURN(fields, weighted_fields(v, "multi_match")); }
    else if (k == "type" && v.is_string()) type = v.get<std::string>();
    else if (k == "operator" && v.is_string()) and_operator = v == "and" || v == "AND";
    else if (k == "tie_breaker") { BH_ASSIGN_OR_RETURN(tie, number_of(v, "tie_breaker")); }
    else if (k == "boost") { BH_ASSIGN_OR_RETURN(boost, number_of(v, "boost")); }
    else if (k == "lenient") { BH_ASSIGN_OR_RETURN(lenient, bool_of(v, "lenient")); }
    else if (k == "minimum_should_match") { BH_ASSIGN_OR_RETURN(msm, minimum_should_match_of(v, "minimum_should_match")); }
    else if (k == "analyzer" || k == "slop" || k == "fuzziness" || k == "prefix_length" || k == "max_expansions" ||
             k == "zero_terms_query" || k == "_name" || k == "cutoff_frequency" || k == "auto_generate_synonyms_phrase_query") {}
    else return bad(fmt::format("[multi_match] query does not support [{}]", k));
  }
  if (!has_query) return bad("[multi_match] requires a [query]");
  if (type != "best_fields" && type != "most_fields" && type != "phrase" && type != "phrase_prefix" && type != "cross_fields") {
    return bad(fmt::format("[multi_match] unknown type [{}]", type));
  }
  if (fields.empty()) fields.push_back({"*", 1.0f});
  std::vector<QueryPtr> per_field;
  for (const auto& wf : fields) {
    for (const auto& f : expand_field_pattern(wf.pattern)) {
      ValueOptions o;
      o.boost = wf.boost;
      o.lenient = lenient || wf.pattern.find('*') != std::string::npos;
      o.now_millis = ctx.now;
      Result<QueryPtr> q = type == "phrase" ? phrase_query(f, text, o)
                           : type == "phrase_prefix" ? prefix_query(f, text, o)
                                                     : match_query(f, text, and_operator, msm, o);
      if (!q) return q;
      per_field.push_back(std::move(*q));
    }
  }
  if (per_field.empty()) return make_query(MatchNoneQuery{});
  if (type == "most_fields") {
    BoolQuery b;
    b.should = std::move(per_field);
    b.boost = boost;
    return make_query(std::move(b));
  }
  DisMaxQuery d;
  d.queries = std::move(per_field);
  d.tie_breaker = type == "cross_fields" ? std::max(tie, 0.0f) : tie;
  d.boost = boost;
  return make_query(std::move(d));
}

Result<QueryPtr> parse_query(Context& ctx, const json& j, std::size_t depth, bool filter_context) {
  if (depth > ctx.limits.max_depth) {
    return bad(fmt::format("the query nests deeper than {} levels", ctx.limits.max_depth));
  }
  if (++ctx.clauses > ctx.limits.max_clauses) {
    return bad(fmt::format("too many query clauses: more than {}", ctx.limits.max_clauses));
  }
  if (!j.is_object() || j.size() != 1) {
    return bad(fmt::format("query malformed: a query is an object with exactly one query type, such as "
                           "{{\"match\": {{...}}}}; got {}", j.dump().substr(0, 200)));
  }
  const auto first = j.begin();
  const std::string type = first.key();
  const json& body = first.value();
  if (type == "match_all") {
    MatchAllQuery q;
    BH_ASSIGN_OR_RETURN(q.boost, boost_of(body));
    return make_query(q);
  }
  if (type == "match_none") return make_query(MatchNoneQuery{});
  if (type == "term" || type == "match" || type == "match_phrase" || type == "prefix" || type == "wildcard" ||
      type == "regexp") {
    return parse_field_query(ctx, type, body);
  }
  if (type == "terms") {
    if (!body.is_object()) return bad("[terms] query must be an object");
    std::optional<std::pair<std::string, json>> clause;
    float boost = 1.0f;
    for (const auto& [k, v] : body.items()) {
      if (k == "boost") { BH_ASSIGN_OR_RETURN(boost, number_of(v, "boost")); continue; }
      if (k == "_name") continue;
      if (clause) return bad("[terms] query does not support multiple fields");
      clause = std::pair{k, v};
    }
    if (!clause) return bad("[terms] query needs a field");
    if (!clause->second.is_array()) return bad(fmt::format("[terms] query: [{}] must be an array of values", clause->first));
    std::vector<std::string> values;
    for (const auto& v : clause->second) {
      BH_ASSIGN_OR_RETURN(std::string s, scalar_text(v, "[terms] value"));
      values.push_back(std::move(s));
    }
    if (values.size() > 65536) return bad("[terms] query has more than 65536 values");
    BH_ASSIGN_OR_RETURN(auto field, field_or_none(clause->first, "terms"));
    if (!field) return make_query(MatchNoneQuery{});
    ValueOptions o;
    o.boost = boost;
    o.now_millis = ctx.now;
    return terms_query(*field, values, o);
  }
  if (type == "ids") {
    if (!body.is_object() || !body.contains("values") || !body["values"].is_array()) {
      return bad("[ids] query needs \"values\": an array of ids");
    }
    IdsQuery q;
    for (const auto& v : body["values"]) {
      BH_ASSIGN_OR_RETURN(std::string s, scalar_text(v, "[ids] value"));
      // Ids are decimal record ids; anything else names no document.
      if (auto id = parse_long(s); id && std::to_string(*id) == s) q.ids.push_back(*id);
    }
    BH_ASSIGN_OR_RETURN(q.boost, boost_of(body));
    return make_query(std::move(q));
  }
  if (type == "exists") {
    if (!body.is_object() || !body.contains("field") || !body["field"].is_string()) {
      return bad("[exists] query needs \"field\": a field name");
    }
    BH_ASSIGN_OR_RETURN(float boost, boost_of(body));
    return exists_any_query(body["field"].get<std::string>(), boost);
  }
  if (type == "range") return parse_range(ctx, body);
  if (type == "bool") return parse_bool(ctx, body, depth + 1, filter_context);
  if (type == "constant_score") {
    if (!body.is_object() || !body.contains("filter")) return bad("[constant_score] requires a 'filter' element");
    ConstantScoreQuery q;
    BH_ASSIGN_OR_RETURN(q.filter, parse_query(ctx, body["filter"], depth + 1, true));
    BH_ASSIGN_OR_RETURN(q.boost, boost_of(body));
    return make_query(std::move(q));
  }
  if (type == "dis_max") {
    if (!body.is_object() || !body.contains("queries")) return bad("[dis_max] requires 'queries' field");
    DisMaxQuery q;
    BH_ASSIGN_OR_RETURN(q.queries, parse_clause_list(ctx, body["queries"], depth + 1, filter_context));
    if (body.contains("tie_breaker")) { BH_ASSIGN_OR_RETURN(q.tie_breaker, number_of(body["tie_breaker"], "tie_breaker")); }
    BH_ASSIGN_OR_RETURN(q.boost, boost_of(body));
    return make_query(std::move(q));
  }
  if (type == "multi_match") return parse_multi_match(ctx, body);
  if (type == "query_string") return parse_query_string_query(ctx, body, false);
  if (type == "simple_query_string") return parse_query_string_query(ctx, body, true);
  static constexpr std::string_view kKnownElsewhere[] = {
      "function_score", "boosting", "nested", "has_child", "has_parent", "common", "fuzzy", "match_phrase_prefix",
      "more_like_this", "script", "terms_set", "type", "parent_id", "geo_shape", "geo_distance", "geo_bounding_box",
      "geo_polygon", "span_term", "span_near", "span_or", "span_not", "span_first", "span_multi", "span_containing",
      "span_within", "field_masking_span", "percolate", "wrapper", "distance_feature", "rank_feature", "intervals"};
  for (const auto k : kKnownElsewhere) {
    if (type == k) return bad(fmt::format("query type [{}] is not supported by buildhub", type));
  }
  return bad(fmt::format("unknown query [{}]", type));
}

// ---- sort, _source, highlight ----

Result<SortKey> sort_key(std::string_view name, const json* options) {
  SortKey k;
  if (name == "_score") {
    k.kind = SortKey::Kind::kScore;
    k.descending = true;
  } else if (name == "_doc") {
    k.kind = SortKey::Kind::kDoc;
    k.descending = false;
  } else {
    k.kind = SortKey::Kind::kField;
    k.descending = false;
  }
  std::optional<std::string> unmapped_type;
  // Elasticsearch reads the order in any case ("DESC").
  const auto order_of = [&](const json& v) -> Result<bool> {
    const std::string o = v.is_string() ? ascii_lowercase(v.get<std::string>()) : std::string();
    if (o != "asc" && o != "desc") {
      return bad(fmt::format("sort order for [{}] must be asc or desc, not {}", name, v.is_string() ? fmt::format("[{}]", v.get<std::string>()) : v.dump()));
    }
    return o == "desc";
  };
  if (options) {
    if (options->is_string()) {
      BH_ASSIGN_OR_RETURN(k.descending, order_of(*options));
    } else if (options->is_object()) {
      for (const auto& [key, v] : options->items()) {
        if (key == "order") {
          BH_ASSIGN_OR_RETURN(k.descending, order_of(v));
        } else if (key == "missing") {
          if (v == "_last") k.missing = SortKey::Missing::kLast;
          else if (v == "_first") k.missing = SortKey::Missing::kFirst;
          else {
            k.missing = SortKey::Missing::kValue;
            BH_ASSIGN_OR_RETURN(k.missing_value, scalar_text(v, "sort missing"));
          }
        } else if (key == "unmapped_type") {
          if (!v.is_string()) return bad(fmt::format("[unmapped_type] for [{}] must be a type name", name));
          unmapped_type = v.get<std::string>();
        } else if (key != "mode" && key != "numeric_type" && key != "format") {
          return bad(fmt::format("sort option [{}] for [{}] is not supported", key, name));
        }
      }
    } else {
      return bad(fmt::format("sort for [{}] must be \"asc\", \"desc\" or an object", name));
    }
  }
  if (k.kind == SortKey::Kind::kField) {
    auto field = resolve_field(name);
    if (!field) {
      if (unmapped_type) {
        static constexpr std::string_view kNumeric[] = {"long", "integer", "short", "byte", "date", "date_nanos",
                                                        "double", "float", "half_float", "scaled_float"};
        k.kind = SortKey::Kind::kUnmapped;
        k.unmapped_numeric = std::find(std::begin(kNumeric), std::end(kNumeric), *unmapped_type) != std::end(kNumeric);
        return k;
      }
      return bad(fmt::format("No mapping found for [{}] in order to sort on", name));
    }
    if (field->type == FieldType::kText) {
      return bad(fmt::format("Fielddata is disabled on text fields: sort on [{}.keyword] instead of [{}]", name, name));
    }
    k.field = std::move(*field);
  }
  return k;
}

Result<std::vector<SortKey>> parse_sort(const json& j) {
  std::vector<SortKey> out;
  auto one = [&](const json& item) -> Status {
    if (item.is_string()) {
      BH_ASSIGN_OR_RETURN(SortKey k, sort_key(item.get<std::string>(), nullptr));
      out.push_back(std::move(k));
      return Status::ok();
    }
    if (item.is_object()) {
      for (const auto& [name, options] : item.items()) {
        BH_ASSIGN_OR_RETURN(SortKey k, sort_key(name, &options));
        out.push_back(std::move(k));
      }
      return Status::ok();
    }
    return invalid_argument("sort entries must be field names or {\"field\": options} objects");
  };
  if (j.is_array()) {
    for (const auto& item : j) BH_RETURN_IF_ERROR(one(item));
  } else {
    BH_RETURN_IF_ERROR(one(j));
  }
  if (out.size() > 16) return bad("sort has more than 16 keys");
  return out;
}

Result<std::vector<std::string>> string_list(const json& j, std::string_view what) {
  std::vector<std::string> out;
  if (j.is_string()) {
    out.push_back(j.get<std::string>());
    return out;
  }
  if (!j.is_array()) return bad(fmt::format("{} must be a string or an array of strings", what));
  for (const auto& v : j) {
    if (!v.is_string()) return bad(fmt::format("{} must be a string or an array of strings", what));
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::optional<std::chrono::nanoseconds>> time_value(std::string_view text, std::string_view setting) {
  std::string v = ascii_lowercase(text);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  if (v == "-1") return std::optional<std::chrono::nanoseconds>();
  if (v == "0") return std::optional<std::chrono::nanoseconds>(std::chrono::nanoseconds(0));
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"nanos", 1.0}, {"micros", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}};
  for (const auto& [unit, nanos] : kUnits) {
    if (!v.ends_with(unit)) continue;
    const std::string number = v.substr(0, v.size() - unit.size());
    const bool well_formed = !number.empty() && number.find_first_not_of("0123456789.") == std::string::npos &&
                             std::count(number.begin(), number.end(), '.') <= 1 && number != ".";
    if (!well_formed) break;
    const double amount = std::stod(number) * nanos;
    if (amount > 1e18) return bad(fmt::format("failed to parse setting [{}] with value [{}]: too long", setting, text));
    return std::optional<std::chrono::nanoseconds>(std::chrono::nanoseconds(static_cast<std::int64_t>(amount)));
  }
  return bad(fmt::format("failed to parse setting [{}] with value [{}] as a time value: unit is missing or unrecognized",
                         setting, text));
}

Result<std::optional<MinimumShouldMatch>> minimum_should_match_of(const json& j, std::string_view what) {
  BH_ASSIGN_OR_RETURN(std::string text, scalar_text(j, what));
  BH_ASSIGN_OR_RETURN(MinimumShouldMatch m, parse_minimum_should_match(text));
  return std::optional<MinimumShouldMatch>(m);
}

Result<SourceFilter> parse_source(const json& j) {
  SourceFilter s;
  if (j.is_boolean()) {
    s.enabled = j.get<bool>();
    return s;
  }
  if (j.is_string() || j.is_array()) {
    BH_ASSIGN_OR_RETURN(s.includes, string_list(j, "_source"));
    return s;
  }
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (k == "includes" || k == "include") { BH_ASSIGN_OR_RETURN(s.includes, string_list(v, "_source.includes")); }
      else if (k == "excludes" || k == "exclude") { BH_ASSIGN_OR_RETURN(s.excludes, string_list(v, "_source.excludes")); }
      else return bad(fmt::format("_source does not support [{}]", k));
    }
    return s;
  }
  return bad("_source must be true, false, a pattern, a list of patterns or {includes, excludes}");
}

Result<HighlightSpec> parse_highlight(const json& j) {
  if (!j.is_object()) return bad("highlight must be an object");
  HighlightSpec h;
  bool has_fields = false;
  for (const auto& [k, v] : j.items()) {
    if (k == "fields") {
      has_fields = true;
      if (v.is_object()) {
        for (const auto& [name, _] : v.items()) h.fields.push_back(name);
      } else if (v.is_array()) {
        for (const auto& item : v) {
          if (!item.is_object()) return bad("highlight fields must be objects");
          for (const auto& [name, _] : item.items()) h.fields.push_back(name);
        }
      } else {
        return bad("highlight fields must be an object or an array");
      }
    } else if (k == "pre_tags") {
      BH_ASSIGN_OR_RETURN(auto tags, string_list(v, "pre_tags"));
      if (!tags.empty()) h.pre_tag = tags[0];
    } else if (k == "post_tags") {
      BH_ASSIGN_OR_RETURN(auto tags, string_list(v, "post_tags"));
      if (!tags.empty()) h.post_tag = tags[0];
    } else if (k == "require_field_match") {
      BH_ASSIGN_OR_RETURN(h.require_field_match, bool_of(v, "require_field_match"));
    }
    // Other highlighter options (type, fragment_size, number_of_fragments, order, encoder, ...)
    // change fragments of long text; buildhub's values are short, so they are accepted as is.
  }
  if (!has_fields) return bad("highlight requires \"fields\"");
  return h;
}

}  // namespace request_detail

namespace {

using namespace request_detail;  // NOLINT(google-build-using-namespace): this file's own helpers

Status check_window(const SearchRequest& r, const SearchLimits& limits) {
  if (r.size > limits.max_size) {
    return es_error(Code::kInvalidArgument, fmt::format("Search size too large ({})", r.size), es_type::kIllegalArgument);
  }
  if (r.from + r.size > limits.max_result_window) {
    return es_error(Code::kInvalidArgument,
                    fmt::format("Result window is too large, from + size must be less than or equal to: [{}] but was "
                                "[{}]. Use search_after to page deeper.",
                                limits.max_result_window, r.from + r.size),
                    es_type::kQueryPhase);
  }
  return Status::ok();
}

}  // namespace

Result<SearchRequest> parse_search_body(std::string_view body, const SearchLimits& limits, std::int64_t now_millis) {
  // Each query level is two JSON levels ({"bool": {"must": ...}}); the typed parser enforces
  // max_depth exactly, this only keeps the JSON parser's recursion bounded.
  if (!json_nesting_within(body, 2 * limits.max_depth + 8)) {
    return bad(fmt::format("the request nests deeper than {} levels", 2 * limits.max_depth + 8));
  }
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    // parse_error for bad syntax, out_of_range for a number no double holds ("1e400").
    std::string what = e.what();
    const auto colon = what.find("] ");
    return fail(es_error(Code::kInvalidArgument, "invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)),
                         es_type::kJsonParse));
  }
  if (!j.is_object()) return bad(fmt::format("the search body must be a JSON object, not {}", type_name(j)));
  Context ctx{limits, now_millis};
  SearchRequest r;
  for (const auto& [k, v] : j.items()) {
    if (k == "query") { BH_ASSIGN_OR_RETURN(r.query, parse_query(ctx, v, 0, false)); }
    else if (k == "post_filter") { BH_ASSIGN_OR_RETURN(r.post_filter, parse_query(ctx, v, 0, true)); }
    else if (k == "aggs" || k == "aggregations") {
      BH_ASSIGN_OR_RETURN(auto aggs, parse_aggs(ctx, v, 0));
      for (auto& a : aggs) r.aggs.push_back(std::move(a));
    }
    else if (k == "size") {
      BH_ASSIGN_OR_RETURN(std::int64_t s, count_of(v, "size"));
      if (s < 0) return bad(fmt::format("[size] must be 0 or more, not {}", s));
      r.size = static_cast<std::size_t>(std::min<std::int64_t>(s, 1'000'000'000));
    } else if (k == "from") {
      BH_ASSIGN_OR_RETURN(std::int64_t f, count_of(v, "from"));
      if (f < 0) return bad(fmt::format("[from] must be 0 or more, not {}", f));
      r.from = static_cast<std::size_t>(std::min<std::int64_t>(f, 1'000'000'000));
    } else if (k == "sort") { BH_ASSIGN_OR_RETURN(r.sort, parse_sort(v)); }
    else if (k == "_source") { BH_ASSIGN_OR_RETURN(r.source, parse_source(v)); }
    else if (k == "suggest") { BH_ASSIGN_OR_RETURN(r.suggest, parse_suggest(v)); }
    else if (k == "highlight") { BH_ASSIGN_OR_RETURN(r.highlight, parse_highlight(v)); }
    else if (k == "search_after") {
      if (!v.is_array()) return bad("search_after must be an array of sort values");
      r.search_after = v;
    } else if (k == "track_total_hits") {
      // Elasticsearch 6 reads a boolean only (a number came with 7.0).
      BH_ASSIGN_OR_RETURN(r.track_total_hits, bool_of(v, "[track_total_hits]"));
    } else if (k == "track_scores") { BH_ASSIGN_OR_RETURN(r.track_scores, bool_of(v, "track_scores")); }
    else if (k == "min_score") { BH_ASSIGN_OR_RETURN(float m, number_of(v, "min_score")); r.min_score = m; }
    else if (k == "timeout") {
      if (!v.is_string() && !v.is_number_integer()) return bad("[timeout] must be a time value such as \"500ms\"");
      BH_ASSIGN_OR_RETURN(r.timeout, time_value(v.is_string() ? v.get<std::string>() : v.dump(), "timeout"));
    } else if (k == "terminate_after" || k == "stats" || k == "_name") {
      // Accepted and ignored: they change nothing in a one-shard answer.
    } else if ((k == "explain" || k == "version" || k == "profile" || k == "seq_no_primary_term") && v == false) {
    } else {
      return bad(fmt::format("[{}] is not a search option buildhub supports", k));
    }
  }
  if (!r.query) r.query = make_query(MatchAllQuery{});
  BH_RETURN_IF_ERROR(check_window(r, limits));
  if (r.search_after) {
    const std::size_t keys = r.sort.empty() ? 1 : r.sort.size();
    if (r.search_after->size() != keys) {
      return bad(fmt::format("search_after has {} value(s) but sort has {}", r.search_after->size(), keys));
    }
    if (r.from != 0) return bad("[from] must be 0 when search_after is used");
  }
  return r;
}

Result<SearchRequest> parse_uri_search(const std::vector<std::pair<std::string, std::string>>& params,
                                       const SearchLimits& limits, std::int64_t now_millis) {
  SearchRequest r;
  QueryStringOptions qs;
  qs.now_millis = now_millis;
  qs.lenient = true;
  qs.max_clauses = limits.max_clauses;
  std::optional<std::string> q;
  for (const auto& [k, v] : params) {
    if (k == "q") q = v;
    else if (k == "size" || k == "from") {
      const auto n = parse_long(v);
      if (!n || *n < 0) return bad(fmt::format("[{}] must be a whole number of 0 or more, not \"{}\"", k, v));
      (k == "size" ? r.size : r.from) = static_cast<std::size_t>(std::min<std::int64_t>(*n, 1'000'000'000));
    } else if (k == "sort") {
      std::size_t start = 0;
      while (start <= v.size()) {
        const std::size_t comma = v.find(',', start);
        const std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const std::size_t colon = item.rfind(':');
        const std::string name = colon == std::string::npos ? item : item.substr(0, colon);
        const json order = colon == std::string::npos ? json() : json(item.substr(colon + 1));
        BH_ASSIGN_OR_RETURN(SortKey key, sort_key(name, colon == std::string::npos ? nullptr : &order));
        r.sort.push_back(std::move(key));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (k == "default_operator") qs.default_and = v == "AND" || v == "and";
    else if (k == "df") qs.default_field = v;
    else if (k == "_source") {
      if (v == "false") r.source.enabled = false;
      else if (v != "true") r.source.includes = {v};
    } else if (k == "track_total_hits") r.track_total_hits = v != "false";
    else if (k == "timeout") { BH_ASSIGN_OR_RETURN(r.timeout, time_value(v, "timeout")); }
    // Other parameters (pretty, filter_path, ...) do not change the answer's content.
  }
  if (q) {
    qs.query = *q;
    BH_ASSIGN_OR_RETURN(r.query, parse_query_string(qs));
  } else {
    r.query = make_query(MatchAllQuery{});
  }
  BH_RETURN_IF_ERROR(check_window(r, limits));
  return r;
}

}  // namespace bh::search