// Aggregations over a bitmap of documents, nestable, in Elasticsearch 6's response shape.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "search/executor.h"
#include "search/query_builders.h"

namespace bh::search {
namespace {

using ojson = nlohmann::ordered_json;

struct AggRun {
  SearchExecutor& exec;
  const Evaluated& scorer;
  std::size_t buckets = 0;

  Status count_buckets(std::size_t n) {
    buckets += n;
    if (buckets > exec.limits().max_buckets) {
      return invalid_argument(fmt::format(
          "Trying to create too many buckets. Must be less than or equal to: [{}] but was [{}]. "
          "This limit can be set by changing the [search.max_buckets] cluster level setting.",
          exec.limits().max_buckets, buckets));
    }
    return Status::ok();
  }
};

Result<ojson> run_all(AggRun& run, const std::vector<AggSpec>& aggs, const Roaring& docs);

Status add_subs(AggRun& run, const AggSpec& a, const Roaring& docs, ojson& bucket) {
  if (a.subs.empty()) return Status::ok();
  BH_ASSIGN_OR_RETURN(ojson subs, run_all(run, a.subs, docs));
  for (auto& [k, v] : subs.items()) bucket[k] = std::move(v);
  return Status::ok();
}

const SearchIndex& idx(AggRun& run) { return run.exec.index(); }

// Numeric values of a field for the documents (missing ones take `missing` when given).
template <typename F>
void for_each_number(AggRun& run, const AggSpec& a, const Roaring& docs, F&& f) {
  const auto& values = idx(run).numeric(a.field->column).values;
  std::optional<std::int64_t> missing;
  if (a.missing) {
    if (a.field->type == FieldType::kDate) {
      if (auto ms = DateFormat::default_format().parse_millis(*a.missing, {}, false)) missing = *ms;
    } else {
      missing = parse_long(*a.missing);
    }
  }
  run.exec.collect(docs, [&](DocId d) {
    const std::int64_t v = values[d];
    if (v != kMissingNumber) f(d, v);
    else if (missing) f(d, *missing);
  });
}

ojson date_or_number(const AggSpec& a, double v, ojson& holder, const char* name) {
  if (a.field && a.field->type == FieldType::kDate && std::isfinite(v)) {
    holder[std::string(name) + "_as_string"] = a.format.format_millis(static_cast<std::int64_t>(v), a.time_zone);
  }
  return std::isfinite(v) ? ojson(v) : ojson(nullptr);
}

Result<ojson> metric(AggRun& run, const AggSpec& a, const Roaring& docs) {
  ojson out = ojson::object();
  if (a.type == AggSpec::Type::kValueCount || a.type == AggSpec::Type::kCardinality) {
    const FieldRef& f = *a.field;
    std::uint64_t count = 0, distinct = 0;
    if (f.type == FieldType::kRecordId) {
      count = distinct = docs.cardinality();
    } else if (f.is_numeric()) {
      std::vector<std::int64_t> seen;
      for_each_number(run, a, docs, [&](DocId, std::int64_t v) { ++count; seen.push_back(v); });
      std::sort(seen.begin(), seen.end());
      distinct = static_cast<std::uint64_t>(std::unique(seen.begin(), seen.end()) - seen.begin());
    } else {
      const auto& col = idx(run).keyword(f.column);
      std::vector<bool> seen(col.term_count(), false);
      bool missing_seen = false;
      run.exec.collect(docs, [&](DocId d) {
        const TermId t = col.term_of(d);
        if (t == kNoTerm) {
          if (a.missing) { ++count; missing_seen = true; }
          return;
        }
        ++count;
        if (!seen[t]) { seen[t] = true; ++distinct; }
      });
      if (missing_seen && !col.find(*a.missing)) ++distinct;
    }
    out["value"] = a.type == AggSpec::Type::kValueCount ? count : distinct;
    return out;
  }
  std::uint64_t count = 0;
  double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  for_each_number(run, a, docs, [&](DocId, std::int64_t v) {
    ++count;
    const double x = static_cast<double>(v);
    sum += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  });
  const double avg = count ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
  switch (a.type) {
    case AggSpec::Type::kMin: out["value"] = date_or_number(a, lo, out, "value"); break;
    case AggSpec::Type::kMax: out["value"] = date_or_number(a, hi, out, "value"); break;
    case AggSpec::Type::kAvg: out["value"] = date_or_number(a, avg, out, "value"); break;
    case AggSpec::Type::kSum: out["value"] = sum; break;
    default: {
      ojson extra = ojson::object();
      out["count"] = count;
      out["min"] = date_or_number(a, lo, extra, "min");
      out["max"] = date_or_number(a, hi, extra, "max");
      out["avg"] = date_or_number(a, avg, extra, "avg");
      out["sum"] = sum;
      for (auto& [k, v] : extra.items()) out[k] = v;
    }
  }
  // Elasticsearch keeps the value_as_string after value.
  if (out.contains("value_as_string")) {
    ojson reordered = ojson::object();
    reordered["value"] = out["value"];
    reordered["value_as_string"] = out["value_as_string"];
    return reordered;
  }
  return out;
}

struct TermBucket {
  ojson key;
  std::string key_text;   // for include/exclude and key ordering of strings
  double key_order = 0;   // numeric key order (numbers, dates, version rank, byte rank)
  std::uint64_t count = 0;
  Roaring docs;
  bool docs_ready = false;
  std::optional<TermId> term;
  std::optional<std::int64_t> number;
  bool missing_bucket = false;
  ojson subs;
};

Result<ojson> terms(AggRun& run, const AggSpec& a, const Roaring& docs) {
  const FieldRef& f = *a.field;
  std::vector<TermBucket> buckets;
  const SearchIndex& index = idx(run);
  if (f.type == FieldType::kRecordId) {
    run.exec.collect(docs, [&](DocId d) {
      TermBucket b;
      b.key_text = std::to_string(index.record_id(d));
      b.key = b.key_text;
      b.key_order = static_cast<double>(index.record_id(d));
      b.count = 1;
      b.docs.add(d);
      b.docs_ready = true;
      buckets.push_back(std::move(b));
    });
  } else if (f.is_numeric()) {
    std::unordered_map<std::int64_t, std::uint64_t> counts;
    for_each_number(run, a, docs, [&](DocId, std::int64_t v) { ++counts[v]; });
    for (const auto& [v, n] : counts) {
      TermBucket b;
      b.number = v;
      b.key = v;
      b.key_text = f.type == FieldType::kDate ? a.format.format_millis(v, a.time_zone) : std::to_string(v);
      b.key_order = static_cast<double>(v);
      b.count = n;
      buckets.push_back(std::move(b));
    }
  } else {
    const auto& col = index.keyword(f.column);
    std::vector<std::uint32_t> counts(col.term_count(), 0);
    std::uint64_t missing = 0;
    run.exec.collect(docs, [&](DocId d) {
      const TermId t = col.term_of(d);
      if (t == kNoTerm) ++missing;
      else ++counts[t];
    });
    for (TermId t = 0; t < counts.size(); ++t) {
      if (counts[t] == 0 && a.min_doc_count > 0) continue;
      TermBucket b;
      b.term = t;
      b.key_text = std::string(col.term(t));
      b.key = b.key_text;
      b.key_order = f.type == FieldType::kVersion ? col.version_rank(t) : col.byte_rank(t);
      b.count = counts[t];
      buckets.push_back(std::move(b));
    }
    if (a.missing && missing > 0) {
      const auto existing = col.find(*a.missing);
      auto it = std::find_if(buckets.begin(), buckets.end(), [&](const TermBucket& b) { return existing && b.term == existing; });
      if (it != buckets.end()) {
        it->count += missing;
        it->missing_bucket = true;
      } else {
        TermBucket b;
        b.key_text = *a.missing;
        b.key = *a.missing;
        b.key_order = static_cast<double>(col.term_count());
        b.count = missing;
        b.missing_bucket = true;
        buckets.push_back(std::move(b));
      }
    }
  }
  // include / exclude
  std::erase_if(buckets, [&](const TermBucket& b) {
    if (a.include_regexp && !a.include_regexp->full_match(b.key_text)) return true;
    if (a.exclude_regexp && a.exclude_regexp->full_match(b.key_text)) return true;
    if (!a.include_values.empty() &&
        std::find(a.include_values.begin(), a.include_values.end(), b.key_text) == a.include_values.end()) return true;
    if (std::find(a.exclude_values.begin(), a.exclude_values.end(), b.key_text) != a.exclude_values.end()) return true;
    return static_cast<std::int64_t>(b.count) < a.min_doc_count;
  });

  auto bucket_docs = [&](TermBucket& b) {
    if (b.docs_ready) return;
    b.docs_ready = true;
    if (b.term) {
      const auto& col = index.keyword(f.column);
      Roaring postings;
      col.add_postings(*b.term, postings);
      b.docs = postings & docs;
    } else if (b.number) {
      std::vector<DocId> ds;
      for_each_number(run, a, docs, [&](DocId d, std::int64_t v) { if (v == *b.number) ds.push_back(d); });
      b.docs = Roaring(ds.size(), ds.data());
    }
    if (b.missing_bucket) {
      const auto& col = index.keyword(f.column);
      std::vector<DocId> ds;
      run.exec.collect(docs, [&](DocId d) { if (col.term_of(d) == kNoTerm) ds.push_back(d); });
      b.docs |= Roaring(ds.size(), ds.data());
    }
  };

  std::vector<TermsOrder> order = a.order;
  const bool by_sub = std::any_of(order.begin(), order.end(), [](const TermsOrder& o) { return o.by == TermsOrder::By::kSubAgg; });
  if (order.empty()) order.push_back({TermsOrder::By::kCount, false, {}});
  if (by_sub) {
    BH_RETURN_IF_ERROR(run.count_buckets(buckets.size()));
    for (auto& b : buckets) {
      bucket_docs(b);
      b.subs = ojson::object();
      BH_RETURN_IF_ERROR(add_subs(run, a, b.docs, b.subs));
    }
  }
  auto sub_value = [&](const TermBucket& b, const std::string& path) -> double {
    const std::size_t dot = path.find('.');
    const std::string head = path.substr(0, dot);
    if (!b.subs.contains(head)) return 0;
    const ojson& s = b.subs[head];
    const std::string metric = dot == std::string::npos ? (s.contains("value") ? "value" : "doc_count") : path.substr(dot + 1);
    if (!s.contains(metric) || !s[metric].is_number()) return -std::numeric_limits<double>::infinity();
    return s[metric].get<double>();
  };
  std::stable_sort(buckets.begin(), buckets.end(), [&](const TermBucket& x, const TermBucket& y) {
    for (const auto& o : order) {
      double vx = 0, vy = 0;
      if (o.by == TermsOrder::By::kCount) { vx = static_cast<double>(x.count); vy = static_cast<double>(y.count); }
      else if (o.by == TermsOrder::By::kKey) { vx = x.key_order; vy = y.key_order; }
      else { vx = sub_value(x, o.sub_agg); vy = sub_value(y, o.sub_agg); }
      if (vx != vy) return o.ascending ? vx < vy : vx > vy;
    }
    return x.key_order < y.key_order;  // ties: by key, as Elasticsearch does
  });
  std::uint64_t other = 0;
  if (buckets.size() > a.size) {
    for (std::size_t i = a.size; i < buckets.size(); ++i) other += buckets[i].count;
    buckets.resize(a.size);
  }
  if (!by_sub) BH_RETURN_IF_ERROR(run.count_buckets(buckets.size()));
  ojson out = ojson::object();
  out["doc_count_error_upper_bound"] = 0;
  out["sum_other_doc_count"] = other;
  ojson list = ojson::array();
  for (auto& b : buckets) {
    ojson bucket = ojson::object();
    bucket["key"] = b.key;
    if (b.number && f.type == FieldType::kDate) bucket["key_as_string"] = b.key_text;
    bucket["doc_count"] = b.count;
    if (by_sub) {
      for (auto& [k, v] : b.subs.items()) bucket[k] = v;
    } else if (!a.subs.empty()) {
      bucket_docs(b);
      BH_RETURN_IF_ERROR(add_subs(run, a, b.docs, bucket));
    }
    list.push_back(std::move(bucket));
  }
  out["buckets"] = std::move(list);
  return out;
}

std::string number_text(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

Result<ojson> ranges(AggRun& run, const AggSpec& a, const Roaring& docs) {
  const bool dates = a.type == AggSpec::Type::kDateRange;
  BH_RETURN_IF_ERROR(run.count_buckets(a.ranges.size()));
  std::vector<std::vector<DocId>> members(a.ranges.size());
  for_each_number(run, a, docs, [&](DocId d, std::int64_t v) {
    for (std::size_t i = 0; i < a.ranges.size(); ++i) {
      const auto& r = a.ranges[i];
      const double x = static_cast<double>(v);
      const bool above = dates ? (!r.from_ms || v >= *r.from_ms) : (!r.from || x >= *r.from);
      const bool below = dates ? (!r.to_ms || v < *r.to_ms) : (!r.to || x < *r.to);
      if (above && below) members[i].push_back(d);
    }
  });
  ojson list = ojson::array();
  ojson keyed = ojson::object();
  for (std::size_t i = 0; i < a.ranges.size(); ++i) {
    const auto& r = a.ranges[i];
    ojson b = ojson::object();
    std::string from_text = "*", to_text = "*";
    if (dates) {
      if (r.from_ms) from_text = a.format.format_millis(*r.from_ms, a.time_zone);
      if (r.to_ms) to_text = a.format.format_millis(*r.to_ms, a.time_zone);
    } else {
      if (r.from) from_text = number_text(*r.from);
      if (r.to) to_text = number_text(*r.to);
    }
    const std::string key = r.key ? *r.key : from_text + "-" + to_text;
    if (!a.keyed) b["key"] = key;
    if (dates) {
      if (r.from_ms) { b["from"] = static_cast<double>(*r.from_ms); b["from_as_string"] = from_text; }
      if (r.to_ms) { b["to"] = static_cast<double>(*r.to_ms); b["to_as_string"] = to_text; }
    } else {
      if (r.from) b["from"] = *r.from;
      if (r.to) b["to"] = *r.to;
    }
    b["doc_count"] = members[i].size();
    if (!a.subs.empty()) BH_RETURN_IF_ERROR(add_subs(run, a, Roaring(members[i].size(), members[i].data()), b));
    if (a.keyed) keyed[key] = std::move(b);
    else list.push_back(std::move(b));
  }
  ojson out = ojson::object();
  out["buckets"] = a.keyed ? std::move(keyed) : std::move(list);
  return out;
}

Result<ojson> histogram(AggRun& run, const AggSpec& a, const Roaring& docs) {
  const bool dates = a.type == AggSpec::Type::kDateHistogram;
  const bool calendar = dates && a.calendar_unit.has_value();
  const std::int64_t offset = static_cast<std::int64_t>(a.offset);
  // Bucket key of a value.
  std::int64_t vmin = INT64_MAX, vmax = INT64_MIN;
  for_each_number(run, a, docs, [&](DocId, std::int64_t v) { vmin = std::min(vmin, v); vmax = std::max(vmax, v); });
  if (a.extended_min) vmin = std::min(vmin, static_cast<std::int64_t>(*a.extended_min));
  if (a.extended_max) vmax = std::max(vmax, static_cast<std::int64_t>(*a.extended_max));
  ojson out = ojson::object();
  if (vmin > vmax) {
    out["buckets"] = ojson::array();
    return out;
  }
  // Bucket starts from the smallest to the largest value (all of them when min_doc_count is 0).
  std::vector<double> starts;
  auto too_many = [&](double n) -> Status {
    if (n > static_cast<double>(run.exec.limits().max_buckets)) {
      return invalid_argument(fmt::format(
          "Trying to create too many buckets. Must be less than or equal to: [{}] but was [{}]. "
          "This limit can be set by changing the [search.max_buckets] cluster level setting.",
          run.exec.limits().max_buckets, static_cast<std::uint64_t>(n)));
    }
    return Status::ok();
  };
  if (calendar) {
    std::int64_t s = round_down_to_unit(vmin - offset, *a.calendar_unit, a.time_zone);
    while (s <= vmax - offset) {
      starts.push_back(static_cast<double>(s + offset));
      BH_RETURN_IF_ERROR(too_many(static_cast<double>(starts.size())));
      s = next_unit_start(s, *a.calendar_unit, a.time_zone);
    }
  } else {
    const double interval = dates ? static_cast<double>(a.fixed_interval_ms) : a.interval;
    const double first = std::floor((static_cast<double>(vmin) - a.offset) / interval) * interval + a.offset;
    const double last = std::floor((static_cast<double>(vmax) - a.offset) / interval) * interval + a.offset;
    BH_RETURN_IF_ERROR(too_many((last - first) / interval + 1));
    for (double s = first; s <= last; s += interval) starts.push_back(s);
  }
  std::vector<std::uint64_t> counts(starts.size(), 0);
  std::vector<std::vector<DocId>> members(a.subs.empty() ? 0 : starts.size());
  const double interval = dates ? static_cast<double>(a.fixed_interval_ms) : a.interval;
  for_each_number(run, a, docs, [&](DocId d, std::int64_t v) {
    std::size_t i;
    if (calendar) {
      i = static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), static_cast<double>(v)) - starts.begin()) - 1;
    } else {
      i = static_cast<std::size_t>(std::floor((static_cast<double>(v) - starts[0]) / interval));
      if (i >= starts.size()) i = starts.size() - 1;
    }
    ++counts[i];
    if (!members.empty()) members[i].push_back(d);
  });
  ojson list = ojson::array();
  ojson keyed = ojson::object();
  std::size_t emitted = 0;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    if (static_cast<std::int64_t>(counts[i]) < std::max<std::int64_t>(a.min_doc_count, 0) ||
        (a.min_doc_count > 0 && counts[i] == 0)) {
      continue;
    }
    ++emitted;
    ojson b = ojson::object();
    std::string key_text;
    if (dates) {
      key_text = a.format.format_millis(static_cast<std::int64_t>(starts[i]), a.time_zone);
      b["key_as_string"] = key_text;
      b["key"] = static_cast<std::int64_t>(starts[i]);
    } else {
      key_text = number_text(starts[i]);
      b["key"] = starts[i];
    }
    b["doc_count"] = counts[i];
    if (!members.empty()) BH_RETURN_IF_ERROR(add_subs(run, a, Roaring(members[i].size(), members[i].data()), b));
    if (a.keyed) keyed[key_text] = std::move(b);
    else list.push_back(std::move(b));
  }
  BH_RETURN_IF_ERROR(run.count_buckets(emitted));
  out["buckets"] = a.keyed ? std::move(keyed) : std::move(list);
  return out;
}

Result<ojson> top_hits(AggRun& run, const AggSpec& a, const Roaring& docs) {
  const bool by_score = a.sort.empty() || std::any_of(a.sort.begin(), a.sort.end(), [](const SortKey& s) { return s.kind == SortKey::Kind::kScore; });
  BH_ASSIGN_OR_RETURN(auto hits, run.exec.top_hits(docs, run.scorer, a.sort, a.from, a.size, std::nullopt, by_score));
  std::string text = "[";
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (i) text += ',';
    run.exec.write_hit(text, hits[i], a.sort, by_score, a.source, nullptr, nullptr);
  }
  text += ']';
  ojson out = ojson::object();
  ojson h = ojson::object();
  h["total"] = docs.cardinality();
  if (by_score && !hits.empty()) h["max_score"] = hits.front().score;
  else h["max_score"] = nullptr;
  h["hits"] = ojson::parse(text);
  out["hits"] = std::move(h);
  return out;
}

Result<ojson> run_one(AggRun& run, const AggSpec& a, const Roaring& docs) {
  switch (a.type) {
    case AggSpec::Type::kTerms: return terms(run, a, docs);
    case AggSpec::Type::kCardinality: case AggSpec::Type::kValueCount: case AggSpec::Type::kMin:
    case AggSpec::Type::kMax: case AggSpec::Type::kAvg: case AggSpec::Type::kSum: case AggSpec::Type::kStats:
      return metric(run, a, docs);
    case AggSpec::Type::kFilter: {
      BH_ASSIGN_OR_RETURN(Evaluated e, run.exec.evaluate(*a.filter, nullptr));
      const Roaring inside = e.docs & docs;
      ojson out = ojson::object();
      out["doc_count"] = inside.cardinality();
      BH_RETURN_IF_ERROR(add_subs(run, a, inside, out));
      return out;
    }
    case AggSpec::Type::kFilters: {
      BH_RETURN_IF_ERROR(run.count_buckets(a.filters.size() + (a.other_bucket ? 1 : 0)));
      ojson keyed = ojson::object(), list = ojson::array();
      Roaring rest = docs;
      for (const auto& [name, q] : a.filters) {
        BH_ASSIGN_OR_RETURN(Evaluated e, run.exec.evaluate(*q, nullptr));
        const Roaring inside = e.docs & docs;
        rest -= e.docs;
        ojson b = ojson::object();
        b["doc_count"] = inside.cardinality();
        BH_RETURN_IF_ERROR(add_subs(run, a, inside, b));
        if (a.filters_keyed) keyed[name] = std::move(b);
        else list.push_back(std::move(b));
      }
      if (a.other_bucket) {
        ojson b = ojson::object();
        b["doc_count"] = rest.cardinality();
        BH_RETURN_IF_ERROR(add_subs(run, a, rest, b));
        if (a.filters_keyed) keyed[a.other_bucket_key] = std::move(b);
        else list.push_back(std::move(b));
      }
      ojson out = ojson::object();
      out["buckets"] = a.filters_keyed ? std::move(keyed) : std::move(list);
      return out;
    }
    case AggSpec::Type::kMissing: {
      const FieldRef& f = *a.field;
      std::vector<DocId> ds;
      if (f.is_numeric()) {
        const auto& values = idx(run).numeric(f.column).values;
        run.exec.collect(docs, [&](DocId d) { if (values[d] == kMissingNumber) ds.push_back(d); });
      } else if (f.type != FieldType::kRecordId) {
        const auto& col = idx(run).keyword(f.column);
        run.exec.collect(docs, [&](DocId d) { if (col.term_of(d) == kNoTerm) ds.push_back(d); });
      }
      const Roaring inside(ds.size(), ds.data());
      ojson out = ojson::object();
      out["doc_count"] = inside.cardinality();
      BH_RETURN_IF_ERROR(add_subs(run, a, inside, out));
      return out;
    }
    case AggSpec::Type::kRange: case AggSpec::Type::kDateRange: return ranges(run, a, docs);
    case AggSpec::Type::kHistogram: case AggSpec::Type::kDateHistogram: return histogram(run, a, docs);
    case AggSpec::Type::kTopHits: return top_hits(run, a, docs);
  }
  return ojson::object();
}

Result<ojson> run_all(AggRun& run, const std::vector<AggSpec>& aggs, const Roaring& docs) {
  ojson out = ojson::object();
  for (const auto& a : aggs) {
    BH_ASSIGN_OR_RETURN(ojson r, run_one(run, a, docs));
    out[a.name] = std::move(r);
  }
  return out;
}

}  // namespace

Result<nlohmann::ordered_json> run_aggregations(SearchExecutor& exec, const std::vector<AggSpec>& aggs, const Roaring& docs,
                                                const Evaluated& scorer) {
  AggRun run{exec, scorer};
  return run_all(run, aggs, docs);
}

}  // namespace bh::search
