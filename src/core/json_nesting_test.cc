#include "core/json_nesting.h"

#include <string>

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(JsonNesting, CountsArraysAndObjectsOutsideStrings) {
  EXPECT_TRUE(json_nesting_within(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_FALSE(json_nesting_within(R"({"a":[1,{"b":2}]})", 2));
  EXPECT_TRUE(json_nesting_within(R"({"a":"[[[[[[\"[[["})", 1));  // brackets in strings do not count
  EXPECT_TRUE(json_nesting_within("]]]]{}", 1));                  // stray closers do not go negative
  EXPECT_FALSE(json_nesting_within(std::string(100000, '['), 64));
  EXPECT_TRUE(json_nesting_within("", 0));
}

}  // namespace
}  // namespace bh
