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

TEST(Url, ParsesListenAddresses) {
  auto a = parse_host_port("0.0.0.0:8000");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 8000);
  auto b = parse_host_port("[::1]:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  auto c = parse_host_port("9000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 9000);
  for (const char* bad : {"", "nonsense", "host:", ":80", "h:99999", "h:80x", "h:-1", "[::1]80", "[::1]", "[::1]:"}) {
    auto r = parse_host_port(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(r.error().message().find("expected"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace bh
