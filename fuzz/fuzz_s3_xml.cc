// What S3 and S3-compatible servers answer: ListObjectsV2 pages and <Error> documents, plus the
// bucket-URL parser (bucket URLs come from flags and environment variables).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/s3_client.h"
#include "net/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto page = bh::net::parse_list_objects_v2(text);
  if (page) {
    // Keys and ETags are pieces of the input (decoding only shrinks them).
    for (const auto& o : page->objects) {
      if (o.key.size() > size || o.etag.size() > size) __builtin_trap();
    }
    if (page->truncated && page->next_continuation_token.empty()) __builtin_trap();
  }
  auto error = bh::net::parse_s3_error(text);
  if (error && error->code.size() > size) __builtin_trap();
  if (bh::net::url_decode_plus(text).size() > size) __builtin_trap();
  auto location = bh::net::parse_bucket_url(text, {.region = "us-east-1", .endpoint_override = ""});
  if (location && (location->bucket.empty() || location->endpoint.empty())) __builtin_trap();
  return 0;
}
