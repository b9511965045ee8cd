#include "core/json_fields.h"

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(JsonFields, ParsesObjectsAndSaysWhatIsWrong) {
  EXPECT_TRUE(parse_json_object(R"({"a": 1})", 4, "the body"));
  struct Case {
    std::string text;
    std::string says;
  } cases[] = {{"", "the body is not JSON"},
               {"{", "the body is not JSON"},
               {"[1]", "the body is a JSON array, not an object"},
               {"{\"a\": \"\xff\"}", "the body is not JSON"},
               {std::string(10, '[') + std::string(10, ']'), "the body nests deeper than 4 levels"}};
  for (const Case& c : cases) {
    auto r = parse_json_object(c.text, 4, "the body");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.error().message(), c.says);
  }
}

TEST(JsonFields, FieldsAreTypeChecked) {
  const auto doc = nlohmann::json::parse(R"({"s": "x", "n": 1, "nul": null, "a": [], "o": {}})");
  EXPECT_EQ(*string_field(doc, "s", "", true), "x");
  EXPECT_EQ(*string_field(doc, "missing", "", false), "");
  EXPECT_EQ(*string_field(doc, "nul", "", false), "");
  EXPECT_EQ(string_field(doc, "missing", "Records[0]", true).error().message(), "Records[0]: \"missing\" is missing");
  EXPECT_EQ(string_field(doc, "n", "", false).error().message(), "\"n\" is a number, not a string");
  EXPECT_EQ(*array_field(doc, "missing", ""), nullptr);
  EXPECT_NE(*array_field(doc, "a", ""), nullptr);
  EXPECT_FALSE(array_field(doc, "o", "x"));
  EXPECT_NE(*object_field(doc, "o", ""), nullptr);
  EXPECT_EQ(object_field(doc, "nul", "w").error().message(), "w: \"nul\" is a null, not an object");
  EXPECT_EQ(object_field(doc, "missing", "w").error().message(), "w: \"missing\" is missing");
}

}  // namespace
}  // namespace bh
