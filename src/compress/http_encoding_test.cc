#include "compress/http_encoding.h"

#include <brotli/decode.h>
#include <zlib.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace bh::compress {
namespace {

std::string gunzip(const std::string& in) {
  z_stream z;
  std::memset(&z, 0, sizeof z);
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

std::string unbrotli(const std::string& in) {
  std::string out(1 << 20, '\0');
  std::size_t size = out.size();
  EXPECT_EQ(BrotliDecoderDecompress(in.size(), reinterpret_cast<const std::uint8_t*>(in.data()), &size,
                                    reinterpret_cast<std::uint8_t*>(out.data())),
            BROTLI_DECODER_RESULT_SUCCESS);
  out.resize(size);
  return out;
}

TEST(HttpEncoding, GzipAndBrotliRoundTripAndShrinkText) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "export function compareVersions(a, b) { return a < b ? -1 : 1; }\n";
  auto gz = gzip_compress(text);
  auto br = brotli_compress(text);
  ASSERT_TRUE(gz && br);
  EXPECT_EQ(gz->substr(0, 2), std::string("\x1f\x8b", 2));  // a gzip member, not a zlib stream
  EXPECT_EQ(gunzip(*gz), text);
  EXPECT_EQ(unbrotli(*br), text);
  EXPECT_LT(gz->size(), text.size() / 20);
  EXPECT_LT(br->size(), gz->size());
}

TEST(HttpEncoding, EmptyInputIsAValidStream) {
  auto gz = gzip_compress("");
  auto br = brotli_compress("");
  ASSERT_TRUE(gz && br);
  EXPECT_EQ(gunzip(*gz), "");
  EXPECT_EQ(unbrotli(*br), "");
}

TEST(HttpEncoding, ChoosesWhatTheClientPrefers) {
  EXPECT_EQ(choose_content_coding(""), "");
  EXPECT_EQ(choose_content_coding("identity"), "");
  EXPECT_EQ(choose_content_coding("gzip, deflate, br, zstd"), "br");  // Chromium's header: br wins the tie
  EXPECT_EQ(choose_content_coding("gzip, deflate"), "gzip");
  EXPECT_EQ(choose_content_coding("GZIP"), "gzip");
  EXPECT_EQ(choose_content_coding("br;q=0.5, gzip;q=0.8"), "gzip");
  EXPECT_EQ(choose_content_coding("br;q=0, gzip;q=0"), "");
  EXPECT_EQ(choose_content_coding("*"), "br");
  EXPECT_EQ(choose_content_coding("*;q=0.2, br;q=0"), "gzip");
  EXPECT_EQ(choose_content_coding("x-gzip"), "gzip");
  EXPECT_EQ(choose_content_coding(" br ; q=1.0 "), "br");
}

TEST(HttpEncoding, MalformedPartsAreIgnored) {
  EXPECT_EQ(choose_content_coding("br;q=2, gzip"), "gzip");
  EXPECT_EQ(choose_content_coding("br;q=abc"), "");
  EXPECT_EQ(choose_content_coding(",,,;;;=,q=,br;q="), "");
  EXPECT_EQ(choose_content_coding(std::string(100000, ',') + "gzip"), "gzip");
}

TEST(IfNoneMatch, StrongWeakListsAndStar) {
  EXPECT_TRUE(if_none_match_hits(R"("abc")", R"("abc")"));
  EXPECT_TRUE(if_none_match_hits(R"(W/"abc")", R"("abc")"));
  EXPECT_TRUE(if_none_match_hits(R"("x", "abc")", R"("abc")"));
  EXPECT_TRUE(if_none_match_hits(R"(  "x"  ,W/"abc"  )", R"("abc")"));
  EXPECT_TRUE(if_none_match_hits("*", R"("abc")"));
  EXPECT_FALSE(if_none_match_hits("", R"("abc")"));
  EXPECT_FALSE(if_none_match_hits(R"("abc-gz")", R"("abc")"));
  EXPECT_FALSE(if_none_match_hits(R"("ab)", R"("abc")"));
  EXPECT_FALSE(if_none_match_hits(",,, ,", R"("abc")"));
  EXPECT_FALSE(if_none_match_hits("W/", ""));
}

}  // namespace
}  // namespace bh::compress
