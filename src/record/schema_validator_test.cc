#include "record/schema_validator.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace bh {
namespace {

class SchemaValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = SchemaValidator::create_builtin();
    ASSERT_TRUE(v) << v.error().to_string();
    validator_ = *v;
    base_ = nlohmann::json::parse(
        bh::testing::read_text(bh::testing::shared_dir() / "fixtures/buildhub2/valid-buildhub.json"));
  }

  std::vector<SchemaViolation> validate(const nlohmann::json& doc) {
    text_ = doc.dump();
    auto parsed = parser_.parse(text_);
    EXPECT_FALSE(parsed.error());
    return validator_->validate(parsed.value());
  }

  std::shared_ptr<const SchemaValidator> validator_;
  nlohmann::json base_;
  simdjson::dom::parser parser_;
  std::string text_;
};

TEST_F(SchemaValidatorTest, SharedSamplesAreValid) {
  for (const char* name : {"valid-buildhub.json", "valid-buildhub-release-channel.json",
                           "valid-buildhub-fennec-release-channel.json"}) {
    auto doc = nlohmann::json::parse(bh::testing::read_text(bh::testing::shared_dir() / "fixtures/buildhub2" / name));
    EXPECT_TRUE(validate(doc).empty()) << name;
  }
}

struct InvalidCase {
  const char* name;
  std::function<void(nlohmann::json&)> mutate;
  const char* expected;  // the single violation, as "pointer: message"
};

TEST_F(SchemaValidatorTest, EachBrokenRuleIsNamedWithItsPointer) {
  const std::vector<InvalidCase> cases = {
      {"missing build", [](auto& d) { d.erase("build"); }, "/build: required property is missing"},
      {"missing source", [](auto& d) { d.erase("source"); }, "/source: required property is missing"},
      {"missing download", [](auto& d) { d.erase("download"); }, "/download: required property is missing"},
      {"missing target", [](auto& d) { d.erase("target"); }, "/target: required property is missing"},
      {"extra top-level", [](auto& d) { d["extra"] = 1; }, "/extra: is not allowed here (no additional properties)"},
      {"extra in build", [](auto& d) { d["build"]["compiler"] = "gcc"; },
       "/build/compiler: is not allowed here (no additional properties)"},
      {"os not in enum", [](auto& d) { d["target"]["os"] = "beos"; },
       "/target/os: must be one of linux, win, mac, android, maemo"},
      {"platform missing", [](auto& d) { d["target"].erase("platform"); },
       "/target/platform: required property is missing"},
      {"locale missing", [](auto& d) { d["target"].erase("locale"); }, "/target/locale: required property is missing"},
      {"version missing", [](auto& d) { d["target"].erase("version"); },
       "/target/version: required property is missing"},
      {"channel missing", [](auto& d) { d["target"].erase("channel"); },
       "/target/channel: required property is missing"},
      {"product missing", [](auto& d) { d["source"].erase("product"); },
       "/source/product: required property is missing"},
      {"url missing", [](auto& d) { d["download"].erase("url"); }, "/download/url: required property is missing"},
      {"mimetype missing", [](auto& d) { d["download"].erase("mimetype"); },
       "/download/mimetype: required property is missing"},
      {"size missing", [](auto& d) { d["download"].erase("size"); }, "/download/size: required property is missing"},
      {"date missing", [](auto& d) { d["download"].erase("date"); }, "/download/date: required property is missing"},
      {"size is a string", [](auto& d) { d["download"]["size"] = "64504466"; },
       "/download/size: must be an integer, got string"},
      {"size is a float", [](auto& d) { d["download"]["size"] = 1.5; },
       "/download/size: must be an integer, got number"},
      {"build.number is a string", [](auto& d) { d["build"]["number"] = "1"; },
       "/build/number: must be an integer, got string"},
      {"build.id is a number", [](auto& d) { d["build"]["id"] = 20180510160705; },
       "/build/id: must be a string, got integer"},
      {"build is an array", [](auto& d) { d["build"] = nlohmann::json::array(); },
       "/build: must be an object, got array"},
      {"product is null", [](auto& d) { d["source"]["product"] = nullptr; },
       "/source/product: must be a string, got null"},
      {"channel is a bool", [](auto& d) { d["target"]["channel"] = true; },
       "/target/channel: must be a string, got boolean"},
      {"build.date not a date-time", [](auto& d) { d["build"]["date"] = "2018-05-10 16:07:05"; },
       "/build/date: must be an RFC 3339 date-time (e.g. 2019-10-16T16:19:57Z)"},
      {"download.date impossible day", [](auto& d) { d["download"]["date"] = "2018-02-30T18:02:17Z"; },
       "/download/date: must be an RFC 3339 date-time (e.g. 2019-10-16T16:19:57Z)"},
      {"key with slash is escaped", [](auto& d) { d["target"]["a/b"] = "x"; },
       "/target/a~1b: is not allowed here (no additional properties)"},
  };
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    nlohmann::json doc = base_;
    c.mutate(doc);
    const auto violations = validate(doc);
    ASSERT_EQ(violations.size(), 1u) << c.name << ": " << (violations.empty() ? "" : violations[0].to_string());
    EXPECT_EQ(violations[0].to_string(), c.expected) << c.name;
  }
}

TEST_F(SchemaValidatorTest, ReportsEveryViolation) {
  nlohmann::json doc = base_;
  doc["target"]["os"] = "plan9";
  doc["download"]["size"] = "big";
  doc.erase("build");
  EXPECT_EQ(validate(doc).size(), 3u);
}

TEST_F(SchemaValidatorTest, RootMustBeAnObject) {
  const auto v = validate(nlohmann::json::array());
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(v[0].to_string(), "/: must be an object, got array");
}

TEST(SchemaValidatorFactory, RejectsBrokenSchemaText) {
  EXPECT_FALSE(SchemaValidator::from_json_text("{not json"));
}

TEST(SchemaValidatorFactory, BuiltinMatchesSharedSchemaRules) {
  // The shipped schema must ask for what Buildhub2's schema.yaml asks for.
  auto v = SchemaValidator::create_builtin();
  ASSERT_TRUE(v);
  const auto& s = (*v)->schema_json();
  EXPECT_EQ(s["required"], nlohmann::json({"build", "source", "download", "target"}));
  EXPECT_EQ(s["properties"]["target"]["required"], nlohmann::json({"platform", "locale", "version", "channel"}));
  EXPECT_EQ(s["properties"]["download"]["required"], nlohmann::json({"url", "mimetype", "size", "date"}));
  EXPECT_EQ(s["properties"]["source"]["required"], nlohmann::json({"product"}));
  EXPECT_EQ(s["properties"]["build"]["properties"].size(), 9u);
  EXPECT_FALSE(s["additionalProperties"].get<bool>());
}

}  // namespace
}  // namespace bh
