#include "record/build_record.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace bh {
namespace {

class BuildRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = SchemaValidator::create_builtin();
    ASSERT_TRUE(v);
    validator_ = *v;
    parser_ = std::make_unique<RecordParser>(*validator_, RecordLimits{});
  }
  std::string fixture(const std::string& name) {
    return bh::testing::read_text(bh::testing::shared_dir() / "fixtures/buildhub2" / name);
  }
  std::shared_ptr<const SchemaValidator> validator_;
  std::unique_ptr<RecordParser> parser_;
};

TEST_F(BuildRecordTest, HashMatchesBuildhub2Vectors) {
  const auto vectors = nlohmann::json::parse(fixture("build-hash-test-vectors.json"))["vectors"];
  int checked = 0;
  for (const auto& v : vectors) {
    const std::string file = v["file"];
    if (file.find(' ') != std::string::npos) continue;  // the derived beta copy, checked below
    auto r = parser_->prepare(fixture(file));
    ASSERT_TRUE(r) << file << ": " << r.error().to_string();
    EXPECT_EQ(r->build_hash, v["build_hash"].get<std::string>()) << file;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
  // The beta copy Buildhub2's SQS daemon inserts for firefox release builds.
  auto doc = nlohmann::json::parse(fixture("valid-buildhub-release-channel.json"));
  doc["target"]["channel"] = "beta";
  auto r = parser_->prepare(doc.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->build_hash, "v1:05d126393410706e52b4af23712038d5");
}

TEST_F(BuildRecordTest, HashIgnoresWhitespaceAndKeyOrderButKeepsRawText) {
  const std::string a = fixture("valid-buildhub.json");
  auto compact = nlohmann::json::parse(a).dump();
  auto ra = parser_->prepare(a);
  auto rb = parser_->prepare(compact);
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->build_hash, rb->build_hash);
  EXPECT_EQ(ra->raw, a);
  EXPECT_EQ(rb->raw, compact);
}

TEST_F(BuildRecordTest, AnyChangeIsANewIdentity) {
  auto doc = nlohmann::json::parse(fixture("valid-buildhub.json"));
  auto r1 = parser_->prepare(doc.dump());
  doc["download"]["size"] = doc["download"]["size"].get<std::int64_t>() + 1;
  auto r2 = parser_->prepare(doc.dump());
  ASSERT_TRUE(r1 && r2);
  EXPECT_NE(r1->build_hash, r2->build_hash);
}

struct BadInput {
  std::string name;
  std::string bytes;
  Code code;
  std::string message_part;
};

TEST_F(BuildRecordTest, BadInputGetsAClearError) {
  const std::string valid = fixture("valid-buildhub.json");
  std::string ten_mb = valid;
  ten_mb.insert(ten_mb.find("\"url\""), "\"pad\": \"" + std::string(10 << 20, 'x') + "\", ");
  const std::vector<BadInput> cases = {
      {"empty", "", Code::kInvalidArgument, "invalid JSON at byte"},
      {"truncated", valid.substr(0, valid.size() / 2), Code::kInvalidArgument, "invalid JSON at byte"},
      {"array", "[1, 2]", Code::kInvalidArgument, "expected a JSON object, got an array"},
      {"string", "\"buildhub\"", Code::kInvalidArgument, "expected a JSON object, got a string"},
      {"number", "42", Code::kInvalidArgument, "expected a JSON object, got a number"},
      {"ten megabytes", ten_mb, Code::kTooLarge, "larger than the limit"},
      {"invalid utf-8", "{\"build\": \"\xff\xfe\"}", Code::kInvalidArgument, "invalid UTF-8 in JSON at byte 11"},
      {"overlong utf-8", "{\"a\": \"\xc0\xaf\"}", Code::kInvalidArgument, "invalid UTF-8"},
      {"deep nesting", std::string(100, '[') + std::string(100, ']'), Code::kInvalidArgument, "nesting deeper"},
      {"trailing garbage", valid + " {}", Code::kInvalidArgument, "invalid JSON"},
      {"duplicate key", R"({"build": {}, "build": {}})", Code::kInvalidArgument, "duplicate key \"build\""},
      {"nul byte", std::string("{\"a\":\0}", 7), Code::kInvalidArgument, "invalid JSON"},
  };
  for (const auto& c : cases) {
    auto r = parser_->prepare(c.bytes);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code(), c.code) << c.name << ": " << r.error().to_string();
    EXPECT_NE(r.error().message().find(c.message_part), std::string::npos) << c.name << ": " << r.error().message();
  }
}

TEST_F(BuildRecordTest, DuplicateKeysInAValidShapeAreRefused) {
  std::string doc = fixture("valid-buildhub.json");
  doc.insert(doc.find("\"channel\""), "\"channel\": \"beta\", ");
  auto r = parser_->prepare(doc);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("duplicate key \"channel\""), std::string::npos) << r.error().message();
}

TEST_F(BuildRecordTest, ParserIsReusableAfterErrors) {
  EXPECT_FALSE(parser_->prepare("{"));
  EXPECT_TRUE(parser_->prepare(fixture("valid-buildhub.json")));
}

}  // namespace
}  // namespace bh
