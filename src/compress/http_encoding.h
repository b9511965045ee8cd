// Content codings for HTTP responses (RFC 9110 §8.4.1): gzip (zlib) and br (Brotli, RFC 7932),
// and the request headers that choose a representation (Accept-Encoding, If-None-Match).
// Used for the web page's assets, compressed once when the server starts.
//
// Thread safety: reentrant, no shared state. Failure: kInternal when the library refuses
// (out of memory); nothing throws.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace bh::compress {

// gzip at level 9: the assets are compressed once and served many times.
Result<std::string> gzip_compress(std::string_view input);
// Brotli at quality 11 with the text mode hint.
Result<std::string> brotli_compress(std::string_view input);

// Which of the codings we offer ("br", "gzip" or "") the request's Accept-Encoding prefers:
// q-values honoured (q=0 refuses), "*" counts, br wins a tie. Malformed parts are ignored.
std::string_view choose_content_coding(std::string_view accept_encoding);

// Whether an If-None-Match header value names `etag` (a quoted entity tag) or is "*". Weak
// comparison, as RFC 9110 §13.1.2 asks of GET: W/"x" matches "x". Malformed parts never match.
bool if_none_match_hits(std::string_view if_none_match, std::string_view etag);

}  // namespace bh::compress
