// String matching the way Elasticsearch's term-level queries and analyzers do it.
//
// Thread safety: pure functions; CompiledRegexp is immutable after construction and may be
// shared between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.h"
#include "core/status.h"
#include "search/lucene_regexp.h"

namespace bh::search {

// Elasticsearch's standard analyzer, approximated for the ASCII tool strings buildhub holds:
// tokens are runs of letters, digits, '_' and non-ASCII characters; a '.' between two such
// characters stays inside the token ("vs2017_15.8.4"); tokens are lower-cased.
std::vector<std::string> standard_tokens(std::string_view text);


// Lucene wildcard syntax: '*' any sequence, '?' one character, '\' escapes the next character.
// Matches the whole of `text`.
bool wildcard_match(std::string_view pattern, std::string_view text);
// The literal text before the first unescaped '*' or '?', unescaped.
std::string wildcard_literal_prefix(std::string_view pattern);
// True when the pattern has an unescaped '*' or '?'.
bool has_wildcard(std::string_view pattern);
// Removes '\' escapes.
std::string unescape_wildcard(std::string_view pattern);

// A Lucene regular expression (the `regexp` query, a terms aggregation's include/exclude) in
// Lucene's own syntax, anchored at both ends: see search/lucene_regexp.h.
class CompiledRegexp {
 public:
  // flags: "ALL" (default), "NONE", or a '|'-separated list as Elasticsearch takes.
  static Result<std::shared_ptr<const CompiledRegexp>> compile(std::string_view lucene_pattern, std::string_view flags);
  bool full_match(std::string_view text) const { return automaton_.matches(text); }
  // The literal text every match starts with (for dictionary range narrowing).
  const std::string& literal_prefix() const { return automaton_.literal_prefix(); }

 private:
  explicit CompiledRegexp(LuceneRegexp automaton) : automaton_(std::move(automaton)) {}
  LuceneRegexp automaton_;
};

inline constexpr std::size_t kMaxRegexpLength = 1000;  // Elasticsearch's index.max_regex_length

}  // namespace bh::search
