#include "compress/http_encoding.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <charconv>
#include <cstring>

namespace bh::compress {

Result<std::string> gzip_compress(std::string_view input) {
  z_stream z;
  std::memset(&z, 0, sizeof z);
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return fail(internal_error("gzip: deflateInit2 failed"));
  }
  std::string out(deflateBound(&z, static_cast<uLong>(input.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  z.avail_in = static_cast<uInt>(input.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const auto produced = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return fail(internal_error("gzip: deflate did not finish"));
  out.resize(produced);
  return out;
}

Result<std::string> brotli_compress(std::string_view input) {
  std::size_t size = BrotliEncoderMaxCompressedSize(input.size());
  if (size == 0) size = input.size() + 1024;
  std::string out(size, '\0');
  if (BrotliEncoderCompress(BROTLI_MAX_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, input.size(),
                            reinterpret_cast<const std::uint8_t*>(input.data()), &size,
                            reinterpret_cast<std::uint8_t*>(out.data())) != BROTLI_TRUE) {
    return fail(internal_error("br: BrotliEncoderCompress failed"));
  }
  out.resize(size);
  return out;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = static_cast<char>(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
    if (x != b[i]) return false;
  }
  return true;
}

// The q-value of one "coding;q=0.5" element, 1000ths; -1 when it cannot be read.
int quality_of(std::string_view params) {
  int q = 1000;
  while (!params.empty()) {
    const auto semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    p.remove_prefix(2);
    double v = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size() || v < 0 || v > 1) return -1;
    q = static_cast<int>(v * 1000 + 0.5);
  }
  return q;
}

}  // namespace

std::string_view choose_content_coding(std::string_view accept_encoding) {
  int br = -1, gzip = -1, any = -1;
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const std::string_view element = trim(accept_encoding.substr(0, comma));
    accept_encoding = comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const auto semi = element.find(';');
    const std::string_view coding = trim(element.substr(0, semi));
    const int q = semi == std::string_view::npos ? 1000 : quality_of(element.substr(semi + 1));
    if (q < 0) continue;
    if (iequals(coding, "br")) br = q;
    else if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip = q;
    else if (coding == "*") any = q;
  }
  if (br < 0) br = any;
  if (gzip < 0) gzip = any;
  if (br <= 0 && gzip <= 0) return "";
  return br >= gzip ? "br" : "gzip";
}

bool if_none_match_hits(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    std::string_view tag = trim(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view{} : if_none_match.substr(comma + 1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == "*" || (!tag.empty() && tag == etag)) return true;
  }
  return false;
}

}  // namespace bh::compress
