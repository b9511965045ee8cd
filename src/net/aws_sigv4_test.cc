#include "net/aws_sigv4.h"

#include <map>

#include <gtest/gtest.h>

#include "core/digest.h"

namespace bh::net {
namespace {

using std::chrono::system_clock;

system_clock::time_point at(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return system_clock::from_time_t(timegm(&tm));
}

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string header(const SignedRequest& s, const std::string& name) {
  for (const auto& [k, v] : s.headers_to_add) {
    if (k == name) return v;
  }
  return "";
}

// Amazon S3 API reference, "Signature Calculations for the Authorization Header", GET Object.
TEST(AwsSigV4, S3GetObjectExampleFromTheS3Documentation) {
  const AwsCredentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  SigningRequest r;
  r.method = "GET";
  r.host = "examplebucket.s3.amazonaws.com";
  r.canonical_uri = "/test.txt";
  r.headers = {{"Range", "bytes=0-9"}, {"x-amz-content-sha256", kEmptySha256}};
  r.payload_sha256 = kEmptySha256;
  r.region = "us-east-1";
  r.service = "s3";
  r.time = at(2013, 5, 24);
  const SignedRequest s = sign_v4(r, creds);
  EXPECT_EQ(sha256_hex(s.canonical_request), "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header(s, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header(s, "x-amz-date"), "20130524T000000Z");
}

// The same page's GET Bucket (List Objects) example: query parameters sorted and encoded.
TEST(AwsSigV4, S3ListObjectsExampleSortsTheQuery) {
  const AwsCredentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  SigningRequest r;
  r.method = "GET";
  r.host = "examplebucket.s3.amazonaws.com";
  r.canonical_uri = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};
  r.headers = {{"x-amz-content-sha256", kEmptySha256}};
  r.payload_sha256 = kEmptySha256;
  r.region = "us-east-1";
  r.service = "s3";
  r.time = at(2013, 5, 24);
  const SignedRequest s = sign_v4(r, creds);
  EXPECT_NE(s.canonical_request.find("\nmax-keys=2&prefix=J\n"), std::string::npos) << s.canonical_request;
  EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// AWS's Signature Version 4 test suite, get-vanilla.
TEST(AwsSigV4, TestSuiteGetVanilla) {
  const AwsCredentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  SigningRequest r;
  r.method = "GET";
  r.host = "example.amazonaws.com";
  r.canonical_uri = "/";
  r.payload_sha256 = kEmptySha256;
  r.region = "us-east-1";
  r.service = "service";
  r.time = at(2015, 8, 30, 12, 36);
  const SignedRequest s = sign_v4(r, creds);
  EXPECT_EQ(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + kEmptySha256);
}

TEST(AwsSigV4, SessionTokenIsSignedAndSent) {
  const AwsCredentials creds{"AKID", "secret", "token/with+chars"};
  SigningRequest r;
  r.method = "POST";
  r.host = "sqs.us-west-2.amazonaws.com";
  r.payload_sha256 = kEmptySha256;
  r.region = "us-west-2";
  r.service = "sqs";
  r.time = at(2020, 1, 2, 3, 4, 5);
  const SignedRequest s = sign_v4(r, creds);
  EXPECT_EQ(header(s, "x-amz-security-token"), "token/with+chars");
  EXPECT_NE(header(s, "authorization").find("SignedHeaders=host;x-amz-date;x-amz-security-token,"), std::string::npos);
  EXPECT_NE(s.canonical_request.find("x-amz-security-token:token/with+chars\n"), std::string::npos);
}

TEST(AwsSigV4, HeaderValuesAreTrimmedAndRepeatedNamesJoined) {
  const AwsCredentials creds{"AKID", "secret", ""};
  SigningRequest r;
  r.method = "GET";
  r.host = "h";
  r.canonical_uri = "/";
  r.headers = {{"X-Custom", "  a   b  "}, {"x-custom", "c"}};
  r.payload_sha256 = "UNSIGNED-PAYLOAD";
  r.region = "r";
  r.service = "s";
  r.time = at(2020, 1, 1);
  const SignedRequest s = sign_v4(r, creds);
  EXPECT_NE(s.canonical_request.find("\nx-custom:a b,c\n"), std::string::npos) << s.canonical_request;
  EXPECT_TRUE(s.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(AwsSigV4, UriEncodingKeepsUnreservedAndOptionallySlash) {
  EXPECT_EQ(aws_uri_encode("a-Z_0.~/b c+d=é", false), "a-Z_0.~/b%20c%2Bd%3D%C3%A9");
  EXPECT_EQ(aws_uri_encode("a/b", true), "a%2Fb");
  EXPECT_EQ(aws_uri_encode("", true), "");
}

TEST(AwsSigV4, CredentialsComeFromTheUsualVariables) {
  auto env = [](std::map<std::string, std::string> vars) {
    return [vars](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  };
  EXPECT_EQ(credentials_from_environment(env({})), std::nullopt);
  EXPECT_EQ(credentials_from_environment(env({{"AWS_ACCESS_KEY_ID", "id"}})), std::nullopt);
  EXPECT_EQ(credentials_from_environment(env({{"AWS_ACCESS_KEY_ID", "id"}, {"AWS_SECRET_ACCESS_KEY", ""}})),
            std::nullopt);
  auto c = credentials_from_environment(
      env({{"AWS_ACCESS_KEY_ID", "id"}, {"AWS_SECRET_ACCESS_KEY", "s"}, {"AWS_SESSION_TOKEN", "t"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "id");
  EXPECT_EQ(c->secret_access_key, "s");
  EXPECT_EQ(c->session_token, "t");
}

}  // namespace
}  // namespace bh::net
