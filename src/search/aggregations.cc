// Aggregations over a bitmap of documents, nestable, in Elasticsearch 6's response shape.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "search/executor.h"
#include "search/es_errors.h"
#include "search/query_builders.h"

namespace bh::search {
namespace {

using ojson = nlohmann::ordered_json;

// How many documents hold each term of a keyword column, among one set of documents.
struct KeywordCounts {
  std::vector<std::uint32_t> per_term;
  std::uint64_t missing = 0;  // documents without the field
};

struct AggRun {
  SearchExecutor& exec;
  const Evaluated& scorer;
  std::size_t buckets = 0;
  // Counts per keyword column for the documents the aggregations being run share (set by
  // run_all for its level): a facet's terms and cardinality on one field make one pass.
  std::map<Column, KeywordCounts>* sibling_counts = nullptr;

  Status count_buckets(std::size_t n) {
    buckets += n;
    if (buckets > exec.limits().max_buckets) {
      return es_error(Code::kInvalidArgument,
                      fmt::format("Trying to create too many buckets. Must be less than or equal to: [{}] but was [{}]. "
                                  "This limit can be set by changing the [search.max_buckets] cluster level setting.",
                                  exec.limits().max_buckets, buckets),
                      es_type::kTooManyBuckets);
    }
    return Status::ok();
  }
};

using Subs = std::vector<Aggregation>;

Result<ojson> run_all(AggRun& run, const Subs& aggs, const Roaring& docs);

// The sub-aggregations of one bucket, added to the bucket's JSON.
Status add_subs(AggRun& run, const Subs& subs, const Roaring& docs, ojson& bucket) {
  if (subs.empty()) return Status::ok();
  BH_ASSIGN_OR_RETURN(ojson out, run_all(run, subs, docs));
  for (auto& [k, v] : out.items()) bucket[k] = std::move(v);
  return Status::ok();
}

const SearchIndex& idx(AggRun& run) { return run.exec.index(); }

// `docs` must be the documents of the run_all level in progress (run_all sets sibling_counts):
// the counts are kept for its other aggregations.
const KeywordCounts& keyword_counts(AggRun& run, Column column, const Roaring& docs) {
  if (auto it = run.sibling_counts->find(column); it != run.sibling_counts->end()) return it->second;
  const auto& col = idx(run).keyword(column);
  KeywordCounts counts;
  counts.per_term.assign(col.term_count(), 0);
  const std::uint64_t n_docs = docs.cardinality();
  if (n_docs > 0 && n_docs == idx(run).doc_count()) {
    // Every document (no query, or a facet's match_all filter): the postings already hold the
    // counts, one per term instead of one visit per document.
    for (TermId t = 0; t < counts.per_term.size(); ++t) counts.per_term[t] = col.doc_freq(t);
    counts.missing = n_docs - col.docs_with_value();
    return run.sibling_counts->emplace(column, std::move(counts)).first->second;
  }
  run.exec.collect(docs, [&](DocId d) {
    const TermId t = col.term_of(d);
    if (t == kNoTerm) ++counts.missing;
    else ++counts.per_term[t];
  });
  return run.sibling_counts->emplace(column, std::move(counts)).first->second;
}

// Numeric values of a field for the documents (missing ones take `missing_text` when given).
template <typename F>
void for_each_number(AggRun& run, const FieldRef& field, const std::optional<std::string>& missing_text,
                     const Roaring& docs, F&& f) {
  const auto& values = idx(run).numeric(field.column).values;
  std::optional<std::int64_t> missing;
  if (missing_text) {
    if (field.type == FieldType::kDate) {
      if (auto ms = DateFormat::default_format().parse_millis(*missing_text, {}, false)) missing = *ms;
    } else {
      missing = parse_long(*missing_text);
    }
  }
  run.exec.collect(docs, [&](DocId d) {
    const std::int64_t v = values[d];
    if (v != kMissingNumber) f(d, v);
    else if (missing) f(d, *missing);
  });
}

ojson date_or_number(const MetricAgg& a, double v, ojson& holder, const char* name) {
  if (a.field.type == FieldType::kDate && std::isfinite(v)) {
    holder[std::string(name) + "_as_string"] = a.format.format_millis(static_cast<std::int64_t>(v), TimeZoneOffset{});
  }
  return std::isfinite(v) ? ojson(v) : ojson(nullptr);
}

Result<ojson> count_metric(AggRun& run, const CountAgg& a, const Roaring& docs) {
  const FieldRef& f = a.field;
  std::uint64_t count = 0, distinct = 0;
  if (f.type == FieldType::kRecordId) {
    count = distinct = docs.cardinality();
  } else if (f.is_numeric()) {
    std::vector<std::int64_t> seen;
    for_each_number(run, f, a.missing, docs, [&](DocId, std::int64_t v) { ++count; seen.push_back(v); });
    std::sort(seen.begin(), seen.end());
    distinct = static_cast<std::uint64_t>(std::unique(seen.begin(), seen.end()) - seen.begin());
  } else {
    const KeywordCounts& counts = keyword_counts(run, f.column, docs);
    for (const std::uint32_t n : counts.per_term) {
      count += n;
      if (n > 0) ++distinct;
    }
    if (a.missing && counts.missing > 0) {
      count += counts.missing;
      // Documents without the field take the `missing` value: a new value unless a document has it.
      const auto existing = idx(run).keyword(f.column).find(*a.missing);
      if (!existing || counts.per_term[*existing] == 0) ++distinct;
    }
  }
  ojson out = ojson::object();
  out["value"] = a.kind == CountAgg::Kind::kValueCount ? count : distinct;
  return out;
}

Result<ojson> metric(AggRun& run, const MetricAgg& a, const Roaring& docs) {
  ojson out = ojson::object();
  std::uint64_t count = 0;
  double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  for_each_number(run, a.field, a.missing, docs, [&](DocId, std::int64_t v) {
    ++count;
    const double x = static_cast<double>(v);
    sum += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  });
  const double avg = count ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
  switch (a.kind) {
    case MetricAgg::Kind::kMin: out["value"] = date_or_number(a, lo, out, "value"); break;
    case MetricAgg::Kind::kMax: out["value"] = date_or_number(a, hi, out, "value"); break;
    case MetricAgg::Kind::kAvg: out["value"] = date_or_number(a, avg, out, "value"); break;
    case MetricAgg::Kind::kSum: out["value"] = sum; break;
    case MetricAgg::Kind::kStats: {
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
  std::size_t sub_buckets = 0;  // buckets its sub-aggregations created
};

// One bucket per distinct value of the field among `docs` (counts only; documents on demand).
std::vector<TermBucket> term_buckets(AggRun& run, const TermsAgg& a, const Roaring& docs) {
  const FieldRef& f = a.field;
  const SearchIndex& index = idx(run);
  std::vector<TermBucket> buckets;
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
    return buckets;
  }
  if (f.is_numeric()) {
    std::unordered_map<std::int64_t, std::uint64_t> counts;
    for_each_number(run, f, a.missing, docs, [&](DocId, std::int64_t v) { ++counts[v]; });
    for (const auto& [v, n] : counts) {
      TermBucket b;
      b.number = v;
      b.key = v;
      b.key_text = f.type == FieldType::kDate ? DateFormat::default_format().format_millis(v, TimeZoneOffset{})
                                              : std::to_string(v);
      b.key_order = static_cast<double>(v);
      b.count = n;
      buckets.push_back(std::move(b));
    }
    return buckets;
  }
  const auto& col = index.keyword(f.column);
  const KeywordCounts& keyword = keyword_counts(run, f.column, docs);
  const std::vector<std::uint32_t>& counts = keyword.per_term;
  const std::uint64_t missing = keyword.missing;
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
    // Documents without the field count for the `missing` value: its bucket, or a new one.
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
  return buckets;
}

bool selected(const TermsAgg& a, const TermBucket& b) {
  if (a.include_regexp && !a.include_regexp->full_match(b.key_text)) return false;
  if (a.exclude_regexp && a.exclude_regexp->full_match(b.key_text)) return false;
  if (!a.include_values.empty() &&
      std::find(a.include_values.begin(), a.include_values.end(), b.key_text) == a.include_values.end()) {
    return false;
  }
  if (std::find(a.exclude_values.begin(), a.exclude_values.end(), b.key_text) != a.exclude_values.end()) return false;
  return static_cast<std::int64_t>(b.count) >= a.min_doc_count;
}

// The documents of a bucket, computed when sub-aggregations need them.
void fill_bucket_docs(AggRun& run, const TermsAgg& a, const Roaring& docs, TermBucket& b) {
  if (b.docs_ready) return;
  b.docs_ready = true;
  const SearchIndex& index = idx(run);
  if (b.term) {
    Roaring postings;
    index.keyword(a.field.column).add_postings(*b.term, postings);
    b.docs = postings & docs;
  } else if (b.number) {
    std::vector<DocId> ds;
    for_each_number(run, a.field, a.missing, docs, [&](DocId d, std::int64_t v) { if (v == *b.number) ds.push_back(d); });
    b.docs = Roaring(ds.size(), ds.data());
  }
  if (b.missing_bucket) {
    const auto& col = index.keyword(a.field.column);
    std::vector<DocId> ds;
    run.exec.collect(docs, [&](DocId d) { if (col.term_of(d) == kNoTerm) ds.push_back(d); });
    b.docs |= Roaring(ds.size(), ds.data());
  }
}

// A bucket's value for ordering by a sub-aggregation ("name" or "name.metric").
double sub_value(const TermBucket& b, const std::string& path) {
  const std::size_t dot = path.find('.');
  const std::string head = path.substr(0, dot);
  if (!b.subs.contains(head)) return 0;
  const ojson& s = b.subs[head];
  const std::string metric = dot == std::string::npos ? (s.contains("value") ? "value" : "doc_count") : path.substr(dot + 1);
  if (!s.contains(metric) || !s[metric].is_number()) return -std::numeric_limits<double>::infinity();
  return s[metric].get<double>();
}

void order_buckets(std::vector<TermBucket>& buckets, std::vector<TermsOrder> order) {
  if (order.empty()) order.push_back({TermsOrder::By::kCount, false, {}});
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
}

Result<ojson> terms(AggRun& run, const TermsAgg& a, const Subs& subs, const Roaring& docs) {
  std::vector<TermBucket> buckets = term_buckets(run, a, docs);
  std::erase_if(buckets, [&](const TermBucket& b) { return !selected(a, b); });
  // Ordering by a sub-aggregation needs it for every bucket; otherwise only for the kept ones.
  const bool by_sub = std::any_of(a.order.begin(), a.order.end(), [](const TermsOrder& o) { return o.by == TermsOrder::By::kSubAgg; });
  const std::size_t counted_before = run.buckets;
  if (by_sub) {
    for (auto& b : buckets) {
      fill_bucket_docs(run, a, docs, b);
      b.subs = ojson::object();
      const std::size_t before = run.buckets;
      BH_RETURN_IF_ERROR(add_subs(run, subs, b.docs, b.subs));
      b.sub_buckets = run.buckets - before;
    }
  }
  order_buckets(buckets, a.order);
  std::uint64_t other = 0;
  if (buckets.size() > a.size) {
    for (std::size_t i = a.size; i < buckets.size(); ++i) other += buckets[i].count;
    buckets.resize(a.size);
  }
  // Elasticsearch counts the buckets of the answer: those cut by `size` do not count, nor do
  // the sub-aggregation buckets computed only to order them.
  if (by_sub) {
    run.buckets = counted_before;
    for (const auto& b : buckets) run.buckets += b.sub_buckets;
  }
  BH_RETURN_IF_ERROR(run.count_buckets(buckets.size()));
  ojson out = ojson::object();
  out["doc_count_error_upper_bound"] = 0;
  out["sum_other_doc_count"] = other;
  ojson list = ojson::array();
  for (auto& b : buckets) {
    ojson bucket = ojson::object();
    bucket["key"] = b.key;
    if (b.number && a.field.type == FieldType::kDate) bucket["key_as_string"] = b.key_text;
    bucket["doc_count"] = b.count;
    if (by_sub) {
      for (auto& [k, v] : b.subs.items()) bucket[k] = v;
    } else if (!subs.empty()) {
      fill_bucket_docs(run, a, docs, b);
      BH_RETURN_IF_ERROR(add_subs(run, subs, b.docs, bucket));
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

Result<ojson> ranges(AggRun& run, const RangeAgg& a, const Subs& subs, const Roaring& docs) {
  const bool dates = a.dates;
  BH_RETURN_IF_ERROR(run.count_buckets(a.ranges.size()));
  std::vector<std::vector<DocId>> members(a.ranges.size());
  for_each_number(run, a.field, std::nullopt, docs, [&](DocId d, std::int64_t v) {
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
    if (!subs.empty()) BH_RETURN_IF_ERROR(add_subs(run, subs, Roaring(members[i].size(), members[i].data()), b));
    if (a.keyed) keyed[key] = std::move(b);
    else list.push_back(std::move(b));
  }
  ojson out = ojson::object();
  out["buckets"] = a.keyed ? std::move(keyed) : std::move(list);
  return out;
}

Result<ojson> histogram(AggRun& run, const HistogramAgg& a, const Subs& subs, const Roaring& docs) {
  const bool dates = a.dates;
  const bool calendar = dates && a.calendar_unit.has_value();
  const std::int64_t offset = static_cast<std::int64_t>(a.offset);
  // Bucket key of a value.
  std::int64_t vmin = INT64_MAX, vmax = INT64_MIN;
  for_each_number(run, a.field, std::nullopt, docs, [&](DocId, std::int64_t v) { vmin = std::min(vmin, v); vmax = std::max(vmax, v); });
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
      return es_error(Code::kInvalidArgument,
                      fmt::format("Trying to create too many buckets. Must be less than or equal to: [{}] but was [{}]. "
                                  "This limit can be set by changing the [search.max_buckets] cluster level setting.",
                                  run.exec.limits().max_buckets, static_cast<std::uint64_t>(n)),
                      es_type::kTooManyBuckets);
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
  std::vector<std::vector<DocId>> members(subs.empty() ? 0 : starts.size());
  const double interval = dates ? static_cast<double>(a.fixed_interval_ms) : a.interval;
  for_each_number(run, a.field, std::nullopt, docs, [&](DocId d, std::int64_t v) {
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
    if (!members.empty()) BH_RETURN_IF_ERROR(add_subs(run, subs, Roaring(members[i].size(), members[i].data()), b));
    if (a.keyed) keyed[key_text] = std::move(b);
    else list.push_back(std::move(b));
  }
  BH_RETURN_IF_ERROR(run.count_buckets(emitted));
  out["buckets"] = a.keyed ? std::move(keyed) : std::move(list);
  return out;
}

Result<ojson> top_hits(AggRun& run, const TopHitsAgg& a, const Roaring& docs) {
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

Result<ojson> filters(AggRun& run, const FiltersAgg& a, const Subs& subs, const Roaring& docs) {
  BH_RETURN_IF_ERROR(run.count_buckets(a.filters.size() + (a.other_bucket ? 1 : 0)));
  ojson keyed = ojson::object(), list = ojson::array();
  Roaring rest = docs;
  for (const auto& [name, q] : a.filters) {
    BH_ASSIGN_OR_RETURN(Evaluated e, run.exec.evaluate(*q, nullptr));
    const Roaring inside = e.docs & docs;
    rest -= e.docs;
    ojson b = ojson::object();
    b["doc_count"] = inside.cardinality();
    BH_RETURN_IF_ERROR(add_subs(run, subs, inside, b));
    if (a.keyed) keyed[name] = std::move(b);
    else list.push_back(std::move(b));
  }
  if (a.other_bucket) {
    ojson b = ojson::object();
    b["doc_count"] = rest.cardinality();
    BH_RETURN_IF_ERROR(add_subs(run, subs, rest, b));
    if (a.keyed) keyed[a.other_bucket_key] = std::move(b);
    else list.push_back(std::move(b));
  }
  ojson out = ojson::object();
  out["buckets"] = a.keyed ? std::move(keyed) : std::move(list);
  return out;
}

Result<ojson> filter(AggRun& run, const FilterAgg& a, const Subs& subs, const Roaring& docs) {
  BH_ASSIGN_OR_RETURN(Evaluated e, run.exec.evaluate(*a.filter, nullptr));
  const Roaring inside = e.docs & docs;
  ojson out = ojson::object();
  out["doc_count"] = inside.cardinality();
  BH_RETURN_IF_ERROR(add_subs(run, subs, inside, out));
  return out;
}

Result<ojson> missing(AggRun& run, const MissingAgg& a, const Subs& subs, const Roaring& docs) {
  const FieldRef& f = a.field;
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
  BH_RETURN_IF_ERROR(add_subs(run, subs, inside, out));
  return out;
}

Result<ojson> run_one(AggRun& run, const Aggregation& a, const Roaring& docs) {
  return std::visit(
      [&](const auto& spec) -> Result<ojson> {
        using T = std::decay_t<decltype(spec)>;
        if constexpr (std::is_same_v<T, TermsAgg>) return terms(run, spec, a.subs, docs);
        else if constexpr (std::is_same_v<T, CountAgg>) return count_metric(run, spec, docs);
        else if constexpr (std::is_same_v<T, MetricAgg>) return metric(run, spec, docs);
        else if constexpr (std::is_same_v<T, MissingAgg>) return missing(run, spec, a.subs, docs);
        else if constexpr (std::is_same_v<T, FilterAgg>) return filter(run, spec, a.subs, docs);
        else if constexpr (std::is_same_v<T, FiltersAgg>) return filters(run, spec, a.subs, docs);
        else if constexpr (std::is_same_v<T, RangeAgg>) return ranges(run, spec, a.subs, docs);
        else if constexpr (std::is_same_v<T, HistogramAgg>) return histogram(run, spec, a.subs, docs);
        else {
          static_assert(std::is_same_v<T, TopHitsAgg>);
          return top_hits(run, spec, docs);
        }
      },
      a.spec);
}

// This level's counts for its aggregations, the enclosing level's again on the way out.
class LevelCounts {
 public:
  explicit LevelCounts(AggRun& run) : run_(run), outer_(std::exchange(run.sibling_counts, &counts_)) {}
  ~LevelCounts() { run_.sibling_counts = outer_; }
  LevelCounts(const LevelCounts&) = delete;
  LevelCounts& operator=(const LevelCounts&) = delete;

 private:
  AggRun& run_;
  std::map<Column, KeywordCounts> counts_;
  std::map<Column, KeywordCounts>* outer_;
};

Result<ojson> run_all(AggRun& run, const Subs& aggs, const Roaring& docs) {
  const LevelCounts level(run);
  ojson out = ojson::object();
  for (const auto& a : aggs) {
    BH_ASSIGN_OR_RETURN(ojson r, run_one(run, a, docs));
    out[a.name] = std::move(r);
  }
  return out;
}

}  // namespace

Result<nlohmann::ordered_json> run_aggregations(SearchExecutor& exec, const std::vector<Aggregation>& aggs, const Roaring& docs,
                                                const Evaluated& scorer) {
  AggRun run{exec, scorer};
  return run_all(run, aggs, docs);
}

}  // namespace bh::search
