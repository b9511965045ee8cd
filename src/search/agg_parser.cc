// The aggregations part of a search body ("aggs"/"aggregations") into typed Aggregations.
//
// Every kind refuses keys it does not know with a 400 naming them (a silently ignored `script`
// would answer another question than the one asked). Keys Elasticsearch takes that change
// nothing here (shard sizes, execution hints, precision thresholds: the answers are exact) are
// accepted.
#include <fmt/format.h>

#include "search/query_builders.h"
#include "search/request_detail.h"
#include "search/text_analysis.h"

namespace bh::search::request_detail {
namespace {

using Keys = std::initializer_list<std::string_view>;

// Refuses every key of `body` that is not in `known`.
Status check_keys(const json& body, std::string_view type, Keys known) {
  for (const auto& [k, v] : body.items()) {
    if (std::find(known.begin(), known.end(), k) != known.end()) continue;
    if (k == "script") return invalid_argument(fmt::format("[{}] aggregation: scripts are not supported by buildhub", type));
    return invalid_argument(fmt::format("[{}] aggregation does not support [{}]", type, k));
  }
  return Status::ok();
}

Result<FieldRef> agg_field(const json& body, std::string_view agg_type, bool allow_text_keyword, bool numeric_only);

// The field of a range or histogram aggregation: numeric, and a date for the date_* kinds.
Result<FieldRef> bucket_field(const json& body, std::string_view type, bool dates) {
  BH_ASSIGN_OR_RETURN(FieldRef f, agg_field(body, type, false, true));
  if (dates && f.type != FieldType::kDate) return bad(fmt::format("[{}] field [{}] is not a date", type, f.name));
  return f;
}

Result<FieldRef> agg_field(const json& body, std::string_view agg_type, bool allow_text_keyword, bool numeric_only) {
  if (!body.contains("field") || !body["field"].is_string()) {
    return bad(fmt::format("[{}] aggregation requires a \"field\"", agg_type));
  }
  const std::string name = body["field"].get<std::string>();
  auto f = resolve_field(name);
  if (!f) return bad(fmt::format("[{}] aggregation: no field [{}] in the mapping", agg_type, name));
  if (f->type == FieldType::kText && !allow_text_keyword) {
    return bad(fmt::format("Fielddata is disabled on text fields: aggregate on [{}.keyword] instead of [{}]", name, name));
  }
  if (numeric_only && !f->is_numeric()) {
    return bad(fmt::format("Field [{}] of type [{}] is not supported for aggregation [{}]", name,
                           field_type_name(f->type), agg_type));
  }
  return *f;
}

// A string option ("format", "time_zone"): absent is nullopt; anything but a string is a 400.
Result<std::optional<std::string>> string_option(const json& body, std::string_view key, std::string_view type) {
  if (!body.contains(key)) return std::optional<std::string>();
  const json& v = body[std::string(key)];
  if (!v.is_string()) return bad(fmt::format("[{}] aggregation: [{}] must be a string", type, key));
  return std::optional<std::string>(v.get<std::string>());
}

Status read_format(const json& body, std::string_view type, DateFormat& format) {
  BH_ASSIGN_OR_RETURN(auto text, string_option(body, "format", type));
  if (text) { BH_ASSIGN_OR_RETURN(format, DateFormat::parse(*text)); }
  return Status::ok();
}

// "format" and "time_zone" of the date-aware bucket aggregations.
Status read_date_options(const json& body, std::string_view type, DateFormat& format, TimeZoneOffset& tz) {
  BH_RETURN_IF_ERROR(read_format(body, type, format));
  BH_ASSIGN_OR_RETURN(auto text, string_option(body, "time_zone", type));
  if (text) { BH_ASSIGN_OR_RETURN(tz, TimeZoneOffset::parse(*text)); }
  return Status::ok();
}

Result<std::optional<std::string>> missing_of(const json& body) {
  if (!body.contains("missing")) return std::optional<std::string>();
  BH_ASSIGN_OR_RETURN(std::string m, scalar_text(body["missing"], "missing"));
  return std::optional<std::string>(std::move(m));
}

Result<std::vector<TermsOrder>> parse_terms_order(const json& j) {
  std::vector<TermsOrder> out;
  auto one = [&](const json& o) -> Status {
    if (!o.is_object()) return invalid_argument("terms order must be an object like {\"_count\": \"desc\"}");
    for (const auto& [k, v] : o.items()) {
      TermsOrder t;
      const std::string direction = v.is_string() ? ascii_lowercase(v.get<std::string>()) : std::string();
      if (direction != "asc" && direction != "desc") {
        return invalid_argument(fmt::format("terms order for [{}] must be asc or desc, not {}", k, v.dump()));
      }
      t.ascending = direction == "asc";
      if (k == "_count") t.by = TermsOrder::By::kCount;
      else if (k == "_key" || k == "_term") t.by = TermsOrder::By::kKey;
      else { t.by = TermsOrder::By::kSubAgg; t.sub_agg = k; }
      out.push_back(std::move(t));
    }
    return Status::ok();
  };
  if (j.is_array()) {
    for (const auto& o : j) BH_RETURN_IF_ERROR(one(o));
  } else {
    BH_RETURN_IF_ERROR(one(j));
  }
  return out;
}

Result<TermsAgg> parse_terms(const json& b) {
  BH_RETURN_IF_ERROR(check_keys(b, "terms", {"field", "size", "min_doc_count", "order", "include", "exclude", "missing",
                                             "shard_size", "show_term_doc_count_error", "execution_hint",
                                             "collect_mode", "shard_min_doc_count", "value_type", "format"}));
  TermsAgg a;
  BH_ASSIGN_OR_RETURN(a.field, agg_field(b, "terms", false, false));
  BH_ASSIGN_OR_RETURN(a.missing, missing_of(b));
  for (const auto& [k, v] : b.items()) {
    if (k == "size") {
      BH_ASSIGN_OR_RETURN(std::int64_t s, count_of(v, "size"));
      if (s < 1) return bad("[terms] size must be greater than 0");
      // Any size: a dictionary holds fewer terms; the answer's buckets are counted against max_buckets.
      a.size = static_cast<std::size_t>(std::min<std::int64_t>(s, INT32_MAX));
    } else if (k == "min_doc_count") {
      BH_ASSIGN_OR_RETURN(a.min_doc_count, count_of(v, "min_doc_count"));
    } else if (k == "order") {
      BH_ASSIGN_OR_RETURN(a.order, parse_terms_order(v));
    } else if (k == "include" || k == "exclude") {
      auto& rx = k == "include" ? a.include_regexp : a.exclude_regexp;
      auto& list = k == "include" ? a.include_values : a.exclude_values;
      if (v.is_string()) {
        BH_ASSIGN_OR_RETURN(rx, CompiledRegexp::compile(v.get<std::string>(), ""));
      } else {
        BH_ASSIGN_OR_RETURN(list, string_list(v, k));
      }
    }
  }
  return a;
}

Result<CountAgg> parse_count(const json& b, CountAgg::Kind kind) {
  const std::string_view type = kind == CountAgg::Kind::kCardinality ? "cardinality" : "value_count";
  BH_RETURN_IF_ERROR(check_keys(b, type, {"field", "missing", "precision_threshold", "rehash", "format", "value_type"}));
  CountAgg a;
  a.kind = kind;
  BH_ASSIGN_OR_RETURN(a.field, agg_field(b, type, false, false));
  BH_ASSIGN_OR_RETURN(a.missing, missing_of(b));
  return a;
}

Result<MetricAgg> parse_metric(const json& b, MetricAgg::Kind kind, std::string_view type) {
  BH_RETURN_IF_ERROR(check_keys(b, type, {"field", "missing", "format", "value_type"}));
  MetricAgg a;
  a.kind = kind;
  BH_ASSIGN_OR_RETURN(a.field, agg_field(b, type, false, true));
  BH_ASSIGN_OR_RETURN(a.missing, missing_of(b));
  BH_RETURN_IF_ERROR(read_format(b, type, a.format));
  return a;
}

Result<MissingAgg> parse_missing(const json& b) {
  BH_RETURN_IF_ERROR(check_keys(b, "missing", {"field", "value_type"}));
  MissingAgg a;
  BH_ASSIGN_OR_RETURN(a.field, agg_field(b, "missing", true, false));
  return a;
}

Result<FiltersAgg> parse_filters(Context& ctx, const json& b, std::size_t depth) {
  if (!b.is_object() || !b.contains("filters")) return bad("[filters] aggregation needs \"filters\"");
  BH_RETURN_IF_ERROR(check_keys(b, "filters", {"filters", "other_bucket", "other_bucket_key"}));
  FiltersAgg a;
  const json& f = b["filters"];
  if (f.is_object()) {
    for (const auto& [k, v] : f.items()) {
      BH_ASSIGN_OR_RETURN(QueryPtr q, parse_query(ctx, v, depth + 1, true));
      a.filters.emplace_back(k, std::move(q));
    }
  } else if (f.is_array()) {
    a.keyed = false;
    for (std::size_t i = 0; i < f.size(); ++i) {
      BH_ASSIGN_OR_RETURN(QueryPtr q, parse_query(ctx, f[i], depth + 1, true));
      a.filters.emplace_back(std::to_string(i), std::move(q));
    }
  } else {
    return bad("[filters] filters must be an object or an array");
  }
  if (b.contains("other_bucket")) { BH_ASSIGN_OR_RETURN(a.other_bucket, bool_of(b["other_bucket"], "other_bucket")); }
  if (b.contains("other_bucket_key")) {
    if (!b["other_bucket_key"].is_string()) return bad("[filters] other_bucket_key must be a string");
    a.other_bucket = true;
    a.other_bucket_key = b["other_bucket_key"].get<std::string>();
  }
  return a;
}

Result<RangeSpec> parse_range_bound(Context& ctx, const json& r, const RangeAgg& a) {
  if (!r.is_object()) return bad("each range must be an object with from/to");
  RangeSpec s;
  for (const auto& [k, v] : r.items()) {
    if (k == "key") { BH_ASSIGN_OR_RETURN(std::string key, scalar_text(v, "range key")); s.key = key; continue; }
    if (k != "from" && k != "to") return bad(fmt::format("range does not support [{}]", k));
    if (v.is_null()) continue;
    if (a.dates) {
      BH_ASSIGN_OR_RETURN(std::string text, scalar_text(v, "date_range bound"));
      BH_ASSIGN_OR_RETURN(std::int64_t ms, parse_date_math(text, a.format, a.time_zone, ctx.now, false));
      (k == "from" ? s.from_ms : s.to_ms) = ms;
    } else {
      BH_ASSIGN_OR_RETURN(float unused, number_of(v, "range bound"));
      (void)unused;
      (k == "from" ? s.from : s.to) = v.is_number() ? v.get<double>() : std::stod(v.get<std::string>());
    }
  }
  return s;
}

Result<RangeAgg> parse_range(Context& ctx, const json& b, bool dates) {
  const std::string_view type = dates ? "date_range" : "range";
  BH_RETURN_IF_ERROR(check_keys(b, type, {"field", "ranges", "keyed", "format", "time_zone"}));
  RangeAgg a;
  a.dates = dates;
  BH_ASSIGN_OR_RETURN(a.field, bucket_field(b, type, dates));
  BH_RETURN_IF_ERROR(read_date_options(b, type, a.format, a.time_zone));
  if (b.contains("keyed")) { BH_ASSIGN_OR_RETURN(a.keyed, bool_of(b["keyed"], "keyed")); }
  if (!b.contains("ranges") || !b["ranges"].is_array() || b["ranges"].empty()) {
    return bad("range aggregations need a non-empty \"ranges\" array");
  }
  for (const auto& r : b["ranges"]) {
    BH_ASSIGN_OR_RETURN(RangeSpec s, parse_range_bound(ctx, r, a));
    a.ranges.push_back(std::move(s));
  }
  return a;
}

// date_histogram's interval: a calendar unit ("1M", "month") or a fixed duration ("30d").
Status parse_date_interval(HistogramAgg& a, std::string_view key, const json& v) {
  if (!v.is_string()) return invalid_argument("[date_histogram] interval must be a string such as \"1M\" or \"1d\"");
  const std::string iv = v.get<std::string>();
  if (key != "fixed_interval") {
    if (auto unit = parse_calendar_unit(iv)) {
      a.calendar_unit = *unit;
      return Status::ok();
    }
    if (key == "calendar_interval") {
      return invalid_argument(fmt::format("The supplied interval [{}] could not be parsed as a calendar interval.", iv));
    }
  }
  BH_ASSIGN_OR_RETURN(a.fixed_interval_ms, parse_fixed_interval_millis(iv));
  return Status::ok();
}

Status parse_extended_bounds(Context& ctx, HistogramAgg& a, const json& v) {
  if (!v.is_object()) return invalid_argument("extended_bounds must be an object with min and max");
  for (const auto& [bk, bv] : v.items()) {
    double value = 0;
    if (a.dates && bv.is_string()) {
      BH_ASSIGN_OR_RETURN(std::int64_t ms, parse_date_math(bv.get<std::string>(), a.format, a.time_zone, ctx.now, false));
      value = static_cast<double>(ms);
    } else if (bv.is_number()) {
      value = bv.get<double>();
    } else {
      return invalid_argument("extended_bounds values must be numbers or dates");
    }
    if (bk == "min") a.extended_min = value;
    else if (bk == "max") a.extended_max = value;
    else return invalid_argument(fmt::format("extended_bounds does not support [{}]", bk));
  }
  return Status::ok();
}

Result<HistogramAgg> parse_histogram(Context& ctx, const json& b, bool dates) {
  const std::string_view type = dates ? "date_histogram" : "histogram";
  for (const std::string_view unsupported : {"order", "missing"}) {
    if (b.contains(unsupported)) return bad(fmt::format("[{}] option [{}] is not supported by buildhub", type, unsupported));
  }
  BH_RETURN_IF_ERROR(check_keys(b, type, {"field", "interval", "calendar_interval", "fixed_interval", "offset",
                                          "min_doc_count", "format", "time_zone", "keyed", "extended_bounds"}));
  HistogramAgg a;
  a.dates = dates;
  BH_ASSIGN_OR_RETURN(a.field, bucket_field(b, type, dates));
  // Format and time zone first: extended_bounds are read with them.
  BH_RETURN_IF_ERROR(read_date_options(b, type, a.format, a.time_zone));
  for (const auto& [k, v] : b.items()) {
    if (k == "interval" || k == "calendar_interval" || k == "fixed_interval") {
      if (dates) {
        BH_RETURN_IF_ERROR(parse_date_interval(a, k, v));
        continue;
      }
      BH_ASSIGN_OR_RETURN(float iv, number_of(v, "interval"));
      a.interval = v.is_number() ? v.get<double>() : iv;
      if (!(a.interval > 0)) return bad("[histogram] interval must be greater than 0");
    } else if (k == "offset") {
      if (v.is_number()) {
        a.offset = v.get<double>();
      } else if (dates && v.is_string()) {
        std::string o = v.get<std::string>();
        const bool negative = !o.empty() && o[0] == '-';
        if (!o.empty() && (o[0] == '+' || o[0] == '-')) o.erase(0, 1);
        BH_ASSIGN_OR_RETURN(std::int64_t ms, parse_fixed_interval_millis(o));
        a.offset = static_cast<double>(negative ? -ms : ms);
      } else {
        return bad("offset must be a number");
      }
    } else if (k == "min_doc_count") {
      BH_ASSIGN_OR_RETURN(a.min_doc_count, count_of(v, "min_doc_count"));
    } else if (k == "keyed") {
      BH_ASSIGN_OR_RETURN(a.keyed, bool_of(v, "keyed"));
    } else if (k == "extended_bounds") {
      BH_RETURN_IF_ERROR(parse_extended_bounds(ctx, a, v));
    }
  }
  if (dates && !a.calendar_unit && a.fixed_interval_ms == 0) return bad("[date_histogram] requires an interval");
  if (!dates && a.interval == 0) return bad("[histogram] requires an interval");
  return a;
}

Result<TopHitsAgg> parse_top_hits(const json& b) {
  BH_RETURN_IF_ERROR(check_keys(b, "top_hits", {"size", "from", "sort", "_source", "track_scores", "version", "explain"}));
  TopHitsAgg a;
  for (const auto& [k, v] : b.items()) {
    if (k == "size") {
      BH_ASSIGN_OR_RETURN(std::int64_t s, count_of(v, "size"));
      if (s < 0 || s > 100) return bad("[top_hits] size must be between 0 and 100 (index.max_inner_result_window)");
      a.size = static_cast<std::size_t>(s);
    } else if (k == "from") {
      BH_ASSIGN_OR_RETURN(std::int64_t f, count_of(v, "from"));
      if (f < 0 || f > 100) return bad("[top_hits] from must be between 0 and 100");
      a.from = static_cast<std::size_t>(f);
    } else if (k == "sort") {
      BH_ASSIGN_OR_RETURN(a.sort, parse_sort(v));
    } else if (k == "_source") {
      BH_ASSIGN_OR_RETURN(a.source, parse_source(v));
    }
  }
  return a;
}

Status refuse_unsupported_type(const std::string& t) {
  static constexpr std::string_view kKnownElsewhere[] = {
      "significant_terms", "significant_text", "ip_range", "nested", "reverse_nested", "global", "sampler",
      "diversified_sampler", "composite", "extended_stats", "percentiles", "percentile_ranks", "geo_bounds",
      "geo_centroid", "geohash_grid", "geo_distance", "scripted_metric", "adjacency_matrix", "weighted_avg",
      "avg_bucket", "max_bucket", "min_bucket", "sum_bucket", "stats_bucket", "extended_stats_bucket",
      "percentiles_bucket", "derivative", "moving_avg", "moving_fn", "cumulative_sum", "bucket_script",
      "bucket_selector", "bucket_sort", "serial_diff", "auto_date_histogram", "parent", "children"};
  for (const auto k : kKnownElsewhere) {
    if (t == k) return invalid_argument(fmt::format("aggregation type [{}] is not supported by buildhub", t));
  }
  return invalid_argument(fmt::format("unknown aggregation type [{}]", t));
}

// The kind-specific body, by type name.
Result<decltype(Aggregation::spec)> parse_spec(Context& ctx, const std::string& t, const std::string& name, const json& b,
                                               std::size_t depth) {
  using Spec = decltype(Aggregation::spec);
  if (t != "filter" && !b.is_object()) return bad(fmt::format("[{}] aggregation [{}] must be an object", t, name));
  if (t == "terms") return parse_terms(b).map([](TermsAgg a) { return Spec(std::move(a)); });
  if (t == "cardinality") return parse_count(b, CountAgg::Kind::kCardinality).map([](CountAgg a) { return Spec(std::move(a)); });
  if (t == "value_count") return parse_count(b, CountAgg::Kind::kValueCount).map([](CountAgg a) { return Spec(std::move(a)); });
  static const std::pair<std::string_view, MetricAgg::Kind> kMetrics[] = {
      {"min", MetricAgg::Kind::kMin}, {"max", MetricAgg::Kind::kMax}, {"avg", MetricAgg::Kind::kAvg},
      {"sum", MetricAgg::Kind::kSum}, {"stats", MetricAgg::Kind::kStats}};
  for (const auto& [metric, kind] : kMetrics) {
    if (t == metric) return parse_metric(b, kind, metric).map([](MetricAgg a) { return Spec(std::move(a)); });
  }
  if (t == "missing") return parse_missing(b).map([](MissingAgg a) { return Spec(std::move(a)); });
  if (t == "filter") {
    BH_ASSIGN_OR_RETURN(QueryPtr q, parse_query(ctx, b, depth + 1, true));
    return Spec(FilterAgg{std::move(q)});
  }
  if (t == "filters") return parse_filters(ctx, b, depth).map([](FiltersAgg a) { return Spec(std::move(a)); });
  if (t == "range" || t == "date_range") {
    return parse_range(ctx, b, t == "date_range").map([](RangeAgg a) { return Spec(std::move(a)); });
  }
  if (t == "histogram" || t == "date_histogram") {
    return parse_histogram(ctx, b, t == "date_histogram").map([](HistogramAgg a) { return Spec(std::move(a)); });
  }
  if (t == "top_hits") return parse_top_hits(b).map([](TopHitsAgg a) { return Spec(std::move(a)); });
  return fail(refuse_unsupported_type(t));
}

// Checks that need the sub-aggregations: a terms order by a sub-aggregation names one that
// exists; top_hits has none.
Status check_subs(const Aggregation& a) {
  if (const auto* terms = std::get_if<TermsAgg>(&a.spec)) {
    for (const auto& o : terms->order) {
      if (o.by != TermsOrder::By::kSubAgg) continue;
      const std::string head = o.sub_agg.substr(0, o.sub_agg.find('.'));
      const bool found = std::any_of(a.subs.begin(), a.subs.end(), [&](const Aggregation& s) { return s.name == head; });
      if (!found) return invalid_argument(fmt::format("Invalid aggregation order path [{}]: no sub-aggregation [{}]", o.sub_agg, head));
    }
  }
  if (std::holds_alternative<TopHitsAgg>(a.spec) && !a.subs.empty()) return invalid_argument("[top_hits] cannot accept sub-aggregations");
  return Status::ok();
}

Result<Aggregation> parse_agg(Context& ctx, const std::string& name, const json& j, std::size_t depth) {
  if (!j.is_object()) return bad(fmt::format("aggregation [{}] must be an object", name));
  Aggregation a;
  a.name = name;
  std::optional<std::string> type;
  const json* body = nullptr;
  for (const auto& [k, v] : j.items()) {
    if (k == "aggs" || k == "aggregations") {
      BH_ASSIGN_OR_RETURN(a.subs, parse_aggs(ctx, v, depth + 1));
    } else if (k != "meta") {
      if (type) return bad(fmt::format("aggregation [{}] has two types: [{}] and [{}]", name, *type, k));
      type = k;
      body = &v;
    }
  }
  if (!type) return bad(fmt::format("aggregation [{}] has no type", name));
  BH_ASSIGN_OR_RETURN(a.spec, parse_spec(ctx, *type, name, *body, depth));
  BH_RETURN_IF_ERROR(check_subs(a));
  return a;
}

}  // namespace

Result<std::vector<Aggregation>> parse_aggs(Context& ctx, const json& j, std::size_t depth) {
  if (depth > ctx.limits.max_depth) return bad(fmt::format("aggregations nest deeper than {} levels", ctx.limits.max_depth));
  if (!j.is_object()) return bad("aggs must be an object of named aggregations");
  std::vector<Aggregation> out;
  for (const auto& [name, body] : j.items()) {
    if (name.empty() || name.find_first_of("[]>") != std::string::npos) {
      return bad(fmt::format("Invalid aggregation name [{}]", name));
    }
    if (++ctx.clauses > ctx.limits.max_clauses) return bad(fmt::format("too many clauses: more than {}", ctx.limits.max_clauses));
    BH_ASSIGN_OR_RETURN(Aggregation a, parse_agg(ctx, name, body, depth));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace bh::search::request_detail
