// ASCII case folding for protocol text (header names, schemes, hosts, keywords): ASCII letters
// lower-cased, every other byte as it is, whatever the locale.
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bh {

inline std::string ascii_lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace bh
