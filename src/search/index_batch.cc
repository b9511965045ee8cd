// SearchIndex, batches: parsing documents into values, finding the terms a batch adds and merging
// them into the dictionary orders (prepare, read-only), and changing the index (apply).
#include <algorithm>
#include <array>
#include <unordered_map>

#include <simdjson.h>

#include "record/date_time.h"
#include "record/mozilla_version.h"
#include "search/index.h"

namespace bh::search {
namespace {

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Merges the ids in `fresh` (sorted by `less`) into `sorted` (sorted by `less`). A small batch
// into a large dictionary is placed by binary search, so the old terms are moved, not compared.
// Ties keep the old term first, as std::merge does.
template <typename Less>
std::vector<TermId> merge_ids(const std::vector<TermId>& sorted, const std::vector<TermId>& fresh, Less less) {
  std::vector<TermId> merged;
  merged.reserve(sorted.size() + fresh.size());
  if (fresh.size() * 32 >= sorted.size()) {
    std::merge(sorted.begin(), sorted.end(), fresh.begin(), fresh.end(), std::back_inserter(merged), less);
    return merged;
  }
  auto from = sorted.begin();
  for (const TermId t : fresh) {
    const auto at = std::upper_bound(from, sorted.end(), t, less);
    merged.insert(merged.end(), from, at);
    merged.push_back(t);
    from = at;
  }
  merged.insert(merged.end(), from, sorted.end());
  return merged;
}

std::vector<std::uint32_t> ranks_of(const std::vector<TermId>& order) {
  std::vector<std::uint32_t> rank(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) rank[order[i]] = static_cast<std::uint32_t>(i);
  return rank;
}

}  // namespace

// ---- KeywordColumn: orders merged ahead of time ----

KeywordColumn::Order KeywordColumn::merged_order(const std::vector<std::string_view>& fresh) const {
  const std::size_t old_terms = term_ref_.size();
  const auto text_of = [&](TermId t) { return t < old_terms ? term(t) : fresh[t - old_terms]; };
  std::vector<TermId> ids(fresh.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<TermId>(old_terms + i);
  const auto by_bytes = [&](TermId a, TermId b) { return text_of(a) < text_of(b); };
  std::sort(ids.begin(), ids.end(), by_bytes);
  Order order;
  order.sorted = merge_ids(sorted_, ids, by_bytes);
  order.rank = ranks_of(order.sorted);
  if (version_order_) {
    for (const std::string_view v : fresh) order.version_keys.push_back(mozilla_version_sort_key(v));
    const auto key_of = [&](TermId t) -> const std::string& {
      return t < old_terms ? version_keys_[t] : order.version_keys[t - old_terms];
    };
    const auto by_version = [&](TermId a, TermId b) {
      return key_of(a) != key_of(b) ? key_of(a) < key_of(b) : text_of(a) < text_of(b);
    };
    std::sort(ids.begin(), ids.end(), by_version);
    order.version_sorted = merge_ids(version_sorted_, ids, by_version);
    order.version_rank = ranks_of(order.version_sorted);
  }
  return order;
}

void KeywordColumn::install_order(Order order) {
  sorted_ = std::move(order.sorted);
  rank_ = std::move(order.rank);
  if (version_order_) {
    for (auto& k : order.version_keys) version_keys_.push_back(std::move(k));
    version_sorted_ = std::move(order.version_sorted);
    version_rank_ = std::move(order.version_rank);
  }
  sorted_until_ = term_ref_.size();
}

// ---- SearchIndex: parse, prepare, apply ----

bool SearchIndex::parse_document(std::string_view text, PreparedBatch& batch) {
  thread_local std::string padded;
  thread_local simdjson::ondemand::parser parser;
  padded.assign(text);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  const simdjson::padded_string_view input(padded.data(), text.size(), padded.size());
  std::array<bool, kColumnCount> seen{};
  simdjson::ondemand::document json;
  if (parser.iterate(input).get(json)) return false;
  simdjson::ondemand::object root;
  if (json.get_object().get(root)) return false;
  for (auto field : root) {
    std::string_view object_name;
    if (field.unescaped_key().get(object_name)) return false;
    simdjson::ondemand::object object;
    if (field.value().get_object().get(object)) continue;
    for (auto member : object) {
      std::string_view key;
      if (member.unescaped_key().get(key)) return false;
      const auto column = column_of(object_name, key);
      if (!column) continue;
      simdjson::ondemand::value value;
      if (member.value().get(value)) return false;
      const std::size_t ci = static_cast<std::size_t>(*column);
      if (seen[ci]) continue;  // duplicate keys were refused at ingest; keep the first anyway
      const ColumnKind kind = column_info(*column).kind;
      simdjson::ondemand::json_type type;
      if (value.type().get(type)) return false;
      PreparedBatch::Value v{*column};
      if (kind == ColumnKind::kKeyword || kind == ColumnKind::kText) {
        if (type != simdjson::ondemand::json_type::string) continue;
        const std::string_view token = trim_right(value.raw_json_token());
        if (token.size() < 2) continue;
        const std::string_view inner = token.substr(1, token.size() - 2);
        if (inner.find('\\') == std::string_view::npos) {
          v.offset = static_cast<std::uint32_t>(inner.data() - padded.data());
          v.length = static_cast<std::uint32_t>(inner.size());
        } else {
          std::string_view decoded;
          if (value.get_string().get(decoded)) continue;
          v.decoded = true;
          v.index = static_cast<std::uint32_t>(batch.decoded.size());
          batch.decoded.emplace_back(decoded);
        }
      } else if (kind == ColumnKind::kLong) {
        if (type != simdjson::ondemand::json_type::number || value.get_int64().get(v.number)) continue;
      } else {  // date
        std::string_view date;
        if (type != simdjson::ondemand::json_type::string || value.get_string().get(date)) continue;
        const auto millis = rfc3339_to_epoch_millis(date);
        if (!millis) continue;
        v.number = *millis;
      }
      seen[ci] = true;
      batch.values.push_back(v);
    }
  }
  return true;
}

PreparedBatch SearchIndex::parse_documents(std::span<const IndexInput> records) const {
  PreparedBatch batch;
  batch.documents.reserve(records.size());
  batch.values.reserve(records.size() * 20);  // about twenty indexed fields per record
  RecordId last = record_ids_.empty() ? 0 : record_ids_.back();
  for (const auto& r : records) {
    if (r.id <= last) continue;  // already indexed
    last = r.id;
    PreparedBatch::Document d{r.id, r.document, static_cast<std::uint32_t>(batch.values.size())};
    if (!parse_document(r.document, batch)) {
      batch.values.resize(d.first_value);  // a document that stops parsing half-way indexes nothing
      d.parsed = false;
    }
    d.value_count = static_cast<std::uint32_t>(batch.values.size() - d.first_value);
    batch.documents.push_back(d);
  }
  return batch;
}

void SearchIndex::add_orders(PreparedBatch& batch) const {
  // The terms each keyword column will get, in the order apply() adds them (document order),
  // so their ids are known now: term_count(), term_count() + 1, ...
  std::array<std::vector<std::string_view>, kColumnCount> fresh;
  std::array<std::unordered_map<std::string_view, bool>, kColumnCount> fresh_seen;
  for (const auto& d : batch.documents) {
    for (std::uint32_t i = d.first_value; i < d.first_value + d.value_count; ++i) {
      const PreparedBatch::Value& v = batch.values[i];
      const auto ci = static_cast<std::size_t>(v.column);
      if (!keyword_[ci]) continue;
      const std::string_view text = batch.string_of(d, v);
      if (keyword_[ci]->find(text) || !fresh_seen[ci].emplace(text, true).second) continue;
      fresh[ci].push_back(text);
    }
  }
  for (std::size_t ci = 0; ci < kColumnCount; ++ci) {
    if (fresh[ci].empty()) continue;
    batch.orders.emplace_back(static_cast<Column>(ci), keyword_[ci]->merged_order(fresh[ci]));
  }
  batch.ordered = true;
}

PreparedBatch SearchIndex::prepare(std::span<const IndexInput> records) const {
  PreparedBatch batch = parse_documents(records);
  add_orders(batch);
  return batch;
}

void SearchIndex::add_document(const PreparedBatch::Document& d, std::span<const PreparedBatch::Value> values,
                               const std::vector<std::string>& decoded) {
  const DocId doc = static_cast<DocId>(record_ids_.size());
  const ByteArena::Ref doc_ref = arena_.append(d.text);
  record_ids_.push_back(d.id);
  documents_.push_back(doc_ref);
  document_bytes_ += d.text.size();
  if (!d.parsed) ++unparsable_;
  std::array<bool, kColumnCount> seen{};
  for (const PreparedBatch::Value& v : values) {
    const auto ci = static_cast<std::size_t>(v.column);
    seen[ci] = true;
    if (keyword_[ci]) {
      const ByteArena::Ref ref = v.decoded ? arena_.append(decoded[v.index]) : ByteArena::sub_ref(doc_ref, v.offset, v.length);
      keyword_[ci]->append(doc, ref);
    } else {
      numeric_[ci].values.push_back(v.number);
      ++numeric_[ci].docs_with_value;
    }
  }
  // Every column gets exactly one entry per document.
  for (std::size_t ci = 0; ci < kColumnCount; ++ci) {
    if (seen[ci]) continue;
    if (keyword_[ci]) keyword_[ci]->append_missing();
    else numeric_[ci].values.push_back(kMissingNumber);
  }
}

void SearchIndex::append(std::span<const IndexInput> records) {
  // One document at a time through a reused scratch batch: the bulk path keeps no batch-sized
  // intermediate (its terms are sorted once, by finish()).
  PreparedBatch scratch;
  for (const auto& r : records) {
    if (!record_ids_.empty() && r.id <= record_ids_.back()) continue;  // already indexed
    scratch.values.clear();
    scratch.decoded.clear();
    PreparedBatch::Document d{r.id, r.document};
    d.parsed = parse_document(r.document, scratch);
    if (!d.parsed) scratch.values.clear();  // a document that stops parsing half-way indexes nothing
    add_document(d, scratch.values, scratch.decoded);
  }
}

void SearchIndex::apply(PreparedBatch batch) {
  for (const auto& d : batch.documents) {
    if (!record_ids_.empty() && d.id <= record_ids_.back()) continue;
    add_document(d, std::span(batch.values).subspan(d.first_value, d.value_count), batch.decoded);
  }
  if (!batch.ordered) return;
  for (auto& [column, order] : batch.orders) keyword_[static_cast<std::size_t>(column)]->install_order(std::move(order));
}

}  // namespace bh::search
