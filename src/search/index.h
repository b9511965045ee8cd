// SearchIndex: every stored record, columnar, in memory, for /api/search.
//
// Documents are numbered 0..N-1 in record-id order (DocId). Each keyword/text column keeps a
// dictionary of its distinct values (term ids in first-seen order, plus their byte order), the
// term of every document, and per term the documents holding it (inline for a single document,
// a Roaring bitmap otherwise). Date and long columns keep an int64 per document. The documents'
// JSON text is kept too (it is `_source`), and dictionary strings point into it whenever the
// JSON string has no escapes, so a high-cardinality field such as download.url costs ~30 bytes
// per record beyond the document.
//
// The index only grows: records are appended with ids larger than every id already indexed (the
// store hands them out that way), in bulk (append + finish, at start) or in prepared batches
// (prepare without changing the index, then apply: how the follower adds records while searches
// run).
//
// Ownership: the index owns its documents' copies and every structure; views it returns
// (document(), term()) stay valid until it is destroyed (the arena never moves bytes).
// Thread safety: none of its own. Const methods may run concurrently with each other, and
// prepare() is const; append/finish/apply need exclusive access. SearchService provides it with
// a SharedMutex (searches share; the follower applies under the write lock).
// Failure: none. A document that is not a JSON object is kept (as _source) with no field
// indexed; memory exhaustion throws std::bad_alloc like any container.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <roaring/roaring.hh>

#include "core/executor.h"
#include "search/field_catalog.h"
#include "store/record_store.h"

namespace bh::search {

using DocId = std::uint32_t;
using TermId = std::uint32_t;
inline constexpr TermId kNoTerm = UINT32_MAX;
inline constexpr std::int64_t kMissingNumber = INT64_MIN;

// Append-only byte storage; views into it stay valid for its lifetime. A reference packs a
// 40-bit offset and a 24-bit length into 64 bits.
class ByteArena {
 public:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 26;  // 64 MiB
  static constexpr std::size_t kMaxLength = (std::size_t{1} << 24) - 1;
  using Ref = std::uint64_t;

  // Copies `bytes` in (at most kMaxLength bytes).
  Ref append(std::string_view bytes);
  std::string_view view(Ref ref) const {
    const std::uint64_t offset = ref >> 24;
    return {blocks_[offset >> 26].get() + (offset & (kBlockBytes - 1)), static_cast<std::size_t>(ref & kMaxLength)};
  }
  // A reference to part of an earlier append.
  static Ref sub_ref(Ref whole, std::size_t start, std::size_t length) {
    return (((whole >> 24) + start) << 24) | length;
  }
  std::size_t bytes_reserved() const { return blocks_.size() * kBlockBytes; }

 private:
  struct FreeBlock {
    void operator()(char* p) const noexcept;
  };
  std::vector<std::unique_ptr<char[], FreeBlock>> blocks_;
  std::size_t used_ = kBlockBytes;  // bytes used in the last block
};

class KeywordColumn {
 public:
  // version_order: also keep Mozilla version order (target.version). analyzed: keep each
  // term's standard-analyzer tokens (text fields), so queries never re-tokenise the dictionary.
  KeywordColumn(const ByteArena& arena, bool version_order, bool analyzed)
      : arena_(&arena), version_order_(version_order), analyzed_(analyzed) {}

  TermId term_of(DocId d) const { return ord_[d]; }
  std::size_t term_count() const { return term_ref_.size(); }
  std::string_view term(TermId t) const { return arena_->view(term_ref_[t]); }
  std::optional<TermId> find(std::string_view value) const;
  std::uint32_t doc_freq(TermId t) const;
  // Documents that hold term t, added to `out`.
  void add_postings(TermId t, Roaring& out) const;
  void append_postings(TermId t, std::vector<DocId>& out) const;
  // Term ids in byte order, and each term's position in it.
  const std::vector<TermId>& sorted_terms() const { return sorted_; }
  std::uint32_t byte_rank(TermId t) const { return rank_[t]; }
  // Mozilla version order (only for the target.version column, else empty).
  const std::vector<TermId>& version_sorted_terms() const { return version_sorted_; }
  std::uint32_t version_rank(TermId t) const { return version_rank_[t]; }
  const std::string& version_key(TermId t) const { return version_keys_[t]; }
  // Documents that have a value.
  std::uint64_t docs_with_value() const { return docs_with_value_; }
  // Analyzed columns only: a term's tokens, and the mean token count per document with a value.
  const std::vector<std::string>& tokens(TermId t) const { return tokens_[t]; }
  double average_tokens() const {
    return docs_with_value_ ? static_cast<double>(total_tokens_) / static_cast<double>(docs_with_value_) : 0.0;
  }

  // Building (see SearchIndex::add_batch).
  void append_missing() { ord_.push_back(kNoTerm); }
  void reserve(std::size_t docs) { ord_.reserve(docs); }
  void append(DocId d, ByteArena::Ref value_ref);
  void finish_batch();
  std::size_t unsorted_terms() const { return term_ref_.size() - sorted_until_; }

  // The dictionary orders with `fresh` merged in: the terms a batch will add, with the ids
  // they will get (term_count(), term_count() + 1, ...). Reads only: the index's single writer
  // computes this while searches read, then install_order() swaps it in with the batch.
  struct Order {
    std::vector<TermId> sorted;
    std::vector<std::uint32_t> rank;
    std::vector<std::string> version_keys;  // of the fresh terms (version column only)
    std::vector<TermId> version_sorted;
    std::vector<std::uint32_t> version_rank;
  };
  Order merged_order(const std::vector<std::string_view>& fresh) const;
  // REQUIRES: the fresh terms of `order` have been appended, and nothing else.
  void install_order(Order order);

  std::size_t memory_bytes() const;
  void hash_into(std::uint64_t& h) const;

 private:
  static constexpr std::uint64_t kEmptySlot = UINT64_MAX;
  static std::uint32_t tag_of(std::string_view value) {
    return static_cast<std::uint32_t>(std::hash<std::string_view>{}(value));
  }
  void grow_table();
  std::size_t slot_of(std::string_view value, std::uint32_t tag) const;

  const ByteArena* arena_;
  bool version_order_;
  bool analyzed_;
  std::vector<TermId> ord_;                 // per document
  std::vector<ByteArena::Ref> term_ref_;    // per term
  std::vector<std::uint32_t> head_;         // per term: kInline|doc, or index into lists_
  std::vector<Roaring> lists_;
  std::vector<std::uint64_t> slots_;        // open addressing: hash tag << 32 | term id
  std::vector<TermId> sorted_;
  std::vector<std::uint32_t> rank_;
  std::vector<std::string> version_keys_;
  std::vector<TermId> version_sorted_;
  std::vector<std::uint32_t> version_rank_;
  std::size_t sorted_until_ = 0;            // terms [0, sorted_until_) are in sorted_
  std::uint64_t docs_with_value_ = 0;
  std::vector<std::vector<std::string>> tokens_;  // analyzed columns: per term
  std::uint64_t total_tokens_ = 0;
};

struct NumericColumn {
  std::vector<std::int64_t> values;  // kMissingNumber when absent
  std::uint64_t docs_with_value = 0;
};

struct IndexInput {
  RecordId id;
  std::string_view document;
};

// Documents parsed and laid out for SearchIndex::apply, built by SearchIndex::prepare without
// changing the index. Views point into the IndexInputs' text, which must outlive the batch.
struct PreparedBatch {
  struct Value {
    Column column;
    bool decoded = false;         // the string had JSON escapes: decoded[index] holds it
    std::uint32_t index = 0;
    std::uint32_t offset = 0;     // else: where it is in the document text
    std::uint32_t length = 0;
    std::int64_t number = 0;      // date and long columns
  };
  struct Document {
    RecordId id = 0;
    std::string_view text;
    std::uint32_t first_value = 0;
    std::uint32_t value_count = 0;
    bool parsed = true;           // false: not a JSON object (kept, no field indexed)
  };
  std::vector<Document> documents;
  std::vector<Value> values;
  std::vector<std::string> decoded;
  // With orders: for each keyword column that gets new terms, its orders with them merged in.
  bool ordered = false;
  std::vector<std::pair<Column, KeywordColumn::Order>> orders;

  std::string_view string_of(const Document& d, const Value& v) const {
    return v.decoded ? std::string_view(decoded[v.index]) : d.text.substr(v.offset, v.length);
  }
};

class SearchIndex {
 public:
  SearchIndex();
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

  // Appends records with increasing ids, all larger than last_record_id(), and finishes (sorts
  // the new dictionary terms in). A document that is not a JSON object is kept (it is still
  // returned as _source) with no fields indexed.
  void add_batch(std::span<const IndexInput> records) {
    append(records);
    finish();
  }
  // The two halves of add_batch, for a long catch-up: many appends, one finish. The index must
  // not be read between an append and the next finish. finish() sorts large batches of new
  // terms on the executor's workers (nullptr: on this thread).
  void append(std::span<const IndexInput> records);
  void finish(Executor* executor = nullptr);

  // Incremental indexing by the index's only writer, in two steps. prepare() only reads the
  // index, so it may run while searches read it too: it parses the documents, finds the terms
  // they add and merges those into the dictionary orders (the expensive part). apply() then
  // changes the index (exclusive access; nothing may change in between) and is cheap: copies,
  // hash inserts, postings, and swapping the merged orders in. The result equals add_batch.
  PreparedBatch prepare(std::span<const IndexInput> records) const;
  void apply(PreparedBatch batch);
  // Room for this many documents in all, so a large catch-up does not regrow every column.
  void reserve(std::size_t docs);

  std::size_t doc_count() const { return record_ids_.size(); }
  RecordId last_record_id() const { return record_ids_.empty() ? 0 : record_ids_.back(); }
  RecordId record_id(DocId d) const { return record_ids_[d]; }
  std::optional<DocId> doc_of_record(RecordId id) const;
  std::string_view document(DocId d) const { return arena_.view(documents_[d]); }

  const KeywordColumn& keyword(Column c) const { return *keyword_[static_cast<std::size_t>(c)]; }
  const NumericColumn& numeric(Column c) const { return numeric_[static_cast<std::size_t>(c)]; }
  std::uint64_t docs_unparsable() const { return unparsable_; }

  // Bytes held by index structures, not counting the documents' text.
  std::size_t memory_bytes() const;
  std::size_t document_bytes() const { return document_bytes_; }
  // A digest of every column, for "the index after restart equals the index before".
  std::uint64_t fingerprint() const;

 private:
  // Parses one document into batch.values; false when it is not a JSON object.
  static bool parse_document(std::string_view text, PreparedBatch& batch);
  PreparedBatch parse_documents(std::span<const IndexInput> records) const;
  void add_orders(PreparedBatch& batch) const;
  void add_document(const PreparedBatch::Document& d, std::span<const PreparedBatch::Value> values,
                    const std::vector<std::string>& decoded);

  ByteArena arena_;
  std::vector<RecordId> record_ids_;
  std::vector<ByteArena::Ref> documents_;
  std::vector<std::unique_ptr<KeywordColumn>> keyword_;  // by Column; null for numeric columns
  std::vector<NumericColumn> numeric_;                   // by Column; empty for string columns
  std::uint64_t unparsable_ = 0;
  std::size_t document_bytes_ = 0;
};

// Calls f(doc) for every document in the bitmap, in increasing order, without allocating.
template <typename F>
void for_each_doc(const Roaring& docs, F&& f) {
  roaring_uint32_iterator_t it;
  roaring_init_iterator(&docs.roaring, &it);
  std::uint32_t buffer[256];
  while (true) {
    const std::uint32_t n = roaring_read_uint32_iterator(&it, buffer, 256);
    for (std::uint32_t i = 0; i < n; ++i) f(buffer[i]);
    if (n < 256) break;
  }
}

}  // namespace bh::search
