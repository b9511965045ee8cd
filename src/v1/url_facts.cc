#include "v1/url_facts.h"

#include <array>
#include <cstring>

namespace bh::v1 {
namespace {

struct Literal {
  std::string_view text;
  UrlWord word;
};

// The words, then the hints (every literal is at least three bytes long: the scan looks up
// three bytes at once).
constexpr std::array<Literal, 9> kWords = {{
    {"nightly", UrlWord::kNightly},
    {"mozilla-central", UrlWord::kMozillaCentral},
    {"comm-central", UrlWord::kCommCentral},
    {"win", UrlWord::kWin},
    {"candidates", UrlWord::kCandidates},
    {"funnelcake", UrlWord::kFunnelcake},
    {"aurora", UrlWord::kAurora},
    {"devedition", UrlWord::kDevedition},
    {"old-id", UrlWord::kOldId},
}};

// The excluded-names regex's alternatives, each by a literal part of it: "/1.0rc/" has a regex
// dot, so only "0rc/" is literal; "/releases/win../" likewise; "%28.+%29" needs "%28";
// "\sInstaller\.(...)\.exe" needs "Installer.".
constexpr std::array<std::string_view, 19> kHints = {
    "tinderbox", "try-builds", "partner-repacks", "latest", "contrib", "/0.", "experimental",
    "namoroka", "debug", "sha1-installers", "candidates/archived", "stylo-bindings", "0rc/",
    "/releases/win", "dominspector", "/test/", "testing", "%28", "Installer."};

constexpr std::array<Literal, kWords.size() + kHints.size()> make_literals() {
  std::array<Literal, kWords.size() + kHints.size()> out{};
  for (std::size_t i = 0; i < kWords.size(); ++i) out[i] = kWords[i];
  for (std::size_t i = 0; i < kHints.size(); ++i) out[kWords.size() + i] = {kHints[i], UrlWord::kExcludedNameHint};
  return out;
}

constexpr auto kLiterals = make_literals();

// byte_at[k][b]: the literals whose k-th byte is b, as a bit set over kLiterals' indexes. A
// literal can start at position i only if its bit is in all three sets of bytes i, i+1, i+2.
struct ByteTables {
  std::array<std::array<std::uint32_t, 256>, 3> byte_at{};
};

constexpr ByteTables make_tables() {
  ByteTables t;
  for (std::size_t i = 0; i < kLiterals.size(); ++i) {
    for (std::size_t k = 0; k < 3; ++k) {
      t.byte_at[k][static_cast<unsigned char>(kLiterals[i].text[k])] |= std::uint32_t{1} << i;
    }
  }
  return t;
}

constexpr ByteTables kTables = make_tables();

static_assert(kLiterals.size() <= 32, "the candidate sets are 32-bit");

}  // namespace

UrlFacts scan_url(std::string_view url) {
  UrlFacts facts;
  if (url.size() < 3) return facts;
  const auto* bytes = reinterpret_cast<const unsigned char*>(url.data());
  const std::size_t last = url.size() - 3;
  for (std::size_t i = 0; i <= last; ++i) {
    std::uint32_t candidates = kTables.byte_at[0][bytes[i]] & kTables.byte_at[1][bytes[i + 1]] & kTables.byte_at[2][bytes[i + 2]];
    while (candidates != 0) {
      const unsigned index = static_cast<unsigned>(__builtin_ctz(candidates));
      candidates &= candidates - 1;
      const std::string_view text = kLiterals[index].text;
      if (text.size() <= url.size() - i && std::memcmp(url.data() + i + 3, text.data() + 3, text.size() - 3) == 0) {
        facts.words |= std::uint32_t{1} << static_cast<unsigned>(kLiterals[index].word);
      }
    }
  }
  return facts;
}

std::span<const std::string_view> excluded_name_hints() { return kHints; }

}  // namespace bh::v1
