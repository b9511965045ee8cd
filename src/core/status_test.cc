#include "core/status.h"

#include <gtest/gtest.h>

namespace bh {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return fail(invalid_argument("not positive"));
  return v;
}

Result<int> doubled(int v) {
  BH_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return x * 2;
}

Status check(int v) {
  BH_ASSIGN_OR_RETURN(int x, parse_positive(v));
  (void)x;
  return Status::ok();
}

Status chained(int v) {
  BH_RETURN_IF_ERROR(check(v));
  return Status::ok();
}

TEST(Status, CodesMapToHttpAndExitCodes) {
  EXPECT_EQ(http_status(Code::kInvalidArgument), 400);
  EXPECT_EQ(http_status(Code::kNotFound), 404);
  EXPECT_EQ(http_status(Code::kTooLarge), 413);
  EXPECT_EQ(http_status(Code::kUnavailable), 503);
  EXPECT_EQ(http_status(Code::kOverloaded), 429);
  EXPECT_EQ(code_name(Code::kOverloaded), "overloaded");
  EXPECT_EQ(http_status(Code::kInternal), 500);
  EXPECT_EQ(exit_code(Code::kOk), 0);
  EXPECT_EQ(exit_code(Code::kInvalidArgument), 3);
  EXPECT_NE(exit_code(Code::kIoError), 0);
  EXPECT_EQ(code_name(Code::kCorrupt), "corrupt");
}

TEST(Status, MacrosPropagateErrorsInBothKindsOfFunction) {
  EXPECT_EQ(*doubled(4), 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(check(3).is_ok());
  EXPECT_EQ(chained(0).message(), "not positive");
}

TEST(Status, ContextPrefixesMessage) {
  const Status s = io_error("disk full").with_context("writing a.json");
  EXPECT_EQ(s.message(), "writing a.json: disk full");
  EXPECT_EQ(s.to_string(), "io_error: writing a.json: disk full");
  EXPECT_TRUE(Status::ok().with_context("x").is_ok());
}

}  // namespace
}  // namespace bh
