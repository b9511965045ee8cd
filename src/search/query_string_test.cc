#include "search/query_string.h"

#include <string>

#include <gtest/gtest.h>

namespace bh::search {
namespace {

QueryStringOptions options(std::string q) {
  QueryStringOptions o;
  o.query = std::move(q);
  return o;
}

TEST(SimpleQueryString, NestingBeyondTheLimitEndsAndNeverFails) {
  // Found by the fuzz smoke: a '(' past the depth limit was neither parsed nor skipped.
  for (const std::string& q : {std::string(40, '(') + "firefox", std::string(40, '(') + std::string(40, ')'),
                              std::string(1000, '('), std::string("((((|+-\"")}) {
    EXPECT_TRUE(parse_simple_query_string(options(q))) << q;
  }
}

TEST(QueryString, NestingBeyondTheLimitIsAClearError) {
  auto q = parse_query_string(options(std::string(40, '(') + "firefox" + std::string(40, ')')));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code(), Code::kInvalidArgument);
  EXPECT_NE(q.error().message().find("nested parentheses"), std::string::npos) << q.error().message();
}

TEST(QueryString, SyntaxErrorsNameThePosition) {
  for (const char* q : {"(firefox", "target.version:[1 TO", "\"open phrase", "a^", "/re", "field:"}) {
    auto r = parse_query_string(options(q));
    ASSERT_FALSE(r) << q;
    EXPECT_NE(r.error().message().find("at character"), std::string::npos) << r.error().message();
  }
}

}  // namespace
}  // namespace bh::search
