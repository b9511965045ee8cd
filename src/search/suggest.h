// Elasticsearch's `suggest` section: term and phrase suggesters drawing corrections from the
// index's dictionaries, as SearchKit's "did you mean" (a phrase suggester with a direct
// generator) and Kibana-era scripts (term suggesters) send them.
//
// Candidates come from a field's dictionary within `max_edits` (1 or 2) edits, counting a
// transposition as one edit (Lucene's DirectSpellChecker), sharing the first `prefix_length`
// characters; each scores 1 - edits / min(length of token, length of candidate), as Lucene's
// fuzzy terms do. The field `_all` (which Buildhub2's Elasticsearch 6 index no longer had, so
// it suggested nothing) means every keyword field of words here (not the build ids, revisions
// and URLs), lower-cased as _all was.
// The phrase suggester corrects up to `max_errors` tokens with the generators' candidates and
// keeps a correction only when it is more likely than the text as written; its scores come
// from a simple model of our own (see docs/search.md), not from Elasticsearch's n-gram model.
// `completion` is refused: the mapping has no completion fields.
//
// Thread safety: parse_suggest is a pure function; run_suggest only reads the index.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "search/field_catalog.h"

namespace bh::search {

class SearchIndex;

// Where candidates come from, and which of them count.
struct CandidateSource {
  std::vector<Column> columns;  // one field, or every string column for `_all`
  bool lowercase = false;       // `_all`: its terms were lower-cased
  enum class Mode { kMissing, kPopular, kAlways } mode = Mode::kMissing;
  int max_edits = 2;
  std::size_t prefix_length = 1;
  std::size_t min_word_length = 4;
  std::size_t size = 5;
  double min_doc_freq = 0;  // absolute (>= 1) or a fraction of the documents
  bool sort_by_frequency = false;
};

struct SuggestSpec {
  std::string name;
  std::string text;
  enum class Kind { kTerm, kPhrase } kind = Kind::kTerm;
  FieldRef field;              // how the text is split into tokens
  CandidateSource term;        // kTerm
  // kPhrase:
  std::vector<CandidateSource> generators;  // none given: the field itself, suggest_mode always
  std::size_t size = 5;
  double max_errors = 1.0;     // >= 1: a number of tokens; < 1: a share of them
  double confidence = 1.0;
  double real_word_error_likelihood = 0.95;
  std::optional<std::pair<std::string, std::string>> highlight;  // pre and post tag
};

// The `suggest` object of a search body. kInvalidArgument (Elasticsearch's message where it has
// one) for an unknown suggester or option, a missing field or text, or an unmapped field.
Result<std::vector<SuggestSpec>> parse_suggest(const nlohmann::json& suggest);

// {"name": [{"text", "offset", "length", "options": [...]}, ...], ...}
nlohmann::ordered_json run_suggest(const SearchIndex& index, const std::vector<SuggestSpec>& specs);

// Edits between a and b (code points), counting an adjacent transposition as one; any value
// above `limit` is reported as limit + 1.
int edit_distance(std::u32string_view a, std::u32string_view b, int limit);

}  // namespace bh::search
