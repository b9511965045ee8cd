#include "net/s3_xml.h"

#include <gtest/gtest.h>

namespace bh::net {
namespace {

// s3rver answers compactly on one line; fauxqs pretty-prints: both shapes are parsed.
TEST(S3Xml, ParsesACompactTruncatedPage) {
  const std::string xml =
      R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<IsTruncated>true</IsTruncated><Contents><Key>pub/a.buildhub.json</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>)"
      R"(<ETag>&quot;0123abcd&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>)"
      R"(<Contents><Key>pub/b.txt</Key><ETag>"ff"</ETag><Size>0</Size></Contents><Name>bucket</Name><Prefix></Prefix>)"
      R"(<MaxKeys>2</MaxKeys><KeyCount>2</KeyCount><NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>)";
  auto page = parse_list_objects_v2(xml);
  ASSERT_TRUE(page) << page.error().to_string();
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "tok+/=");
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "pub/a.buildhub.json");
  EXPECT_EQ(page->objects[0].etag, "0123abcd");
  EXPECT_EQ(page->objects[0].size, 1234u);
  EXPECT_EQ(page->objects[0].last_modified, "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(page->objects[1].etag, "ff");
  EXPECT_EQ(page->key_count, 2u);
}

TEST(S3Xml, ParsesAPrettyPrintedLastPageWithUrlEncodedKeys) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <EncodingType>url</EncodingType>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>pub/firefox+nightly/a%2Bb%20c.buildhub.json</Key>
    <ETag>"e1"</ETag>
    <Size>10</Size>
  </Contents>
</ListBucketResult>
)";
  auto page = parse_list_objects_v2(xml);
  ASSERT_TRUE(page) << page.error().to_string();
  EXPECT_FALSE(page->truncated);
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "pub/firefox nightly/a+b c.buildhub.json");
}

TEST(S3Xml, AnEmptyBucketIsAnEmptyPage) {
  auto page = parse_list_objects_v2(
      R"(<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>)");
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->objects.empty());
}

TEST(S3Xml, CommonPrefixesOfADelimitedListingAreDecoded) {
  auto page = parse_list_objects_v2(
      R"(<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>)"
      R"(<Contents><Key>inv/manifest.json</Key><Size>3</Size></Contents>)"
      R"(<CommonPrefixes><Prefix>inv/2017-08-01T00-11Z/</Prefix></CommonPrefixes>)"
      R"(<CommonPrefixes><Prefix>inv/a%2Bb+c/</Prefix></CommonPrefixes></ListBucketResult>)");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"inv/2017-08-01T00-11Z/", "inv/a+b c/"}));
  EXPECT_FALSE(parse_list_objects_v2(
      R"(<ListBucketResult><IsTruncated>false</IsTruncated><CommonPrefixes></CommonPrefixes></ListBucketResult>)"));
}

TEST(S3Xml, BadListingsAreRefusedWithAReason) {
  struct Case {
    const char* xml;
    const char* says;
  } cases[] = {
      {"", "not well-formed"},
      {"<ListBucketResult><Contents><Key>a</Key>", "not well-formed"},
      {"<Error><Code>NoSuchBucket</Code></Error>", "root element is <Error>"},
      {"<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>", "IsTruncated"},
      {"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", "NextContinuationToken"},
      {"<ListBucketResult><Contents><ETag>x</ETag></Contents></ListBucketResult>", "without a <Key>"},
      {"<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>", "not a number"},
      {"<ListBucketResult><Contents><Key>a</Key><Size>99999999999999999999999</Size></Contents></ListBucketResult>",
       "not a number"},
      {"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><ListBucketResult><Contents><Key>&e;</Key>"
       "</Contents></ListBucketResult>",
       ""},
  };
  for (const Case& c : cases) {
    auto page = parse_list_objects_v2(c.xml);
    if (std::string_view(c.says).empty()) {
      // An external entity is never fetched: either refused or left unexpanded.
      if (page) {
        ASSERT_EQ(page->objects.size(), 1u);
        EXPECT_EQ(page->objects[0].key.find("root:"), std::string::npos);
      }
      continue;
    }
    ASSERT_FALSE(page) << c.xml;
    EXPECT_EQ(page.error().code(), Code::kInvalidArgument);
    EXPECT_NE(page.error().message().find(c.says), std::string::npos) << c.xml << " -> " << page.error().message();
  }
}

TEST(S3Xml, ErrorDocuments) {
  auto e = parse_s3_error(
      R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>)");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "SlowDown");
  EXPECT_EQ(e->message, "Please reduce your request rate.");
  EXPECT_FALSE(parse_s3_error(""));
  EXPECT_FALSE(parse_s3_error("<html>502 Bad Gateway</html>"));
  EXPECT_FALSE(parse_s3_error("<Error><Code>x"));
}

TEST(S3Xml, EtagQuotesAndUrlDecoding) {
  EXPECT_EQ(strip_etag_quotes("\"abc\""), "abc");
  EXPECT_EQ(strip_etag_quotes("abc"), "abc");
  EXPECT_EQ(strip_etag_quotes("\"\""), "");
  EXPECT_EQ(url_decode_plus("a+b%20c%2f%zz%4"), "a b c/%zz%4");
  EXPECT_EQ(url_decode_plus("%"), "%");
}

}  // namespace
}  // namespace bh::net
