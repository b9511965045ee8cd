// AWS Signature Version 4 (the request signing every AWS API uses, S3 and SQS included), written
// with OpenSSL's HMAC-SHA256 and SHA-256. Pure: no I/O, no clock (the caller passes the time).
//
// The canonical request follows AWS's rules: the path exactly as sent (S3 keys are encoded once,
// with "/" kept), query parameters encoded and sorted by name then value, header names lower-cased
// and values trimmed with inner runs of spaces collapsed, sorted, then the payload's SHA-256 (or
// "UNSIGNED-PAYLOAD"). Checked against AWS's published examples and signatures made by botocore
// (src/net/aws_sigv4_test.cc, tests/integration/test_sync.py).
//
// Thread safety: pure functions. Failure: none (any bytes can be signed).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bh::net {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only; sent as x-amz-security-token
};

// The usual AWS environment variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, when set,
// AWS_SESSION_TOKEN. nullopt when either of the first two is unset or empty (requests then go
// unsigned, as for a public bucket). `getenv` is injectable for tests.
std::optional<AwsCredentials> credentials_from_environment(
    const std::function<const char*(const char*)>& getenv = [](const char* name) { return std::getenv(name); });

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SigningRequest {
  std::string_view method;         // "GET"
  std::string_view host;           // as in the Host header: "bucket.s3.amazonaws.com", "127.0.0.1:4568"
  std::string_view canonical_uri;  // the path as sent, already percent-encoded: "/bucket/a%20b.json"
  HeaderList query;                // decoded names and values; encoded and sorted here
  HeaderList headers;              // headers to sign besides host and x-amz-date (e.g. x-amz-content-sha256)
  std::string_view payload_sha256; // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
  std::string_view region;         // "us-east-1"
  std::string_view service;        // "s3", "sqs"
  std::chrono::system_clock::time_point time;
};

struct SignedRequest {
  HeaderList headers_to_add;       // x-amz-date, x-amz-security-token (if any), authorization
  std::string canonical_request;   // for tests and debugging
  std::string string_to_sign;
  std::string signature;           // hex
};

SignedRequest sign_v4(const SigningRequest& request, const AwsCredentials& credentials);

// RFC 3986 percent-encoding as AWS wants it: unreserved characters (A-Z a-z 0-9 - . _ ~) kept,
// every other byte as %XX (upper-case hex); "/" kept unless `encode_slash`.
std::string aws_uri_encode(std::string_view text, bool encode_slash);

// "20150830T123600Z" and "20150830".
std::string amz_date_time(std::chrono::system_clock::time_point time);

}  // namespace bh::net
