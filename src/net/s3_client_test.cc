#include "net/s3_client.h"

#include <gtest/gtest.h>

#include "net/sqs_client.h"

namespace bh::net {
namespace {

S3Location parse(const std::string& url, S3UrlDefaults d = {}) {
  auto loc = parse_bucket_url(url, d);
  EXPECT_TRUE(loc) << url << ": " << loc.error().to_string();
  return loc ? *loc : S3Location{};
}

TEST(S3BucketUrl, Buildhub2FormIsPathStyleWithTheRegionFromTheHost) {
  const S3Location loc = parse("https://s3-us-east-1.amazonaws.com/net-mozaws-prod-delivery-firefox");
  EXPECT_EQ(loc.endpoint, "https://s3-us-east-1.amazonaws.com");
  EXPECT_EQ(loc.bucket, "net-mozaws-prod-delivery-firefox");
  EXPECT_EQ(loc.prefix, "");
  EXPECT_EQ(loc.region, "us-east-1");
  EXPECT_TRUE(loc.path_style);
  const S3Location west = parse("https://s3.us-west-2.amazonaws.com/bucket/pub/firefox/", {.region = "eu-west-1", .endpoint_override = ""});
  EXPECT_EQ(west.region, "us-west-2");
  EXPECT_EQ(west.prefix, "pub/firefox/");
  EXPECT_EQ(parse("https://s3.amazonaws.com/bucket", {.region = "us-east-1", .endpoint_override = ""}).region, "us-east-1");
}

TEST(S3BucketUrl, S3SchemeUsesVirtualHostsOnAwsUnlessTheNameHasDots) {
  const S3Location loc = parse("s3://my-bucket/pub/", {.region = "us-west-2", .endpoint_override = ""});
  EXPECT_EQ(loc.endpoint, "https://my-bucket.s3.us-west-2.amazonaws.com");
  EXPECT_FALSE(loc.path_style);
  EXPECT_EQ(loc.prefix, "pub/");
  EXPECT_EQ(loc.describe(), "s3://my-bucket/pub/");
  const S3Location dotted = parse("s3://my.bucket");
  EXPECT_TRUE(dotted.path_style);
  EXPECT_EQ(dotted.endpoint, "https://s3.us-east-1.amazonaws.com");
}

TEST(S3BucketUrl, VirtualHostedHttpsForm) {
  const S3Location loc = parse("https://bucket.s3.eu-central-1.amazonaws.com/pub");
  EXPECT_EQ(loc.bucket, "bucket");
  EXPECT_EQ(loc.region, "eu-central-1");
  EXPECT_FALSE(loc.path_style);
  EXPECT_EQ(loc.prefix, "pub");
  EXPECT_EQ(loc.endpoint, "https://bucket.s3.eu-central-1.amazonaws.com");
}

TEST(S3BucketUrl, OtherHostsAndEndpointOverridesArePathStyle) {
  const S3Location local = parse("http://127.0.0.1:4568/test-bucket/some/prefix");
  EXPECT_EQ(local.endpoint, "http://127.0.0.1:4568");
  EXPECT_EQ(local.bucket, "test-bucket");
  EXPECT_EQ(local.prefix, "some/prefix");
  EXPECT_TRUE(local.path_style);
  const S3Location over = parse("s3://bucket/p", {.region = "us-east-1", .endpoint_override = "http://localhost:9000"});
  EXPECT_EQ(over.endpoint, "http://localhost:9000");
  EXPECT_TRUE(over.path_style);
  EXPECT_EQ(over.bucket, "bucket");
}

TEST(S3BucketUrl, BadUrlsAreRefusedWithAReason) {
  for (const char* bad : {"", "bucket", "ftp://host/bucket", "http://host", "http://host/", "s3://", "s3://a",
                          "http://user:pw@host/bucket", "http://host/bucket?x=1", "s3://bad bucket/x"}) {
    auto loc = parse_bucket_url(bad, {});
    EXPECT_FALSE(loc) << bad;
    if (!loc) {
      EXPECT_EQ(loc.error().code(), Code::kInvalidArgument) << bad;
    }
  }
}

TEST(SqsQueueUrl, RegionComesFromTheHost) {
  auto q = parse_queue_url("https://sqs.us-west-2.amazonaws.com/927034868273/buildhub-s3-events", "us-east-1");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->region, "us-west-2");
  EXPECT_EQ(q->endpoint, "https://sqs.us-west-2.amazonaws.com");
  auto legacy = parse_queue_url("https://eu-west-1.queue.amazonaws.com/1/q", "us-east-1");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->region, "eu-west-1");
  auto local = parse_queue_url("http://127.0.0.1:4566/000000000000/events", "us-east-1");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->region, "us-east-1");
  EXPECT_EQ(local->endpoint, "http://127.0.0.1:4566");
  EXPECT_FALSE(parse_queue_url("sqs://x/y", "r"));
  EXPECT_FALSE(parse_queue_url("http://host", "r"));
  EXPECT_FALSE(parse_queue_url("http://host/", "r"));
}

}  // namespace
}  // namespace bh::net
