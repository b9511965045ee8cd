// Runs a SearchRequest against a SearchIndex and writes the Elasticsearch 6 response.
//
// Queries evaluate to Roaring bitmaps of DocIds; scores are computed only when the sort needs
// them (or track_scores), from the same evaluation tree (keyword fields have no norms, so a
// document's score is a sum of per-clause constants, as in Lucene's BM25 with tf = 1).
//
// Time budget: a Deadline (core/clock.h) bounds the work. The clock is read every few thousand
// units of work (documents, dictionary terms), never per document. When the deadline passes while
// the query is being evaluated, nothing is known to match and the answer is empty; when it passes
// while hits and aggregations are collected, they hold what was collected so far. Either way the
// response says "timed_out": true, as Elasticsearch does; every hit returned does match.
//
// Ownership: borrows the index and limits for its lifetime (one request).
// Thread safety: a SearchExecutor is used by one thread for one request; many executors may
// read the same index at once (the caller holds the index's read lock).
// Failure: kInvalidArgument for requests that only turn out wrong against the data (a
// search_after value of the wrong kind, too many buckets).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <roaring/roaring.hh>

#include "core/clock.h"
#include "core/status.h"
#include "search/index.h"
#include "search/query.h"
#include "search/request_parser.h"

namespace bh::search {

// One evaluated query node: the documents it matches and how to score them.
struct Evaluated {
  enum class Kind { kConstant, kPerTerm, kSum, kDisMax } kind = Kind::kConstant;
  Roaring docs;
  float constant = 0.0f;                                 // kConstant
  const KeywordColumn* column = nullptr;                 // kPerTerm
  std::shared_ptr<std::unordered_map<TermId, float>> term_scores;
  std::vector<Evaluated> required;                       // kSum: scored for every match
  std::vector<Evaluated> optional;                       // kSum / kDisMax: scored when they match
  float boost = 1.0f;
  float tie_breaker = 0.0f;

  float score(DocId d) const;
  bool constant_score() const;
};

// Which dictionary terms a query matched per column, for highlighting.
struct MatchedTerms {
  std::unordered_map<int, std::vector<TermId>> by_column;
};

class SearchExecutor {
 public:
  // `clock` times "took"; `deadline` bounds the work (see above).
  SearchExecutor(const SearchIndex& index, const SearchLimits& limits, const Clock& clock, Deadline deadline)
      : index_(index), limits_(limits), clock_(clock), deadline_(deadline) {}
  // No deadline, the system clock (tests and benchmarks).
  SearchExecutor(const SearchIndex& index, const SearchLimits& limits)
      : SearchExecutor(index, limits, system_clock(), Deadline::never()) {}

  // The complete response body for a request.
  Result<std::string> run(const SearchRequest& request);

  // Building blocks shared with the aggregations.
  Result<Evaluated> evaluate(const Query& q, MatchedTerms* highlight);
  const SearchIndex& index() const { return index_; }
  const SearchLimits& limits() const { return limits_; }
  Roaring all_docs() const;

  // True once the deadline has passed. `work` is how much was done since the last call; the
  // clock is read only every kWorkPerClockRead units.
  bool out_of_time(std::size_t work = 1) {
    if (timed_out_) return true;
    if (!deadline_.is_set()) return false;
    work_since_clock_read_ += work;
    if (work_since_clock_read_ < kWorkPerClockRead) return false;
    work_since_clock_read_ = 0;
    timed_out_ = deadline_.expired();
    return timed_out_;
  }
  bool timed_out() const { return timed_out_; }
  // for_each_doc that stops after the block in hand once out of time.
  template <typename F>
  void collect(const Roaring& docs, F&& f) {
    const std::uint64_t n_docs = docs.cardinality();
    if (n_docs == 0) return;
    const std::uint64_t lo = docs.minimum(), hi = docs.maximum();
    if (hi - lo + 1 == n_docs) {
      // Consecutive ids (every document, or a match_all filter): a plain loop, no decoding.
      for (std::uint64_t d = lo; d <= hi;) {
        if (out_of_time(kRangeBlock)) return;
        const std::uint64_t end = std::min(hi + 1, d + kRangeBlock);
        for (; d < end; ++d) f(static_cast<DocId>(d));
      }
      return;
    }
    roaring_uint32_iterator_t it;
    roaring_init_iterator(&docs.roaring, &it);
    std::uint32_t buffer[256];
    while (!out_of_time(256)) {
      const std::uint32_t n = roaring_read_uint32_iterator(&it, buffer, 256);
      for (std::uint32_t i = 0; i < n; ++i) f(buffer[i]);
      if (n < 256) break;
    }
  }

  struct Hit {
    DocId doc;
    float score;
    std::vector<double> keys;  // sort keys, in sort order
  };
  // The best `from + size` documents of `docs` by `sort` (empty: by score from `scorer`), after
  // search_after.
  Result<std::vector<Hit>> top_hits(const Roaring& docs, const Evaluated& scorer, const std::vector<SortKey>& sort, std::size_t from,
                                    std::size_t size, const std::optional<nlohmann::json>& search_after,
                                    bool need_scores);
  // One hit as JSON text (ES 6 shape).
  void write_hit(std::string& out, const Hit& hit, const std::vector<SortKey>& sort, bool scored,
                 const SourceFilter& source, const HighlightSpec* highlight, const MatchedTerms* matched) const;

 private:
  Result<Evaluated> evaluate_field(const FieldQuery& q, MatchedTerms* highlight);
  Result<Evaluated> evaluate_bool(const BoolQuery& q, MatchedTerms* highlight);
  std::vector<TermId> matching_terms(const FieldRef& field, const StringPredicate& p, const KeywordColumn& col);
  std::vector<TermId> matching_text_terms(const StringPredicate& p, const KeywordColumn& col);
  std::vector<TermId> matching_scanned_terms(const StringPredicate& p, const KeywordColumn& col);
  Roaring record_id_docs(const StringPredicate& p);
  double sort_key_of(DocId d, const SortKey& key, float score) const;
  // The best k documents by one date or number field (no search_after), in result order.
  std::vector<Hit> top_by_number(const Roaring& docs, const SortKey& key, std::size_t k);
  Result<double> search_after_key(const nlohmann::json& value, const SortKey& key) const;
  void write_sort_value(std::string& out, DocId d, const SortKey& key, double k) const;
  void write_source(std::string& out, DocId d, const SourceFilter& source) const;

  static constexpr std::size_t kWorkPerClockRead = 4096;
  static constexpr std::uint64_t kRangeBlock = 4096;  // ids between deadline checks on the plain loop

  const SearchIndex& index_;
  const SearchLimits& limits_;
  const Clock& clock_;
  Deadline deadline_;
  bool timed_out_ = false;
  std::size_t work_since_clock_read_ = 0;
};

// Aggregations over a set of documents (aggregations.cc).
Result<nlohmann::ordered_json> run_aggregations(SearchExecutor& exec, const std::vector<Aggregation>& aggs, const Roaring& docs,
                                                const Evaluated& scorer);

// Writes a JSON string literal (quotes and escapes) to out.
void append_json_string(std::string& out, std::string_view s);
// A score (float) as JSON, as Elasticsearch prints it.
void append_json_score(std::string& out, float v);
// A float/double as JSON ("1.0", "0.2876821", "null" for non-finite values).
void append_json_number(std::string& out, double v);

}  // namespace bh::search
