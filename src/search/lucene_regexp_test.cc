// Lucene RegExp semantics, case by case. Each expectation follows from Lucene 7's RegExp grammar
// (org.apache.lucene.util.automaton.RegExp: parseUnionExp ... parseSimpleExp, makeDecimalInterval)
// as Elasticsearch 6 runs it; where RE2 or PCRE would answer differently the comment says so.
#include "search/lucene_regexp.h"

#include <gtest/gtest.h>

namespace bh::search {
namespace {

struct MatchCase {
  const char* pattern;
  const char* text;
  bool matches;
  const char* why;
};

const MatchCase kMatchCases[] = {
    {"ab", "ab", true, "literal"},
    {"ab", "abc", false, "anchored at the end"},
    {"ab", "xab", false, "anchored at the start"},
    {"a+?", "", true, "'+?' is (a+)? in Lucene, a lazy a+ in RE2"},
    {"a+?", "aa", true, "(a+)?"},
    {"([a-zA-Z]+ )+?[fF][iI][rR].*", "firefox", true, "SearchKit's autosuggest include: the prefix group is optional"},
    {"([a-zA-Z]+ )+?[fF][iI][rR].*", "Firefox Nightly", true, "case handled by the classes"},
    {"([a-zA-Z]+ )+?[fF][iI][rR].*", "mozilla firefox", true, "one optional word before"},
    {"([a-zA-Z]+ )+?[fF][iI][rR].*", "xfirefox", false, "the word needs its space"},
    {"+*", "", true, "a leading '+' is a literal, then repeated"},
    {"+*", "+++", true, "literal '+' repeated"},
    {"\"a.b\"", "a.b", true, "quotes make a literal"},
    {"\"a.b\"", "axb", false, "the dot in quotes is no wildcard"},
    {"(?i)abc", "?iabc", true, "'(?i)' is a group holding the literal \"?i\""},
    {"(?i)abc", "ABC", false, "no inline flags in Lucene"},
    {"(?i)abc", "abc", false, "no inline flags in Lucene"},
    {"@", "", true, "any string"},
    {"@", "anything at all", true, "any string"},
    {"fire@", "firefox", true, "any string after a prefix"},
    {"#", "", false, "the empty language"},
    {"a|#", "a", true, "the empty language in a union"},
    {"~(foo)", "foo", false, "complement"},
    {"~(foo)", "fooo", true, "complement"},
    {"~(foo)", "", true, "complement holds the empty string"},
    {"~(a.*)", "bcd", true, "complement of a prefix"},
    {"~(a.*)", "abc", false, "complement of a prefix"},
    {"a~b", "ac", true, "a then anything but b"},
    {"a~b", "a", true, "~b holds the empty string"},
    {"a~b", "ab", false, "a then b is excluded"},
    {"a.*&.*b", "axxb", true, "intersection"},
    {"a.*&.*b", "ba", false, "intersection"},
    {"[^a-c]", "d", true, "negated class"},
    {"[^a-c]", "b", false, "negated class"},
    {"[^a-c]", "\xC3\xA9", true, "negated class holds non-ASCII code points"},
    {".", "\xC3\xA9", true, "'.' is one code point"},
    {"..", "\xC3\xA9", false, "'.' is one code point, not one byte"},
    {"[]a]", "]", true, "']' first in a class is a literal"},
    {"[]a]", "a", true, "']' first in a class is a literal"},
    {"a||b", "|b", true, "after '|', a '|' is a literal"},
    {"a||b", "b", false, "after '|', a '|' is a literal"},
    {"|a", "|a", true, "a leading '|' is a literal"},
    {"()", "", true, "empty group"},
    {"a()b", "ab", true, "empty group"},
    {"a\\*", "a*", true, "escaped star"},
    {"a\\*", "aa", false, "escaped star"},
    {"a{2,3}", "a", false, "bounded repeat"},
    {"a{2,3}", "aaa", true, "bounded repeat"},
    {"a{2,3}", "aaaa", false, "bounded repeat"},
    {"a{2,}", "aaaaa", true, "open repeat"},
    {"a{3}", "aaa", true, "exact repeat"},
    {"a{3,2}", "aa", false, "min > max is the empty language"},
    {"(a|ab)(c|bcd)(d*)", "abcd", true, "union and concatenation"},
    {"<1-10>", "1", true, "interval, variable width"},
    {"<1-10>", "010", true, "leading zeros are allowed"},
    {"<1-10>", "11", false, "interval"},
    {"<1-10>", "0", false, "interval"},
    {"<1-10>", "", false, "interval"},
    {"<01-10>", "01", true, "equal widths fix the width"},
    {"<01-10>", "1", false, "equal widths fix the width"},
    {"<01-10>", "10", true, "equal widths fix the width"},
    {"<5-100>", "99", true, "interval over lengths"},
    {"<5-100>", "0100", true, "interval over lengths"},
    {"<5-100>", "101", false, "interval over lengths"},
    {"<100-5>", "50", true, "bounds are swapped"},
    {"<0-0>", "000", false, "equal widths (one digit) fix the width"},
    {"<0-10>", "000", true, "zero with leading zeros"},
    {"68\\.0b[0-9]+", "68.0b7", true, "a Buildhub version pattern"},
    {"68\\.0b[0-9]+", "68.0", false, "a Buildhub version pattern"},
    {"(a+)+b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, "no backtracking blow-up"},
};

TEST(LuceneRegexp, MatchesAsLuceneDoes) {
  for (const MatchCase& c : kMatchCases) {
    auto re = LuceneRegexp::compile(c.pattern);
    ASSERT_TRUE(re) << c.pattern << ": " << re.error().message();
    EXPECT_EQ(re->matches(c.text), c.matches) << "/" << c.pattern << "/ on \"" << c.text << "\": " << c.why;
  }
}

TEST(LuceneRegexp, OperatorsOffAreLiterals) {
  LuceneRegexpFlags none{false, false, false, false, false, false};
  for (const char* literal : {"a~b", "a&b", "a#", "a@", "<1-2>"}) {
    auto re = LuceneRegexp::compile(literal, none);
    ASSERT_TRUE(re) << literal;
    EXPECT_TRUE(re->matches(literal)) << literal;
  }
  auto flags = parse_lucene_regexp_flags("complement|intersection");
  ASSERT_TRUE(flags);
  EXPECT_TRUE(flags->complement && flags->intersection && !flags->any_string && !flags->empty);
  auto re = LuceneRegexp::compile("a@", *flags);
  ASSERT_TRUE(re);
  EXPECT_TRUE(re->matches("a@"));
  EXPECT_FALSE(re->matches("ab"));
  EXPECT_FALSE(parse_lucene_regexp_flags("BOGUS"));
}

TEST(LuceneRegexp, RefusesWhatLuceneRefuses) {
  struct Refused {
    const char* pattern;
    const char* message;
  };
  const Refused refused[] = {
      {"(ab", "expected ')' at position 3"},
      {"a)", "end-of-string expected at position 1"},
      {"[abc", "expected ']' at position 4"},
      {"ab\\", "unexpected end-of-string"},
      {"a|", "unexpected end-of-string"},
      {"a{2", "expected '}' at position 3"},
      {"a{,3}", "integer expected at position 2"},
      {"[z-a]", "invalid range"},
      {"\"abc", "expected '\"'"},
      {"<foo>", "'foo' not found"},
      {"<1-x>", "interval syntax error"},
      {"a{0,20000}", "larger than"},
      {".*a.{20}", "more than 10000 states"},
  };
  for (const Refused& r : refused) {
    auto re = LuceneRegexp::compile(r.pattern);
    ASSERT_FALSE(re) << r.pattern;
    EXPECT_NE(re.error().message().find(r.message), std::string::npos) << r.pattern << ": " << re.error().message();
  }
}

// Found by fuzz_lucene_regexp: bytes that are not UTF-8 must round-trip, so that a match always
// starts with the literal prefix (a lone 0xA9 byte once decoded to U+00A9, whose UTF-8 is C2 A9).
TEST(LuceneRegexp, InvalidUtf8RoundTripsAndKeepsThePrefix) {
  const std::string raw("\x00\xa9x", 3);
  EXPECT_EQ(code_points_utf8(utf8_code_points(raw)), raw);
  for (const std::string& bad : {std::string("\xc0\x80"), std::string("\xed\xa0\x80"), std::string("\xf5\x80\x80\x80"),
                                std::string("\xe2\x82")}) {
    EXPECT_EQ(code_points_utf8(utf8_code_points(bad)), bad);
  }
  auto re = LuceneRegexp::compile(std::string("\xa9.*", 3));
  ASSERT_TRUE(re);
  EXPECT_EQ(re->literal_prefix(), "\xa9");
  EXPECT_TRUE(re->matches(std::string("\xa9" "abc")));
  EXPECT_FALSE(re->matches(std::string("\xc2\xa9" "abc")));  // U+00A9 itself is a different character
}

TEST(LuceneRegexp, LiteralPrefixNarrowsTheDictionary) {
  const std::pair<const char*, const char*> cases[] = {
      {"firefox.*", "firefox"}, {"fire(fox|bird)", "fire"}, {"a|b", ""}, {"ab?", "a"},
      {"ab*c", "a"}, {"\"x.y\"z+", "x.yz"}, {"@", ""}, {"[fF]irefox", ""},
  };
  for (const auto& [pattern, prefix] : cases) {
    auto re = LuceneRegexp::compile(pattern);
    ASSERT_TRUE(re) << pattern;
    EXPECT_EQ(re->literal_prefix(), prefix) << pattern;
  }
}

}  // namespace
}  // namespace bh::search
