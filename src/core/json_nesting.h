// A cheap pre-pass over JSON text before any parser sees it: how deeply arrays and objects nest
// (outside strings). Recursive parsers (nlohmann) and DOM builders run out of stack or memory on a
// hostile "[[[[...", so every parser of outside JSON checks this first.
//
// Pure function; thread-safe. The text need not be valid JSON.
#pragma once

#include <cstddef>
#include <string_view>

namespace bh {

// True when no array/object in `bytes` nests deeper than `limit` levels. Stops at the first
// level beyond the limit.
inline bool json_nesting_within(std::string_view bytes, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace bh
