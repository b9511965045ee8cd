#include "ingest/s3_event.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "test_support.h"

namespace bh {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(testing::shared_dir() / "fixtures/buildhub2" / name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(S3Event, SnsWrappedBodyFromBuildhub2sTests) {
  auto body = parse_s3_event_body(fixture("sqs-message-sns-wrapped.json"));
  ASSERT_TRUE(body) << body.error().to_string();
  EXPECT_TRUE(body->sns_wrapped);
  EXPECT_EQ(body->records_without_s3, 1u);
  ASSERT_EQ(body->objects.size(), 2u);
  EXPECT_EQ(body->objects[0].bucket, "buildhubses");
  EXPECT_EQ(body->objects[0].key, "some/path/to/buildhub.json");
  EXPECT_EQ(body->objects[0].etag, "e4eb6609382efd6b3bc9deec616ad5c0");
  EXPECT_TRUE(is_buildhub_json_key(body->objects[0].key));
  EXPECT_FALSE(is_buildhub_json_key(body->objects[1].key));
}

TEST(S3Event, DirectBodiesLegacyAndReal) {
  auto legacy = parse_s3_event_body(fixture("sqs-message-direct-records.json"));
  ASSERT_TRUE(legacy) << legacy.error().to_string();
  EXPECT_FALSE(legacy->sns_wrapped);
  EXPECT_EQ(legacy->objects.size(), 2u);
  auto real = parse_s3_event_body(fixture("sqs-message-real-direct-s3-event.json"));
  ASSERT_TRUE(real) << real.error().to_string();
  ASSERT_EQ(real->objects.size(), 1u);
  EXPECT_EQ(real->objects[0].event_name, "ObjectCreated:Put");
  EXPECT_TRUE(real->objects[0].is_creation());
  EXPECT_EQ(real->objects[0].size, 11u);
  EXPECT_EQ(real->objects[0].bucket, "buildhub-sqs-test");
}

TEST(S3Event, V1sArchiveEventKeepsItsTimeAndSize) {
  auto body = parse_s3_event_body(fixture("../buildhub1/s3-event-simple.json"));
  ASSERT_TRUE(body) << body.error().to_string();
  ASSERT_EQ(body->objects.size(), 2u);
  EXPECT_EQ(body->objects[0].key, "pub/firefox/releases/54.0/win64/fr/Firefox Setup 54.0.exe");
  EXPECT_EQ(body->objects[0].event_time, "2017-08-08T17:06:52.030Z");
  EXPECT_EQ(body->objects[0].size, 51001024u);
  EXPECT_FALSE(parse_s3_event_body(R"({"Records":[{"eventTime":7,"s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]})"));
}

TEST(S3Event, KeysAreUrlDecodedAndRemovalsAreNotCreations) {
  auto body = parse_s3_event_body(R"({"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},
    "object":{"key":"pub/firefox/a+b%2Bc.buildhub.json"}}}]})");
  ASSERT_TRUE(body);
  ASSERT_EQ(body->objects.size(), 1u);
  EXPECT_EQ(body->objects[0].key, "pub/firefox/a b+c.buildhub.json");
  EXPECT_FALSE(body->objects[0].is_creation());
  EXPECT_EQ(body->objects[0].etag, "");
}

TEST(S3Event, TestEventHasNoRecords) {
  auto body = parse_s3_event_body(R"({"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"})");
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->test_event);
  EXPECT_TRUE(body->objects.empty());
}

TEST(S3Event, PoisonBodiesSayWhatIsWrong) {
  struct Case {
    std::string body;
    std::string says;
  } cases[] = {
      {"", "not JSON"},
      {"hello", "not JSON"},
      {"[1]", "not an object"},
      {R"({"Message": {"Records": []}})", "not a string"},
      {R"({"Message": "not json"})", "SNS Message is not JSON"},
      {R"({"Message": "[]"})", "not an object"},
      {R"({"Records": {}})", "not an array"},
      {R"({"Records": [1]})", "Records[0] is not an object"},
      {R"({"Records": [{"s3": {"object": {"key": "k"}}}]})", "\"bucket\" is missing"},
      {R"({"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": 5}}}]})", "not a string"},
      {R"({"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": ""}}}]})", "empty"},
      {R"({"other": 1})", "not an S3 event"},
      {std::string(100, '[') + std::string(100, ']'), "nests deeper"},
      {"{\"Records\": [], \"x\": \"\xc3\x28\"}", "not JSON"},
  };
  for (const Case& c : cases) {
    auto body = parse_s3_event_body(c.body);
    ASSERT_FALSE(body) << c.body;
    EXPECT_EQ(body.error().code(), Code::kInvalidArgument);
    EXPECT_NE(body.error().message().find(c.says), std::string::npos) << c.body << " -> " << body.error().message();
  }
}

TEST(S3Event, OnlyTheFileNameDecides) {
  EXPECT_TRUE(is_buildhub_json_key("buildhub.json"));
  EXPECT_TRUE(is_buildhub_json_key("pub/firefox-65.0a1.en-US.linux-x86_64.buildhub.json"));
  EXPECT_TRUE(is_buildhub_json_key("a/firefox-99-buildhub.json"));
  EXPECT_FALSE(is_buildhub_json_key("not/a/buildhub.json/file"));
  EXPECT_FALSE(is_buildhub_json_key("buildhub.json.gz"));
  EXPECT_FALSE(is_buildhub_json_key(""));
}

}  // namespace
}  // namespace bh
