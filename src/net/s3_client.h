// An S3 client for what buildhub reads from a bucket: ListObjectsV2 pages and objects.
//
// Bucket URLs, in every form users have:
//   s3://bucket/prefix                                   AWS, region from AWS_REGION /
//                                                        AWS_DEFAULT_REGION (else us-east-1)
//   https://s3-us-east-1.amazonaws.com/bucket/prefix     Buildhub2's S3_BUCKET_URL form (path-style)
//   https://s3.us-west-2.amazonaws.com/bucket            path-style
//   https://bucket.s3.us-west-2.amazonaws.com/prefix     virtual-hosted
//   http://127.0.0.1:4568/bucket/prefix                  any other host: an S3-compatible store,
//                                                        path-style
// and an endpoint override (--endpoint-url) that sends an s3:// bucket to an S3-compatible store.
// AWS buckets are addressed virtual-hosted when their name allows (no dots), path-style otherwise.
//
// Requests are signed with SigV4 (x-amz-content-sha256 included, which S3-compatible servers
// require) when credentials are given, and unsigned for public buckets otherwise. Errors: a
// missing key or bucket is kNotFound; 403 is kUnavailable naming S3's error code (the operator
// must fix credentials or policy); other failures after the HTTP client's retries are kUnavailable
// with S3's <Code> and <Message> when it sent them; a malformed answer is kUnavailable too (the
// server is broken, not the caller).
//
// Ownership: borrows the HttpClient and clock. Thread safety: safe for concurrent use.
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "net/aws_sigv4.h"
#include "net/http_client.h"
#include "net/s3_xml.h"

namespace bh::net {

struct S3Location {
  std::string endpoint;  // scheme://host[:port] the requests go to (with the bucket in the host
                         // when virtual-hosted)
  std::string bucket;
  std::string prefix;    // keys listed start with this ("" for the whole bucket)
  std::string region;
  bool path_style = true;

  // "s3://bucket/prefix", for logs and origins.
  std::string describe() const;
};

struct S3UrlDefaults {
  std::string region = "us-east-1";
  std::string endpoint_override;  // "http://127.0.0.1:4568": path-style there, whatever the URL says
};

// Reads AWS_REGION, then AWS_DEFAULT_REGION.
S3UrlDefaults s3_defaults_from_environment(std::string endpoint_override = "");

Result<S3Location> parse_bucket_url(std::string_view url, const S3UrlDefaults& defaults);

struct ListRequest {
  std::string prefix;
  std::string continuation_token;
  std::string start_after;
  std::string delimiter;  // "/": keys past it are rolled up into common_prefixes
  unsigned max_keys = 1000;
};

struct S3ObjectBytes {
  std::string body;
  std::string etag;  // quotes stripped
};

class S3Client {
 public:
  S3Client(HttpClient& http, S3Location location, std::optional<AwsCredentials> credentials,
           const Clock& clock = system_clock());

  const S3Location& location() const { return location_; }

  Result<S3ListPage> list_page(const ListRequest& request, std::stop_token stop = {}) const;
  // The object's bytes, refused (kTooLarge) beyond `max_bytes`.
  Result<S3ObjectBytes> get_object(std::string_view key, std::size_t max_bytes, std::stop_token stop = {}) const;

 private:
  HttpCall signed_call(std::string method, std::string path, HeaderList query) const;
  Status error_of(const HttpCall& call, const HttpReply& reply, std::string_view what) const;

  HttpClient& http_;
  S3Location location_;
  std::optional<AwsCredentials> credentials_;
  const Clock& clock_;
};

}  // namespace bh::net
