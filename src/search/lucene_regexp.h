// Lucene's regular expressions (org.apache.lucene.util.automaton.RegExp, as Elasticsearch 6 runs
// them for the `regexp` query and the terms aggregation's include/exclude), compiled to a
// deterministic automaton over Unicode code points.
//
// Syntax (with every optional operator on, Elasticsearch's default "ALL"):
//   a|b  union            ab   concatenation      a&b  intersection (INTERSECTION)
//   a?  a*  a+  a{n}  a{n,}  a{n,m}  repeats (applied left to right: "a+?" is "(a+)?")
//   ~a  complement (COMPLEMENT)   [abc] [a-z] [^a-z] character classes   .  any character
//   #   the empty language (EMPTY)   @  any string (ANYSTRING)   "..."  a literal string
//   ()  the empty string   (a)  grouping   <n-m>  a decimal interval (INTERVAL)   \c  a literal c
// Every other character is itself: "(?i)" is the literal string "?i" in a group, "+*" is '+'
// repeated. A pattern matches a term only as a whole (anchored at both ends), as Lucene does.
//
// Compilation determinizes by Brzozowski derivatives (over classes of code points that behave
// alike), so matching is one table step per character whatever the pattern, including ~ and &.
// Like Elasticsearch (max_determinized_states), a pattern needing more than
// kMaxDeterminizedStates states is refused.
//
// Thread safety: a compiled LuceneRegexp is immutable; share it freely between threads.
// Failure: compile() returns kInvalidArgument with Lucene's message and position.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace bh::search {

// Elasticsearch's regexp "flags": which optional operators are on. Default: all of them.
struct LuceneRegexpFlags {
  bool intersection = true;  // &
  bool complement = true;    // ~
  bool empty = true;         // #
  bool any_string = true;    // @
  bool automaton = true;     // <name> (no names are defined: always "not found")
  bool interval = true;      // <n-m>
};

// "ALL" (or empty), "NONE", or names joined by '|' (INTERSECTION|COMPLEMENT|EMPTY|ANYSTRING|
// AUTOMATON|INTERVAL), as Elasticsearch's `flags` takes them; case-insensitive.
Result<LuceneRegexpFlags> parse_lucene_regexp_flags(std::string_view names);

// UTF-8 to code points and back; a byte that starts no valid sequence stands for itself.
std::u32string utf8_code_points(std::string_view text);
std::string code_points_utf8(std::u32string_view text);

inline constexpr std::size_t kMaxDeterminizedStates = 10000;  // Elasticsearch 6's default

class LuceneRegexp {
 public:
  static Result<LuceneRegexp> compile(std::string_view pattern, const LuceneRegexpFlags& flags = {});

  // True when the whole of `text` (UTF-8) is in the language.
  bool matches(std::string_view text) const;
  // The text every match starts with (empty when none is forced), for narrowing a sorted
  // dictionary to a range before matching.
  const std::string& literal_prefix() const { return literal_prefix_; }
  std::size_t state_count() const { return states_.size(); }

 private:
  struct State {
    bool accepting = false;
    bool dead = false;  // no string leads from here to acceptance
    std::array<std::int32_t, 128> ascii{};
    // Transitions for every code point: (first code point of a range, target), sorted.
    std::vector<std::pair<char32_t, std::int32_t>> ranges;
  };
  std::int32_t step(const State& state, char32_t c) const;
  std::vector<State> states_;  // states_[0] is the start state
  std::string literal_prefix_;
  friend class RegexpDeterminizer;
};

}  // namespace bh::search
