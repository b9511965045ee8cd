// The aggregations part of a search body ("aggs"/"aggregations") into AggSpecs.
#include <fmt/format.h>

#include "search/query_builders.h"
#include "search/request_detail.h"

namespace bh::search::request_detail {
namespace {



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

Result<std::vector<TermsOrder>> parse_terms_order(const json& j) {
  std::vector<TermsOrder> out;
  auto one = [&](const json& o) -> Status {
    if (!o.is_object()) return invalid_argument("terms order must be an object like {\"_count\": \"desc\"}");
    for (const auto& [k, v] : o.items()) {
      TermsOrder t;
      if (v != "asc" && v != "desc") return invalid_argument(fmt::format("terms order for [{}] must be asc or desc", k));
      t.ascending = v == "asc";
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

Result<std::vector<RangeSpec>> parse_ranges(Context& ctx, const json& body, bool dates, const DateFormat& format,
                                            const TimeZoneOffset& tz) {
  if (!body.contains("ranges") || !body["ranges"].is_array() || body["ranges"].empty()) {
    return bad("range aggregations need a non-empty \"ranges\" array");
  }
  std::vector<RangeSpec> out;
  for (const auto& r : body["ranges"]) {
    if (!r.is_object()) return bad("each range must be an object with from/to");
    RangeSpec s;
    for (const auto& [k, v] : r.items()) {
      if (k == "key") { BH_ASSIGN_OR_RETURN(std::string key, scalar_text(v, "range key")); s.key = key; continue; }
      if (k != "from" && k != "to") return bad(fmt::format("range does not support [{}]", k));
      if (v.is_null()) continue;
      if (dates) {
        BH_ASSIGN_OR_RETURN(std::string text, scalar_text(v, "date_range bound"));
        BH_ASSIGN_OR_RETURN(std::int64_t ms, parse_date_math(text, format, tz, ctx.now, false));
        (k == "from" ? s.from_ms : s.to_ms) = ms;
      } else {
        BH_ASSIGN_OR_RETURN(float unused, number_of(v, "range bound"));
        (void)unused;
        (k == "from" ? s.from : s.to) = v.is_number() ? v.get<double>() : std::stod(v.get<std::string>());
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<AggSpec> parse_agg(Context& ctx, const std::string& name, const json& j, std::size_t depth) {
  if (!j.is_object()) return bad(fmt::format("aggregation [{}] must be an object", name));
  AggSpec a;
  a.name = name;
  std::optional<std::string> type;
  const json* body = nullptr;
  for (const auto& [k, v] : j.items()) {
    if (k == "aggs" || k == "aggregations") {
      BH_ASSIGN_OR_RETURN(a.subs, parse_aggs(ctx, v, depth + 1));
    } else if (k == "meta") {
    } else {
      if (type) return bad(fmt::format("aggregation [{}] has two types: [{}] and [{}]", name, *type, k));
      type = k;
      body = &v;
    }
  }
  if (!type) return bad(fmt::format("aggregation [{}] has no type", name));
  const json& b = *body;
  const std::string& t = *type;
  if (t != "filter" && !b.is_object() && t != "filters") return bad(fmt::format("[{}] aggregation [{}] must be an object", t, name));
  auto get_missing = [&]() -> Status {
    if (b.contains("missing")) {
      BH_ASSIGN_OR_RETURN(std::string m, scalar_text(b["missing"], "missing"));
      a.missing = m;
    }
    return Status::ok();
  };
  if (t == "terms") {
    a.type = AggSpec::Type::kTerms;
    BH_ASSIGN_OR_RETURN(a.field, agg_field(b, t, false, false));
    for (const auto& [k, v] : b.items()) {
      if (k == "field") continue;
      if (k == "size") {
        BH_ASSIGN_OR_RETURN(std::int64_t s, count_of(v, "size"));
        if (s < 1) return bad("[terms] size must be greater than 0");
        a.size = static_cast<std::size_t>(std::min<std::int64_t>(s, static_cast<std::int64_t>(ctx.limits.max_buckets)));
      } else if (k == "min_doc_count") { BH_ASSIGN_OR_RETURN(a.min_doc_count, count_of(v, "min_doc_count")); }
      else if (k == "order") { BH_ASSIGN_OR_RETURN(a.order, parse_terms_order(v)); }
      else if (k == "include" || k == "exclude") {
        auto& rx = k == "include" ? a.include_regexp : a.exclude_regexp;
        auto& list = k == "include" ? a.include_values : a.exclude_values;
        if (v.is_string()) { BH_ASSIGN_OR_RETURN(rx, CompiledRegexp::compile(v.get<std::string>(), "")); }
        else { BH_ASSIGN_OR_RETURN(list, string_list(v, k)); }
      } else if (k == "missing") { BH_RETURN_IF_ERROR(get_missing()); }
      else if (k != "shard_size" && k != "show_term_doc_count_error" && k != "execution_hint" && k != "collect_mode" &&
               k != "shard_min_doc_count" && k != "value_type" && k != "format") {
        return bad(fmt::format("[terms] aggregation does not support [{}]", k));
      }
    }
    for (const auto& o : a.order) {
      if (o.by != TermsOrder::By::kSubAgg) continue;
      const std::string head = o.sub_agg.substr(0, o.sub_agg.find('.'));
      bool found = false;
      for (const auto& s : a.subs) found = found || s.name == head;
      if (!found) return bad(fmt::format("Invalid aggregation order path [{}]: no sub-aggregation [{}]", o.sub_agg, head));
    }
  } else if (t == "cardinality" || t == "value_count") {
    a.type = t == "cardinality" ? AggSpec::Type::kCardinality : AggSpec::Type::kValueCount;
    BH_ASSIGN_OR_RETURN(a.field, agg_field(b, t, false, false));
    BH_RETURN_IF_ERROR(get_missing());
  } else if (t == "min" || t == "max" || t == "avg" || t == "sum" || t == "stats") {
    a.type = t == "min" ? AggSpec::Type::kMin : t == "max" ? AggSpec::Type::kMax : t == "avg" ? AggSpec::Type::kAvg
             : t == "sum" ? AggSpec::Type::kSum : AggSpec::Type::kStats;
    BH_ASSIGN_OR_RETURN(a.field, agg_field(b, t, false, true));
    BH_RETURN_IF_ERROR(get_missing());
    if (b.contains("format") && b["format"].is_string()) {
      BH_ASSIGN_OR_RETURN(a.format, DateFormat::parse(b["format"].get<std::string>()));
      a.has_format = true;
    }
  } else if (t == "missing") {
    a.type = AggSpec::Type::kMissing;
    BH_ASSIGN_OR_RETURN(a.field, agg_field(b, t, true, false));
  } else if (t == "filter") {
    a.type = AggSpec::Type::kFilter;
    BH_ASSIGN_OR_RETURN(a.filter, parse_query(ctx, b, depth + 1, true));
  } else if (t == "filters") {
    a.type = AggSpec::Type::kFilters;
    if (!b.is_object() || !b.contains("filters")) return bad("[filters] aggregation needs \"filters\"");
    const json& f = b["filters"];
    if (f.is_object()) {
      for (const auto& [k, v] : f.items()) {
        BH_ASSIGN_OR_RETURN(QueryPtr q, parse_query(ctx, v, depth + 1, true));
        a.filters.emplace_back(k, std::move(q));
      }
    } else if (f.is_array()) {
      a.filters_keyed = false;
      for (std::size_t i = 0; i < f.size(); ++i) {
        BH_ASSIGN_OR_RETURN(QueryPtr q, parse_query(ctx, f[i], depth + 1, true));
        a.filters.emplace_back(std::to_string(i), std::move(q));
      }
    } else {
      return bad("[filters] filters must be an object or an array");
    }
    if (b.contains("other_bucket")) { BH_ASSIGN_OR_RETURN(a.other_bucket, bool_of(b["other_bucket"], "other_bucket")); }
    if (b.contains("other_bucket_key") && b["other_bucket_key"].is_string()) {
      a.other_bucket = true;
      a.other_bucket_key = b["other_bucket_key"].get<std::string>();
    }
  } else if (t == "range" || t == "date_range") {
    const bool dates = t == "date_range";
    a.type = dates ? AggSpec::Type::kDateRange : AggSpec::Type::kRange;
    BH_ASSIGN_OR_RETURN(a.field, agg_field(b, t, false, true));
    if (dates && a.field->type != FieldType::kDate) return bad(fmt::format("[date_range] field [{}] is not a date", a.field->name));
    if (b.contains("format") && b["format"].is_string()) {
      BH_ASSIGN_OR_RETURN(a.format, DateFormat::parse(b["format"].get<std::string>()));
      a.has_format = true;
    }
    if (b.contains("time_zone") && b["time_zone"].is_string()) {
      BH_ASSIGN_OR_RETURN(a.time_zone, TimeZoneOffset::parse(b["time_zone"].get<std::string>()));
    }
    if (b.contains("keyed")) { BH_ASSIGN_OR_RETURN(a.keyed, bool_of(b["keyed"], "keyed")); }
    BH_ASSIGN_OR_RETURN(a.ranges, parse_ranges(ctx, b, dates, a.format, a.time_zone));
  } else if (t == "histogram" || t == "date_histogram") {
    const bool dates = t == "date_histogram";
    a.type = dates ? AggSpec::Type::kDateHistogram : AggSpec::Type::kHistogram;
    BH_ASSIGN_OR_RETURN(a.field, agg_field(b, t, false, true));
    if (dates && a.field->type != FieldType::kDate) return bad(fmt::format("[date_histogram] field [{}] is not a date", a.field->name));
    a.min_doc_count = 0;
    for (const auto& [k, v] : b.items()) {
      if (k == "field") continue;
      if (k == "interval" || k == "calendar_interval" || k == "fixed_interval") {
        if (!dates) {
          BH_ASSIGN_OR_RETURN(float iv, number_of(v, "interval"));
          a.interval = v.is_number() ? v.get<double>() : iv;
          if (!(a.interval > 0)) return bad("[histogram] interval must be greater than 0");
          continue;
        }
        if (!v.is_string()) return bad("[date_histogram] interval must be a string such as \"1M\" or \"1d\"");
        const std::string iv = v.get<std::string>();
        if (k != "fixed_interval") {
          if (auto unit = parse_calendar_unit(iv)) { a.calendar_unit = *unit; continue; }
          if (k == "calendar_interval") return bad(fmt::format("The supplied interval [{}] could not be parsed as a calendar interval.", iv));
        }
        BH_ASSIGN_OR_RETURN(a.fixed_interval_ms, parse_fixed_interval_millis(iv));
      } else if (k == "offset") {
        if (v.is_number()) a.offset = v.get<double>();
        else if (dates && v.is_string()) {
          std::string o = v.get<std::string>();
          const bool neg = !o.empty() && o[0] == '-';
          if (!o.empty() && (o[0] == '+' || o[0] == '-')) o.erase(0, 1);
          BH_ASSIGN_OR_RETURN(std::int64_t ms, parse_fixed_interval_millis(o));
          a.offset = static_cast<double>(neg ? -ms : ms);
        } else return bad("offset must be a number");
      } else if (k == "min_doc_count") { BH_ASSIGN_OR_RETURN(a.min_doc_count, count_of(v, "min_doc_count")); }
      else if (k == "format" && v.is_string()) { BH_ASSIGN_OR_RETURN(a.format, DateFormat::parse(v.get<std::string>())); a.has_format = true; }
      else if (k == "time_zone" && v.is_string()) { BH_ASSIGN_OR_RETURN(a.time_zone, TimeZoneOffset::parse(v.get<std::string>())); }
      else if (k == "keyed") { BH_ASSIGN_OR_RETURN(a.keyed, bool_of(v, "keyed")); }
      else if (k == "extended_bounds") {
        if (!v.is_object()) return bad("extended_bounds must be an object with min and max");
        for (const auto& [bk, bv] : v.items()) {
          double value = 0;
          if (dates && bv.is_string()) {
            BH_ASSIGN_OR_RETURN(std::int64_t ms, parse_date_math(bv.get<std::string>(), a.format, a.time_zone, ctx.now, false));
            value = static_cast<double>(ms);
          } else if (bv.is_number()) value = bv.get<double>();
          else return bad("extended_bounds values must be numbers or dates");
          if (bk == "min") a.extended_min = value;
          else if (bk == "max") a.extended_max = value;
        }
      } else if (k == "order" || k == "missing") {
        return bad(fmt::format("[{}] option [{}] is not supported by buildhub", t, k));
      } else {
        return bad(fmt::format("[{}] aggregation does not support [{}]", t, k));
      }
    }
    if (dates && !a.calendar_unit && a.fixed_interval_ms == 0) return bad("[date_histogram] requires an interval");
    if (!dates && a.interval == 0) return bad("[histogram] requires an interval");
  } else if (t == "top_hits") {
    a.type = AggSpec::Type::kTopHits;
    a.size = 3;
    for (const auto& [k, v] : b.items()) {
      if (k == "size") {
        BH_ASSIGN_OR_RETURN(std::int64_t s, count_of(v, "size"));
        if (s < 0 || s > 100) return bad("[top_hits] size must be between 0 and 100 (index.max_inner_result_window)");
        a.size = static_cast<std::size_t>(s);
      } else if (k == "from") {
        BH_ASSIGN_OR_RETURN(std::int64_t f, count_of(v, "from"));
        if (f < 0 || f > 100) return bad("[top_hits] from must be between 0 and 100");
        a.from = static_cast<std::size_t>(f);
      } else if (k == "sort") { BH_ASSIGN_OR_RETURN(a.sort, parse_sort(v)); }
      else if (k == "_source") { BH_ASSIGN_OR_RETURN(a.source, parse_source(v)); }
      else if (k != "track_scores" && k != "version" && k != "explain") {
        return bad(fmt::format("[top_hits] does not support [{}]", k));
      }
    }
    if (!a.subs.empty()) return bad("[top_hits] cannot accept sub-aggregations");
  } else {
    static constexpr std::string_view kKnownElsewhere[] = {
        "significant_terms", "significant_text", "ip_range", "nested", "reverse_nested", "global", "sampler",
        "diversified_sampler", "composite", "extended_stats", "percentiles", "percentile_ranks", "geo_bounds",
        "geo_centroid", "geohash_grid", "geo_distance", "scripted_metric", "adjacency_matrix", "weighted_avg",
        "avg_bucket", "max_bucket", "min_bucket", "sum_bucket", "stats_bucket", "extended_stats_bucket",
        "percentiles_bucket", "derivative", "moving_avg", "moving_fn", "cumulative_sum", "bucket_script",
        "bucket_selector", "bucket_sort", "serial_diff", "auto_date_histogram", "parent", "children"};
    for (const auto k : kKnownElsewhere) {
      if (t == k) return bad(fmt::format("aggregation type [{}] is not supported by buildhub", t));
    }
    return bad(fmt::format("unknown aggregation type [{}]", t));
  }
  return a;
}

}  // namespace

Result<std::vector<AggSpec>> parse_aggs(Context& ctx, const json& j, std::size_t depth) {
  if (depth > ctx.limits.max_depth) return bad(fmt::format("aggregations nest deeper than {} levels", ctx.limits.max_depth));
  if (!j.is_object()) return bad("aggs must be an object of named aggregations");
  std::vector<AggSpec> out;
  for (const auto& [name, body] : j.items()) {
    if (name.empty() || name.find_first_of("[]>") != std::string::npos) {
      return bad(fmt::format("Invalid aggregation name [{}]", name));
    }
    if (++ctx.clauses > ctx.limits.max_clauses) return bad(fmt::format("too many clauses: more than {}", ctx.limits.max_clauses));
    BH_ASSIGN_OR_RETURN(AggSpec a, parse_agg(ctx, name, body, depth));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace bh::search::request_detail
