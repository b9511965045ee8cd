// Which of the words v1's path rules look for in a URL (`'nightly' in url`, the excluded
// names, ...) occur in it, found in one pass over the URL instead of one search per word.
// The rules ask up to a dozen such questions of every build row of an inventory; asking them
// one by one was a fifth of the inventory's CPU time.
//
// Pure and thread-safe (the tables are compile-time constants).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace bh::v1 {

enum class UrlWord : std::uint8_t {
  kNightly,
  kMozillaCentral,
  kCommCentral,
  kWin,
  kCandidates,
  kFunnelcake,
  kAurora,
  kDevedition,
  kOldId,
  // Some literal that every match of is_build_url's excluded-names regex contains: without it
  // the regex cannot match and need not run; with it, the regex decides.
  kExcludedNameHint,
};

struct UrlFacts {
  std::uint32_t words = 0;
  bool has(UrlWord word) const { return (words >> static_cast<unsigned>(word) & 1U) != 0; }
};

// Exactly `url.find(word) != npos` for each word above (and for any hint literal, for the hint).
UrlFacts scan_url(std::string_view url);

// The literals that set kExcludedNameHint (for the cross-check in path_rules_test).
std::span<const std::string_view> excluded_name_hints();

}  // namespace bh::v1
