// Request headers that choose a representation of the web page's assets: Accept-Encoding and
// If-None-Match. The first half of the input is one header, the rest the other.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "compress/http_encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view coding = bh::compress::choose_content_coding(text);
  if (coding != "" && coding != "br" && coding != "gzip") __builtin_trap();
  const std::string_view header = text.substr(0, size / 2);
  const std::string_view etag = text.substr(size / 2);
  const bool hit = bh::compress::if_none_match_hits(header, etag);
  // A hit needs "*" or the tag itself somewhere in the header.
  if (hit && header.find('*') == std::string_view::npos && (etag.empty() || header.find(etag) == std::string_view::npos)) {
    __builtin_trap();
  }
  return 0;
}
