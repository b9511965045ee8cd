#include "search/index.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/mman.h>

#include <functional>

#include "record/mozilla_version.h"
#include "search/text_analysis.h"

namespace bh::search {
namespace {

constexpr std::uint32_t kInline = 0x8000'0000u;

std::size_t hash_of(std::string_view s) { return std::hash<std::string_view>{}(s); }

void mix(std::uint64_t& h, std::uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
}
void mix(std::uint64_t& h, std::string_view s) { mix(h, static_cast<std::uint64_t>(hash_of(s))); }

}  // namespace

// ---- ByteArena ----

void ByteArena::FreeBlock::operator()(char* p) const noexcept { std::free(p); }

ByteArena::Ref ByteArena::append(std::string_view bytes) {
  const std::size_t n = std::min(bytes.size(), kMaxLength);
  if (used_ + n > kBlockBytes) {
    // 2 MiB-aligned and marked for transparent huge pages: the documents (1.1 GB for 1M records)
    // are then mapped with 1/512 of the page faults, which were a seventh of the start-up build.
    // Not zeroed: every byte is written before it is read.
    char* block = static_cast<char*>(std::aligned_alloc(std::size_t{2} << 20, kBlockBytes));
    if (block == nullptr) throw std::bad_alloc();
    ::madvise(block, kBlockBytes, MADV_HUGEPAGE);  // advice only: failure changes nothing
    blocks_.emplace_back(block);
    used_ = 0;
  }
  char* at = blocks_.back().get() + used_;
  if (n > 0) std::memcpy(at, bytes.data(), n);
  const std::uint64_t offset = ((blocks_.size() - 1) << 26) + used_;
  used_ += n;
  return (offset << 24) | n;
}

// ---- KeywordColumn ----

// A slot holds (hash tag << 32 | term id). Comparing the tag first skips the string compare on
// almost every collision: the values of download.url share their first 40 bytes.
std::size_t KeywordColumn::slot_of(std::string_view value, std::uint32_t tag) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = tag & mask;
  while (slots_[i] != kEmptySlot &&
         (static_cast<std::uint32_t>(slots_[i] >> 32) != tag || term(static_cast<TermId>(slots_[i])) != value)) {
    i = (i + 1) & mask;
  }
  return i;
}

std::optional<TermId> KeywordColumn::find(std::string_view value) const {
  if (slots_.empty()) return std::nullopt;
  const std::uint64_t slot = slots_[slot_of(value, tag_of(value))];
  if (slot == kEmptySlot) return std::nullopt;
  return static_cast<TermId>(slot);
}

void KeywordColumn::grow_table() {
  std::vector<std::uint64_t> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, kEmptySlot);
  const std::size_t mask = slots_.size() - 1;
  for (const std::uint64_t slot : old) {
    if (slot == kEmptySlot) continue;
    std::size_t i = (slot >> 32) & mask;  // the tag is the hash: no string is read again
    while (slots_[i] != kEmptySlot) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void KeywordColumn::append(DocId d, ByteArena::Ref value_ref) {
  if ((term_ref_.size() + 1) * 2 > slots_.size()) grow_table();
  const std::string_view value = arena_->view(value_ref);
  const std::uint32_t tag = tag_of(value);
  const std::size_t slot = slot_of(value, tag);
  TermId t;
  if (slots_[slot] == kEmptySlot) {
    t = static_cast<TermId>(term_ref_.size());
    slots_[slot] = (static_cast<std::uint64_t>(tag) << 32) | t;
    term_ref_.push_back(value_ref);
    head_.push_back(kInline | d);
    if (analyzed_) tokens_.push_back(standard_tokens(value));
  } else if (t = static_cast<TermId>(slots_[slot]); head_[t] & kInline) {
    Roaring list;
    list.add(head_[t] & ~kInline);
    list.add(d);
    head_[t] = static_cast<std::uint32_t>(lists_.size());
    lists_.push_back(std::move(list));
  } else {
    lists_[head_[t]].add(d);
  }
  ord_.push_back(t);
  ++docs_with_value_;
  if (analyzed_) total_tokens_ += tokens_[t].size();
}

std::uint32_t KeywordColumn::doc_freq(TermId t) const {
  return (head_[t] & kInline) ? 1 : static_cast<std::uint32_t>(lists_[head_[t]].cardinality());
}

void KeywordColumn::add_postings(TermId t, Roaring& out) const {
  if (head_[t] & kInline) out.add(head_[t] & ~kInline);
  else out |= lists_[head_[t]];
}

void KeywordColumn::append_postings(TermId t, std::vector<DocId>& out) const {
  if (head_[t] & kInline) {
    out.push_back(head_[t] & ~kInline);
    return;
  }
  for_each_doc(lists_[head_[t]], [&](DocId d) { out.push_back(d); });
}

void KeywordColumn::finish_batch() {
  if (sorted_until_ == term_ref_.size()) return;
  const auto by_bytes = [this](TermId a, TermId b) { return term(a) < term(b); };
  std::vector<TermId> fresh(term_ref_.size() - sorted_until_);
  for (std::size_t i = 0; i < fresh.size(); ++i) fresh[i] = static_cast<TermId>(sorted_until_ + i);
  std::sort(fresh.begin(), fresh.end(), by_bytes);
  std::vector<TermId> merged;
  merged.reserve(term_ref_.size());
  std::merge(sorted_.begin(), sorted_.end(), fresh.begin(), fresh.end(), std::back_inserter(merged), by_bytes);
  sorted_ = std::move(merged);
  rank_.resize(term_ref_.size());
  for (std::size_t i = 0; i < sorted_.size(); ++i) rank_[sorted_[i]] = static_cast<std::uint32_t>(i);

  if (version_order_) {
    for (std::size_t t = sorted_until_; t < term_ref_.size(); ++t) {
      version_keys_.push_back(mozilla_version_sort_key(term(static_cast<TermId>(t))));
    }
    const auto by_version = [this](TermId a, TermId b) {
      return version_keys_[a] != version_keys_[b] ? version_keys_[a] < version_keys_[b] : term(a) < term(b);
    };
    std::sort(fresh.begin(), fresh.end(), by_version);
    std::vector<TermId> vmerged;
    vmerged.reserve(term_ref_.size());
    std::merge(version_sorted_.begin(), version_sorted_.end(), fresh.begin(), fresh.end(), std::back_inserter(vmerged),
               by_version);
    version_sorted_ = std::move(vmerged);
    version_rank_.resize(term_ref_.size());
    for (std::size_t i = 0; i < version_sorted_.size(); ++i) version_rank_[version_sorted_[i]] = static_cast<std::uint32_t>(i);
  }
  sorted_until_ = term_ref_.size();
}

std::size_t KeywordColumn::memory_bytes() const {
  std::size_t n = ord_.capacity() * sizeof(TermId) + term_ref_.capacity() * sizeof(ByteArena::Ref) +
                  head_.capacity() * 4 + slots_.capacity() * 8 + sorted_.capacity() * 4 + rank_.capacity() * 4 +
                  version_sorted_.capacity() * 4 + version_rank_.capacity() * 4 + lists_.capacity() * sizeof(Roaring);
  for (const auto& l : lists_) n += l.getSizeInBytes(false);
  for (const auto& k : version_keys_) n += sizeof(std::string) + (k.size() > 15 ? k.capacity() : 0);
  for (const auto& toks : tokens_) {
    n += sizeof(toks) + toks.capacity() * sizeof(std::string);
    for (const auto& t : toks) n += t.size() > 15 ? t.capacity() : 0;
  }
  return n;
}

void KeywordColumn::hash_into(std::uint64_t& h) const {
  mix(h, ord_.size());
  for (const TermId t : ord_) {
    if (t == kNoTerm) mix(h, 0xFFFF'FFFFull);
    else mix(h, term(t));
  }
}

// ---- SearchIndex ----

SearchIndex::SearchIndex() {
  keyword_.resize(kColumnCount);
  numeric_.resize(kColumnCount);
  for (const auto& c : columns()) {
    if (c.kind == ColumnKind::kKeyword || c.kind == ColumnKind::kText) {
      keyword_[static_cast<std::size_t>(c.column)] =
          std::make_unique<KeywordColumn>(arena_, c.column == Column::kTargetVersion, c.kind == ColumnKind::kText);
    }
  }
}

std::optional<DocId> SearchIndex::doc_of_record(RecordId id) const {
  const auto it = std::lower_bound(record_ids_.begin(), record_ids_.end(), id);
  if (it == record_ids_.end() || *it != id) return std::nullopt;
  return static_cast<DocId>(it - record_ids_.begin());
}

void SearchIndex::reserve(std::size_t docs) {
  record_ids_.reserve(docs);
  documents_.reserve(docs);
  for (std::size_t ci = 0; ci < kColumnCount; ++ci) {
    if (keyword_[ci]) keyword_[ci]->reserve(docs);
    else numeric_[ci].values.reserve(docs);
  }
}

void SearchIndex::finish(Executor* executor) {
  std::vector<KeywordColumn*> pending;
  for (auto& k : keyword_) {
    if (k && k->unsorted_terms() > 0) pending.push_back(k.get());
  }
  std::size_t unsorted = 0;
  for (const auto* k : pending) unsorted += k->unsorted_terms();
  // Columns are independent: after a large append (the start-up build sorts 1M URLs, revisions
  // and build ids) the executor's workers share them. Small catch-ups stay on this thread.
  if (executor == nullptr || unsorted < 100'000) {
    for (auto* k : pending) k->finish_batch();
    return;
  }
  (void)executor->parallel_for(pending.size(), 0, [&](std::size_t i) {
    pending[i]->finish_batch();
    return Status::ok();
  });
}

std::size_t SearchIndex::memory_bytes() const {
  std::size_t n = record_ids_.capacity() * sizeof(RecordId) + documents_.capacity() * sizeof(ByteArena::Ref);
  for (const auto& k : keyword_) {
    if (k) n += k->memory_bytes();
  }
  for (const auto& c : numeric_) n += c.values.capacity() * sizeof(std::int64_t);
  // Arena bytes beyond the documents: decoded strings and the unused tail of the last block.
  return n;
}

std::uint64_t SearchIndex::fingerprint() const {
  std::uint64_t h = 0;
  mix(h, record_ids_.size());
  for (std::size_t d = 0; d < record_ids_.size(); ++d) {
    mix(h, static_cast<std::uint64_t>(record_ids_[d]));
    mix(h, document(static_cast<DocId>(d)));
  }
  for (const auto& k : keyword_) {
    if (k) k->hash_into(h);
  }
  for (const auto& c : numeric_) {
    for (const auto v : c.values) mix(h, static_cast<std::uint64_t>(v));
  }
  return h;
}

}  // namespace bh::search
