// SearchExecutor::run and the hit writer: the Elasticsearch 6 response body.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <simdjson.h>

#include "search/executor.h"

namespace bh::search {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;  // the aggregations' JSON

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

bool selected(const SourceFilter& f, const std::string& path) {
  const auto covers = [&](const std::string& p) { return pattern_covers(p, path); };
  if (std::any_of(f.excludes.begin(), f.excludes.end(), covers)) return false;
  return f.includes.empty() || std::any_of(f.includes.begin(), f.includes.end(), covers);
}

bool worth_descending(const SourceFilter& f, const std::string& path) {
  const auto may = [&](const std::string& p) { return pattern_may_descend(p, path); };
  return std::any_of(f.includes.begin(), f.includes.end(), may) || std::any_of(f.excludes.begin(), f.excludes.end(), may);
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Writes the members of `object` that the filter selects, each value as its exact stored bytes
// (no re-serialisation: dates and numbers come back as ingested). `out` gets `"key":value` pairs
// separated by commas, `first` tells whether a comma is due. False when the JSON cannot be walked.
bool filter_members(simdjson::ondemand::object object, const std::string& prefix, const SourceFilter& f, std::string& out,
                    bool& first) {
  for (auto field : object) {
    std::string_view key_view;
    if (field.unescaped_key().get(key_view)) return false;
    const std::string key(key_view);
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    simdjson::ondemand::value value;
    if (field.value().get(value)) return false;
    simdjson::ondemand::json_type type;
    if (value.type().get(type)) return false;
    const bool whole = selected(f, path);
    std::string_view raw;
    if (type == simdjson::ondemand::json_type::object) {
      simdjson::ondemand::object inner;
      if (value.get_object().get(inner)) return false;
      const bool has_excludes_below = !f.excludes.empty() && worth_descending(f, path);
      if (whole && !has_excludes_below) {
        if (inner.raw_json().get(raw)) return false;
      } else if (whole || worth_descending(f, path)) {
        // Filter inside: an included object keeps what the excludes leave of it.
        std::string sub;
        bool sub_first = true;
        const SourceFilter inner_filter = whole ? SourceFilter{true, {}, f.excludes} : f;
        if (!filter_members(inner, path, inner_filter, sub, sub_first)) return false;
        if (sub.empty() && !whole) continue;
        out += first ? "" : ",";
        first = false;
        append_json_string(out, key);
        out += ":{";
        out += sub;
        out += '}';
        continue;
      } else {
        continue;
      }
    } else if (!whole) {
      continue;
    } else if (type == simdjson::ondemand::json_type::array) {
      simdjson::ondemand::array inner;
      if (value.get_array().get(inner) || inner.raw_json().get(raw)) return false;
    } else {
      raw = trim_right(value.raw_json_token());
    }
    out += first ? "" : ",";
    first = false;
    append_json_string(out, key);
    out += ':';
    out += raw;
  }
  return true;
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
  out += '{';
  bool first = true;
  if (selected(source, "id")) {
    out += fmt::format("\"id\":{}", id);
    first = false;
  }
  thread_local std::string padded;
  thread_local simdjson::ondemand::parser parser;
  padded.assign(doc);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  const std::size_t mark = out.size();
  simdjson::ondemand::document json;
  simdjson::ondemand::object root;
  if (parser.iterate(padded.data(), doc.size(), padded.size()).get(json) || json.get_object().get(root) ||
      !filter_members(root, "", source, out, first)) {
    out.resize(mark);  // a stored document that does not parse keeps only its id
  }
  out += '}';
}

void SearchExecutor::write_sort_value(std::string& out, DocId d, const SortKey& key, double k) const {
  switch (key.kind) {
    case SortKey::Kind::kScore: append_json_score(out, static_cast<float>(k)); return;
    case SortKey::Kind::kDoc: out += std::to_string(d); return;
    case SortKey::Kind::kUnmapped:
      // Elasticsearch shows a numeric type's stand-in for "missing, sorted last"; others are null.
      if (key.unmapped_numeric) out += std::to_string(key.descending ? INT64_MIN : INT64_MAX);
      else out += "null";
      return;
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
  const auto started = clock_.monotonic_now();
  if (deadline_.expired()) timed_out_ = true;  // spent its time waiting for a worker
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
  if (timed_out_) {
    // Out of time while evaluating: a half-evaluated query (a must_not not yet applied) could
    // match documents it should not, so nothing counts as matched.
    matched.docs = Roaring();
    agg_docs = Roaring();
    matched_terms.by_column.clear();
  }
  if (req.min_score) {
    std::vector<DocId> keep;
    collect(matched.docs, [&](DocId d) {
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
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.monotonic_now() - started).count();
  out += fmt::format(R"({{"took":{},"timed_out":{},"_shards":{{"total":1,"successful":1,"skipped":0,"failed":0}},"hits":{{"total":{},"max_score":)",
                     took, timed_out_, req.track_total_hits ? static_cast<std::int64_t>(total) : -1);
  if (!scored || total == 0) {
    out += "null";
  } else if (req.size == 0 && !req.search_after) {
    // Elasticsearch 6 collects no scores for size 0 and reports 0.0 (the aggregation-only
    // searches most clients send); no pass over every match is needed either.
    out += "0.0";
  } else if (sort_by_score && req.sort.empty() && !hits.empty() && req.from == 0 && !req.search_after) {
    append_json_score(out, hits.front().score);
  } else {
    float best = 0;
    collect(matched.docs, [&](DocId d) { best = std::max(best, matched.score(d)); });
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
  if (!req.suggest.empty()) {
    out += R"(,"suggest":)";
    out += run_suggest(index_, req.suggest).dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  }
  out += '}';
  return out;
}

}  // namespace bh::search
