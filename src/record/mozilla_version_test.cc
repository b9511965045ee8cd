#include "record/mozilla_version.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace bh {
namespace {

int sign(int v) { return (v > 0) - (v < 0); }

TEST(MozillaVersion, OrdersLikeTheToolkit) {
  // Each list is strictly increasing.
  const std::vector<std::vector<std::string>> chains = {
      {"99.0", "100.0", "101.0"},
      {"68.0a1", "68.0b1", "68.0b7", "68.0b10", "68.0", "68.0.1", "68.0.2", "68.1"},
      {"1.0pre1", "1.0pre2", "1.0", "1.0.1"},
      {"1.1pre", "1.1pre1a", "1.1pre1", "1.1pre10a", "1.1pre10"},
      {"60.0.2esr", "60.0.2", "60.1.0esr"},
      {"61.0b4rc1", "61.0b4"},
      {"0.9", "1", "1.5", "2", "10", "*"},
      {"1.0.0.0a1", "1.0", "1.0.0.1"},
      {"1.0.0a1.5", "1.0"},
  };
  for (const auto& chain : chains) {
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
      EXPECT_LT(compare_mozilla_versions(chain[i], chain[i + 1]), 0) << chain[i] << " < " << chain[i + 1];
      EXPECT_GT(compare_mozilla_versions(chain[i + 1], chain[i]), 0) << chain[i + 1] << " > " << chain[i];
      EXPECT_LT(mozilla_version_sort_key(chain[i]), mozilla_version_sort_key(chain[i + 1]))
          << chain[i] << " < " << chain[i + 1];
    }
  }
}

TEST(MozillaVersion, EqualSpellings) {
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
           {"1.0", "1.0.0"}, {"1.0", "1"}, {"1.0+", "1.1pre"}, {"1.1pre0", "1.1pre"}, {"", "0"}, {"1..1", "1.0.1"}}) {
    EXPECT_EQ(compare_mozilla_versions(a, b), 0) << a << " == " << b;
    EXPECT_EQ(mozilla_version_sort_key(a), mozilla_version_sort_key(b)) << a << " == " << b;
  }
}

TEST(MozillaVersion, SortKeyOrderEqualsComparatorOnRandomVersions) {
  std::mt19937 rng(12345);
  const std::vector<std::string> strings = {"", "a", "b", "pre", "esr", "rc", "a\x01", "x"};
  auto random_version = [&] {
    std::string v;
    const int parts = 1 + static_cast<int>(rng() % 4);
    for (int p = 0; p < parts; ++p) {
      if (p) v += '.';
      v += std::to_string(rng() % 3 == 0 ? 0 : rng() % 12);  // many zero parts
      if (rng() % 3 == 0) {
        v += strings[rng() % strings.size()];
        if (rng() % 2) v += std::to_string(rng() % 12) + strings[rng() % strings.size()];
      }
    }
    return v;
  };
  std::vector<std::string> versions;
  for (int i = 0; i < 400; ++i) versions.push_back(random_version());
  std::vector<std::string> keys;
  for (const auto& v : versions) keys.push_back(mozilla_version_sort_key(v));
  for (std::size_t i = 0; i < versions.size(); ++i) {  // every pair
    for (std::size_t j = 0; j < versions.size(); ++j) {
      const int by_compare = sign(compare_mozilla_versions(versions[i], versions[j]));
      const int by_key = sign(keys[i].compare(keys[j]));
      ASSERT_EQ(by_compare, by_key) << "'" << versions[i] << "' vs '" << versions[j] << "'";
    }
  }
}

TEST(MozillaVersion, HostileInputIsHandled) {
  EXPECT_EQ(compare_mozilla_versions("99999999999999999999", "2147483647"), 0);  // clamped
  EXPECT_LT(compare_mozilla_versions("-5", "1"), 0);
  EXPECT_FALSE(mozilla_version_sort_key(std::string(10000, '.')).empty());
  EXPECT_FALSE(mozilla_version_sort_key(std::string("1\0x", 3)).empty());
}

}  // namespace
}  // namespace bh
