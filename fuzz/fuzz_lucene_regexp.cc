// Lucene regular expressions (the regexp query, terms include/exclude): the first line is the
// pattern, the first byte picks the flags, every further line is a text to match.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "search/lucene_regexp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  bh::search::LuceneRegexpFlags flags;
  const std::uint8_t pick = data[0];
  flags.intersection = pick & 1;
  flags.complement = pick & 2;
  flags.empty = pick & 4;
  flags.any_string = pick & 8;
  flags.interval = pick & 16;
  flags.automaton = pick & 32;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t newline = rest.find('\n');
  const std::string_view pattern = rest.substr(0, newline);
  if (pattern.size() > 200) return 0;  // the service refuses longer than 1000; keep runs fast
  auto re = bh::search::LuceneRegexp::compile(pattern, flags);
  if (!re) {
    if (re.error().message().empty()) __builtin_trap();
    return 0;
  }
  if (re->state_count() == 0 || re->state_count() > bh::search::kMaxDeterminizedStates + 1000000) __builtin_trap();
  rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view text = rest.substr(0, end);
    // Every match starts with the literal prefix used to narrow the dictionary.
    if (re->matches(text) && text.substr(0, re->literal_prefix().size()) != re->literal_prefix()) __builtin_trap();
    if (end == std::string_view::npos) break;
    rest = rest.substr(end + 1);
  }
  return 0;
}
