#include "server/url.h"

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(Url, SplitsAndDecodes) {
  auto t = split_target("/api/records%2F1?q=firefox+68&size=1#top");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/records/1");
  EXPECT_EQ(t->query, "q=firefox+68&size=1");
}

TEST(Url, RejectsBadTargets) {
  EXPECT_FALSE(split_target(""));
  EXPECT_FALSE(split_target("http://example/"));
  EXPECT_FALSE(split_target("/a%2"));
  EXPECT_FALSE(split_target("/a%zz"));
  EXPECT_FALSE(split_target("/a%00b"));
}

TEST(Url, ParsesQueryStrings) {
  auto q = parse_query("a=1&b=&c&a=2&q=firefox+68%20linux&&");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 5u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"b", ""}));
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ((*q)[4], (std::pair<std::string, std::string>{"q", "firefox 68 linux"}));
  EXPECT_FALSE(parse_query("a=%"));
  EXPECT_TRUE(parse_query("")->empty());
}

}  // namespace
}  // namespace bh
