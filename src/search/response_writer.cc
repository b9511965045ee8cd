// SearchExecutor::run and the hit writer: the Elasticsearch 6 response body.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "search/executor.h"

namespace bh::search {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Does a _source pattern select `path` (or an ancestor of it, or a descendant through it)?
bool pattern_covers(std::string_view pattern, std::string_view path) {
  if (wildcard_match(pattern, path)) return true;
  // "target" selects target.version; "target.*" selects target.version.
  if (path.size() > pattern.size() && path.starts_with(pattern) && path[pattern.size()] == '.') return true;
  return false;
}

// A pattern could select something below `path` (so the object must be kept and descended).
bool pattern_may_descend(std::string_view pattern, std::string_view path) {
  if (pattern.size() <= path.size()) return false;
  const std::string prefix = std::string(path) + ".";
  const std::string literal = wildcard_literal_prefix(pattern);
  return literal.starts_with(prefix) || prefix.starts_with(literal);
}

void filter_object(const ordered_json& in, ordered_json& out, const std::string& prefix, const SourceFilter& f) {
  for (const auto& [k, v] : in.items()) {
    const std::string path = prefix.empty() ? k : prefix + "." + k;
    const bool excluded = std::any_of(f.excludes.begin(), f.excludes.end(), [&](const std::string& p) { return pattern_covers(p, path); });
    if (excluded) continue;
    const bool included = f.includes.empty() ||
                          std::any_of(f.includes.begin(), f.includes.end(), [&](const std::string& p) { return pattern_covers(p, path); });
    if (v.is_object()) {
      const bool descend = std::any_of(f.includes.begin(), f.includes.end(), [&](const std::string& p) { return pattern_may_descend(p, path); }) ||
                           std::any_of(f.excludes.begin(), f.excludes.end(), [&](const std::string& p) { return pattern_may_descend(p, path); });
      if (!included && !descend) continue;
      ordered_json sub = ordered_json::object();
      if (included && f.excludes.empty()) sub = v;
      else filter_object(v, sub, path, included ? SourceFilter{true, {}, f.excludes} : f);
      if (!sub.empty() || included) out[k] = std::move(sub);
    } else if (included) {
      out[k] = v;
    }
  }
}

}  // namespace

void SearchExecutor::write_source(std::string& out, DocId d, const SourceFilter& source) const {
  const std::string_view doc = index_.document(d);
  const RecordId id = index_.record_id(d);
  if (!source.filtered()) {
    // Splice "id" in front of the stored text: the record exactly as ingested, plus its id.
    const std::size_t brace = doc.find('{');
    if (brace == std::string_view::npos) {
      out += fmt::format("{{\"id\":{}}}", id);
      return;
    }
    std::string_view rest = doc.substr(brace + 1);
    std::size_t i = 0;
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n' || rest[i] == '\r' || rest[i] == '\t')) ++i;
    out += fmt::format("{{\"id\":{}", id);
    if (i < rest.size() && rest[i] != '}') out += ',';
    out += rest.substr(i);
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\r' || out.back() == '\t')) out.pop_back();
    return;
  }
  ordered_json full = ordered_json::object();
  full["id"] = id;
  try {
    const ordered_json parsed = ordered_json::parse(doc);
    if (parsed.is_object()) {
      for (const auto& [k, v] : parsed.items()) full[k] = v;
    }
  } catch (const std::exception&) {
    // A stored document that does not parse keeps only its id.
  }
  ordered_json filtered = ordered_json::object();
  filter_object(full, filtered, "", source);
  out += filtered.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

void SearchExecutor::write_sort_value(std::string& out, DocId d, const SortKey& key, double k) const {
  switch (key.kind) {
    case SortKey::Kind::kScore: append_json_score(out, static_cast<float>(k)); return;
    case SortKey::Kind::kDoc: out += std::to_string(d); return;
    case SortKey::Kind::kField: break;
  }
  const FieldRef& f = *key.field;
  switch (f.type) {
    case FieldType::kDate: case FieldType::kLong: {
      const std::int64_t v = index_.numeric(f.column).values[d];
      if (v != kMissingNumber) out += std::to_string(v);
      else out += std::to_string(k > 0 ? INT64_MAX : INT64_MIN);  // what Elasticsearch shows for a missing long
      return;
    }
    case FieldType::kRecordId: append_json_string(out, std::to_string(index_.record_id(d))); return;
    default: {
      const auto& col = index_.keyword(f.column);
      const TermId t = col.term_of(d);
      if (t == kNoTerm) out += "null";
      else append_json_string(out, col.term(t));
    }
  }
}

void SearchExecutor::write_hit(std::string& out, const Hit& hit, const std::vector<SortKey>& sort, bool scored,
                               const SourceFilter& source, const HighlightSpec* highlight,
                               const MatchedTerms* matched) const {
  out += R"({"_index":"buildhub2","_type":"doc","_id":")";
  out += std::to_string(index_.record_id(hit.doc));
  out += R"(","_score":)";
  if (scored) append_json_score(out, hit.score);
  else out += "null";
  if (source.enabled) {
    out += R"(,"_source":)";
    write_source(out, hit.doc, source);
  }
  if (!sort.empty()) {
    out += R"(,"sort":[)";
    for (std::size_t i = 0; i < sort.size(); ++i) {
      if (i) out += ',';
      write_sort_value(out, hit.doc, sort[i], hit.keys[i]);
    }
    out += ']';
  }
  if (highlight && matched) {
    std::string fields;
    std::vector<std::string> done;
    for (const auto& pattern : highlight->fields) {
      for (const auto& f : expand_field_pattern(pattern)) {
        if (!f.is_string_column() || std::find(done.begin(), done.end(), f.name) != done.end()) continue;
        const auto it = matched->by_column.find(static_cast<int>(f.column));
        if (it == matched->by_column.end()) continue;
        const TermId t = index_.keyword(f.column).term_of(hit.doc);
        if (t == kNoTerm || !std::binary_search(it->second.begin(), it->second.end(), t)) continue;
        done.push_back(f.name);
        if (!fields.empty()) fields += ',';
        append_json_string(fields, f.name);
        fields += ":[";
        append_json_string(fields, highlight->pre_tag + std::string(index_.keyword(f.column).term(t)) + highlight->post_tag);
        fields += ']';
      }
    }
    if (!fields.empty()) {
      out += R"(,"highlight":{)";
      out += fields;
      out += '}';
    }
  }
  out += '}';
}

Result<std::string> SearchExecutor::run(const SearchRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  MatchedTerms matched_terms;
  BH_ASSIGN_OR_RETURN(Evaluated matched, evaluate(*req.query, req.highlight ? &matched_terms : nullptr));
  for (auto& [col, terms] : matched_terms.by_column) {
    std::sort(terms.begin(), terms.end());
    terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  }
  const bool sort_by_score =
      req.sort.empty() || std::any_of(req.sort.begin(), req.sort.end(), [](const SortKey& s) { return s.kind == SortKey::Kind::kScore; });
  const bool scored = sort_by_score || req.track_scores;

  // Aggregations see the query's matches; post_filter narrows only the hits.
  Roaring agg_docs;
  const bool narrowed = req.post_filter || req.min_score;
  if (narrowed && !req.aggs.empty()) agg_docs = matched.docs;
  if (req.post_filter) {
    BH_ASSIGN_OR_RETURN(Evaluated pf, evaluate(*req.post_filter, nullptr));
    matched.docs &= pf.docs;
  }
  if (req.min_score) {
    std::vector<DocId> keep;
    for_each_doc(matched.docs, [&](DocId d) {
      if (matched.score(d) >= *req.min_score) keep.push_back(d);
    });
    matched.docs = Roaring(keep.size(), keep.data());
  }
  const std::uint64_t total = matched.docs.cardinality();
  BH_ASSIGN_OR_RETURN(std::vector<Hit> hits, top_hits(matched.docs, matched, req.sort, req.from, req.size, req.search_after, scored));

  std::optional<ordered_json> aggregations;
  if (!req.aggs.empty()) {
    BH_ASSIGN_OR_RETURN(aggregations, run_aggregations(*this, req.aggs, narrowed ? agg_docs : matched.docs, matched));
  }

  std::string out;
  out.reserve(512 + hits.size() * 1400);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  out += fmt::format(R"({{"took":{},"timed_out":false,"_shards":{{"total":1,"successful":1,"skipped":0,"failed":0}},"hits":{{"total":{},"max_score":)",
                     took, req.track_total_hits ? static_cast<std::int64_t>(total) : -1);
  if (!scored || total == 0) {
    out += "null";
  } else if (sort_by_score && req.sort.empty() && !hits.empty() && req.from == 0 && !req.search_after) {
    append_json_score(out, hits.front().score);
  } else {
    float best = 0;
    for_each_doc(matched.docs, [&](DocId d) { best = std::max(best, matched.score(d)); });
    append_json_score(out, best);
  }
  out += R"(,"hits":[)";
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (i) out += ',';
    write_hit(out, hits[i], req.sort, scored, req.source, req.highlight ? &*req.highlight : nullptr, &matched_terms);
  }
  out += "]}";
  if (aggregations) {
    out += R"(,"aggregations":)";
    out += aggregations->dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  }
  out += '}';
  return out;
}

}  // namespace bh::search
