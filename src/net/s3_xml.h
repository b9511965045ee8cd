// Parsers of what S3 (and S3-compatible servers) answer: the ListObjectsV2 result and the error
// document. Pure functions over untrusted bytes (pugixml, bounded by the input's size; no DTDs
// or entities are expanded beyond XML's five), each fuzzed (fuzz/fuzz_s3_xml.cc).
//
// Thread safety: pure. Failure: kInvalidArgument naming what is wrong ("not a ListBucketResult").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bh::net {

struct S3Object {
  std::string key;
  std::string etag;  // quotes stripped
  std::uint64_t size = 0;
  std::string last_modified;
};

struct S3ListPage {
  std::vector<S3Object> objects;
  bool truncated = false;
  std::string next_continuation_token;  // set when truncated
  std::uint64_t key_count = 0;          // as the server reported (objects.size() when absent)
  // With a delimiter: the keys' prefixes up to and including the delimiter ("a/b/"), decoded.
  std::vector<std::string> common_prefixes;
};

// A ListObjectsV2 answer. Keys of an answer with <EncodingType>url</EncodingType> are decoded
// (as botocore decodes them: %XX and '+' for a space).
Result<S3ListPage> parse_list_objects_v2(std::string_view xml);

struct S3Error {
  std::string code;     // "NoSuchKey", "SlowDown", "AccessDenied"
  std::string message;
};

// An <Error> document; nullopt when the bytes are not one (an empty body, HTML from a proxy).
std::optional<S3Error> parse_s3_error(std::string_view xml);

// "\"abc\"" -> "abc"; W/ prefixes of weak ETags are kept (S3 never sends them).
std::string strip_etag_quotes(std::string_view etag);

// %XX and '+' decoded; a malformed escape is kept as it is.
std::string url_decode_plus(std::string_view text);

}  // namespace bh::net
