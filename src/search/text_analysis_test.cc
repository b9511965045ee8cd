#include "search/text_analysis.h"

#include <gtest/gtest.h>

namespace bh::search {
namespace {

TEST(StandardTokens, SplitsToolStringsLikeTheStandardAnalyzer) {
  EXPECT_EQ(standard_tokens("x86_64-pc-linux-gnu"), (std::vector<std::string>{"x86_64", "pc", "linux", "gnu"}));
  EXPECT_EQ(standard_tokens("/builds/worker/clang -std=gnu99"),
            (std::vector<std::string>{"builds", "worker", "clang", "std", "gnu99"}));
  EXPECT_EQ(standard_tokens("VS2017_15.8.4 Firefox."), (std::vector<std::string>{"vs2017_15.8.4", "firefox"}));
  EXPECT_TRUE(standard_tokens(" -- ").empty());
}

TEST(Wildcard, MatchesLuceneSyntax) {
  EXPECT_TRUE(wildcard_match("fire*", "firefox"));
  EXPECT_TRUE(wildcard_match("*fox", "firefox"));
  EXPECT_TRUE(wildcard_match("f?r*f?x", "firefox"));
  EXPECT_FALSE(wildcard_match("fire", "firefox"));
  EXPECT_FALSE(wildcard_match("f?x", "firefox"));
  EXPECT_TRUE(wildcard_match("a\\*b", "a*b"));
  EXPECT_FALSE(wildcard_match("a\\*b", "axb"));
  EXPECT_TRUE(wildcard_match("*", ""));
  EXPECT_TRUE(wildcard_match("?", "\xc3\xa9"));  // one character, two bytes
  EXPECT_EQ(wildcard_literal_prefix("68.0b*"), "68.0b");
  EXPECT_EQ(wildcard_literal_prefix("a\\*b?c"), "a*b");
  EXPECT_TRUE(has_wildcard("a?"));
  EXPECT_FALSE(has_wildcard("a\\?"));
}

TEST(Regexp, IsAnchoredAndLinear) {
  auto re = CompiledRegexp::compile("68\\.0b[0-9]+", "");
  ASSERT_TRUE(re) << re.error().message();
  EXPECT_TRUE((*re)->full_match("68.0b12"));
  EXPECT_FALSE((*re)->full_match("x68.0b12"));
  EXPECT_FALSE((*re)->full_match("68.0b"));
  EXPECT_EQ((*re)->literal_prefix(), "68.0b");

  auto any = CompiledRegexp::compile("fire@", "");
  ASSERT_TRUE(any);
  EXPECT_TRUE((*any)->full_match("firefox"));
  EXPECT_EQ((*any)->literal_prefix(), "fire");

  auto quoted = CompiledRegexp::compile("\"a.b\"c?", "");
  ASSERT_TRUE(quoted);
  EXPECT_TRUE((*quoted)->full_match("a.b"));
  EXPECT_FALSE((*quoted)->full_match("axb"));
  EXPECT_EQ((*quoted)->literal_prefix(), "a.b");

  auto dollar = CompiledRegexp::compile("a$", "");
  ASSERT_TRUE(dollar);
  EXPECT_TRUE((*dollar)->full_match("a$"));

  auto catastrophic = CompiledRegexp::compile("(a+)+b", "");
  ASSERT_TRUE(catastrophic);
  EXPECT_FALSE((*catastrophic)->full_match(std::string(100000, 'a')));
}

TEST(Regexp, RefusesWhatItCannotRun) {
  EXPECT_FALSE(CompiledRegexp::compile("<name>", ""));  // no named automata
  EXPECT_TRUE(CompiledRegexp::compile("<name>", "NONE"));
  EXPECT_FALSE(CompiledRegexp::compile("[abc", ""));
  EXPECT_FALSE(CompiledRegexp::compile("(ab", ""));
  EXPECT_FALSE(CompiledRegexp::compile("ab\\", ""));
  EXPECT_FALSE(CompiledRegexp::compile(std::string(2000, 'a'), ""));
  EXPECT_FALSE(CompiledRegexp::compile("a", "BOGUS"));
}

}  // namespace
}  // namespace bh::search
