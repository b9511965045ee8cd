#include "compress/compression.h"

#include <random>

#include <gtest/gtest.h>

#include "core/byte_view.h"
#include "mar/mar_archive.h"
#include "mar/mar_test_support.h"

namespace bh::compress {
namespace {

using mar::MarArchive;
using mar::MarEntry;
using mar::testing::bytes_of;
using mar::testing::fixture;

std::string pseudo_random_text(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s;
  const char* words[] = {"firefox ", "libxul ", "update ", "0x7f ", "\n", "mar ", "partial "};
  while (s.size() < n) s += words[rng() % 7];
  s.resize(n);
  return s;
}

TEST(Compression, DetectsByMagic) {
  EXPECT_EQ(detect_compression(bytes_of(std::string("\xFD" "7zXZ\0rest", 10))), Compression::kXz);
  EXPECT_EQ(detect_compression(bytes_of("BZh91AY&SY")), Compression::kBzip2);
  EXPECT_EQ(detect_compression(bytes_of("BZhx")), Compression::kNone);
  EXPECT_EQ(detect_compression(bytes_of("MBDIFF10")), Compression::kNone);
  EXPECT_EQ(detect_compression(bytes_of("")), Compression::kNone);
  EXPECT_EQ(compression_name(Compression::kBzip2), "bz2");
}

TEST(Compression, DecompressesTheFixtureEntriesToTheSavedFiles) {
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-bz2.mar"));
  ASSERT_TRUE(archive);
  for (const MarEntry& e : archive->entries()) {
    const ByteView stored = archive->entry_bytes(e);
    ASSERT_EQ(detect_compression(stored), Compression::kBzip2);
    auto plain = decompress_to_string(stored, Compression::kBzip2, {});
    ASSERT_TRUE(plain) << plain.error().to_string();
    EXPECT_EQ(*plain, bh::testing::read_text(fixture("build-mar-tests/test-bz2.extracted/" + e.name))) << e.name;
  }
}

TEST(Compression, XzDefaultsReproduceMozillaPackagingByteForByte) {
  // The synthfox complete MARs were packed by Mozilla's make_full_update.sh with
  // XZ_OPT="-T1 -7e" and --x86: recompressing each decompressed entry must give the same bytes.
  auto archive = MarArchive::open_file(fixture("synthetic-partial/synthfox-2.0.complete.mar"));
  ASSERT_TRUE(archive);
  XzSettings mozilla;
  mozilla.x86_bcj = true;
  XzSettings literal_7e = mozilla;
  literal_7e.preset = 7;
  literal_7e.extreme = true;
  for (const MarEntry& e : archive->entries()) {
    const ByteView stored = archive->entry_bytes(e);
    auto plain = decompress_to_string(stored, Compression::kXz, {});
    ASSERT_TRUE(plain) << e.name;
    auto again = compress_xz(bytes_of(*plain), mozilla);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, as_chars(stored)) << e.name;
    auto other = compress_xz(bytes_of(*plain), literal_7e);
    ASSERT_TRUE(other);
    EXPECT_NE(*other, as_chars(stored)) << e.name << ": -7e would not have matched";
  }
}

TEST(Compression, Bzip2MatchesTheFixtureWriter) {
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-bz2.mar"));
  ASSERT_TRUE(archive);
  for (const MarEntry& e : archive->entries()) {
    auto plain = decompress_to_string(archive->entry_bytes(e), Compression::kBzip2, {});
    ASSERT_TRUE(plain);
    auto again = compress_bzip2(bytes_of(*plain));
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, as_chars(archive->entry_bytes(e))) << e.name;
  }
}

TEST(Compression, RoundTripsEverySettingAndIsDeterministic) {
  const std::string text = pseudo_random_text(3 << 20, 7);  // more than one 1 MiB output chunk
  for (const bool bcj : {false, true}) {
    XzSettings s;
    s.x86_bcj = bcj;
    auto a = compress_xz(bytes_of(text), s);
    auto b = compress_xz(bytes_of(text), s);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    EXPECT_LT(a->size(), text.size());
    auto back = decompress_to_string(bytes_of(*a), Compression::kXz, {});
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, text);
  }
  auto bz = compress_bzip2(bytes_of(text));
  ASSERT_TRUE(bz);
  auto back = decompress_to_string(bytes_of(*bz), Compression::kBzip2, {});
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, text);
  // Empty input still makes a non-empty stream (an updater refuses zero-length entries).
  auto empty = compress_xz(bytes_of(""), {});
  ASSERT_TRUE(empty);
  EXPECT_GT(empty->size(), 0u);
  auto empty_back = decompress_to_string(bytes_of(*empty), Compression::kXz, {});
  ASSERT_TRUE(empty_back);
  EXPECT_EQ(*empty_back, "");
}

TEST(Compression, ConcatenatedStreamsDecodeAsTheToolsDo) {
  auto a = compress_bzip2(bytes_of("first "));
  auto b = compress_bzip2(bytes_of("second"));
  ASSERT_TRUE(a && b);
  const std::string both = *a + *b;
  auto out = decompress_to_string(bytes_of(both), Compression::kBzip2, {});
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(*out, "first second");
  auto x = compress_xz(bytes_of("one "), {});
  auto y = compress_xz(bytes_of("two"), {});
  const std::string xs = *x + *y;
  auto xout = decompress_to_string(bytes_of(xs), Compression::kXz, {});
  ASSERT_TRUE(xout);
  EXPECT_EQ(*xout, "one two");
}

TEST(Compression, DamagedStreamsAreClearErrors) {
  const std::string text = pseudo_random_text(100000, 3);
  auto xz = compress_xz(bytes_of(text), {});
  auto bz = compress_bzip2(bytes_of(text));
  ASSERT_TRUE(xz && bz);
  struct Case {
    std::string name;
    std::string bytes;
    Compression c;
  };
  std::string flipped_xz = *xz;
  flipped_xz[flipped_xz.size() / 2] ^= 0x55;
  std::string flipped_bz = *bz;
  flipped_bz[bz->size() / 2] ^= 0x55;
  const std::vector<Case> cases = {
      {"truncated xz", xz->substr(0, xz->size() / 2), Compression::kXz},
      {"xz without its footer", xz->substr(0, xz->size() - 4), Compression::kXz},
      {"corrupt xz", flipped_xz, Compression::kXz},
      {"xz with trailing garbage", *xz + "garbage!", Compression::kXz},
      {"xz magic only", std::string("\xFD" "7zXZ\0", 6), Compression::kXz},
      {"truncated bzip2", bz->substr(0, bz->size() / 2), Compression::kBzip2},
      {"corrupt bzip2", flipped_bz, Compression::kBzip2},
      {"bzip2 with trailing garbage", *bz + "garbage!", Compression::kBzip2},
      {"bzip2 magic only", "BZh9", Compression::kBzip2},
  };
  for (const Case& c : cases) {
    std::uint64_t produced = 0;
    auto r = decompress(bytes_of(c.bytes), c.c, {}, [&](ByteView piece) {
      produced += piece.size();
      return Status{};
    });
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << c.name;
    EXPECT_NE(r.error().message().find("damaged"), std::string::npos) << c.name << ": " << r.error().message();
  }
}

TEST(Compression, OutputLimitStopsABomb) {
  const std::string zeros(8 << 20, '\0');
  auto xz = compress_xz(bytes_of(zeros), {});
  ASSERT_TRUE(xz);
  EXPECT_LT(xz->size(), 10000u);
  DecompressLimits limits;
  limits.max_output_bytes = 1 << 20;
  std::uint64_t produced = 0;
  auto r = decompress(bytes_of(*xz), Compression::kXz, limits, [&](ByteView piece) {
    produced += piece.size();
    return Status{};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kTooLarge);
  EXPECT_LE(produced, limits.max_output_bytes);
  auto bz = compress_bzip2(bytes_of(zeros));
  auto rb = decompress_to_string(bytes_of(*bz), Compression::kBzip2, limits);
  ASSERT_FALSE(rb);
  EXPECT_EQ(rb.error().code(), Code::kTooLarge);
  auto raw = decompress_to_string(bytes_of(zeros), Compression::kNone, limits);
  ASSERT_FALSE(raw);
  EXPECT_EQ(raw.error().code(), Code::kTooLarge);
}

TEST(Compression, SinkErrorsStopDecompression) {
  auto xz = compress_xz(bytes_of(pseudo_random_text(3 << 20, 1)), {});
  int calls = 0;
  auto r = decompress(bytes_of(*xz), Compression::kXz, {}, [&](ByteView) {
    ++calls;
    return io_error("disk full");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "disk full");
  EXPECT_EQ(calls, 1);
}

TEST(Compression, RefusesBadPreset) {
  XzSettings s;
  s.preset = 10;
  EXPECT_FALSE(compress_xz(bytes_of("x"), s));
}

TEST(Compression, ParallelXzIsOneStreamWhateverTheThreads) {
  const std::string text = pseudo_random_text(300000, 7);
  Executor one({.cpu_budget = 1});
  Executor four({.cpu_budget = 4});
  const XzBlocks blocks{.block_size = 65536, .jobs = 0};
  auto a = compress_xz_parallel(bytes_of(text), {}, blocks, one);
  auto b = compress_xz_parallel(bytes_of(text), {}, blocks, four);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  auto back = decompress_to_string(bytes_of(*a), Compression::kXz, {});
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, text);
  // Five blocks cost a little against one stream, but not much on repetitive text.
  auto single = compress_xz(bytes_of(text), {});
  ASSERT_TRUE(single);
  EXPECT_NE(*a, *single);
  EXPECT_LT(a->size(), single->size() * 2);
}

TEST(Compression, ParallelXzOfOneBlockIsTheStreamingEncodersBytes) {
  const std::string text = pseudo_random_text(5000, 3);
  Executor executor({.cpu_budget = 2});
  auto a = compress_xz_parallel(bytes_of(text), {.x86_bcj = true}, {.block_size = 5000}, executor);
  auto b = compress_xz(bytes_of(text), {.x86_bcj = true});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_FALSE(compress_xz_parallel(bytes_of(text), {}, {.block_size = 0}, executor));
}

TEST(Compression, ParallelXzKeepsTheBcjFilterInEveryBlock) {
  const std::string text = pseudo_random_text(200000, 5);
  Executor executor({.cpu_budget = 2});
  auto packed = compress_xz_parallel(bytes_of(text), {.x86_bcj = true}, {.block_size = 50000}, executor);
  ASSERT_TRUE(packed);
  auto x86 = xz_uses_x86_filter(bytes_of(*packed));
  ASSERT_TRUE(x86);
  EXPECT_TRUE(*x86);
  auto back = decompress_to_string(bytes_of(*packed), Compression::kXz, {});
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, text);
}

TEST(Compression, KnowsWhatAnEncoderHolds) {
  const std::uint64_t six = xz_encoder_memory({});
  EXPECT_GT(six, 80u << 20);
  EXPECT_LT(six, 110u << 20);
  EXPECT_LT(xz_encoder_memory({.preset = 1}), six);
  EXPECT_EQ(xz_encoder_memory({.preset = 12}), 0u);
}

TEST(Compression, TellsWhetherAnXzStreamUsesTheX86Filter) {
  const std::string text = pseudo_random_text(1000, 1);
  auto plain = compress_xz(bytes_of(text), {});
  auto bcj = compress_xz(bytes_of(text), {.x86_bcj = true});
  auto empty = compress_xz(bytes_of(std::string()), {.x86_bcj = true});
  ASSERT_TRUE(plain && bcj && empty);
  EXPECT_EQ(xz_uses_x86_filter(bytes_of(*plain)), false);
  EXPECT_EQ(xz_uses_x86_filter(bytes_of(*bcj)), true);
  EXPECT_EQ(xz_uses_x86_filter(bytes_of(*empty)), false);  // no block to carry a filter
  EXPECT_FALSE(xz_uses_x86_filter(bytes_of("BZh91AY&SY")));
  std::string damaged = *bcj;
  damaged[13] ^= 0x40;  // inside the first block header, whose CRC32 then fails
  EXPECT_FALSE(xz_uses_x86_filter(bytes_of(damaged)));
  EXPECT_FALSE(xz_uses_x86_filter(bytes_of(bcj->substr(0, 14))));
}

TEST(Compression, ReadsTheDeclaredSizeFromTheIndex) {
  const std::string text = pseudo_random_text(200000, 9);
  Executor executor({.cpu_budget = 2});
  auto single = compress_xz(bytes_of(text), {});
  auto blocks = compress_xz_parallel(bytes_of(text), {}, {.block_size = 30000}, executor);
  auto empty = compress_xz(bytes_of(std::string()), {});
  ASSERT_TRUE(single && blocks && empty);
  EXPECT_EQ(xz_declared_size(bytes_of(*single)), text.size());
  EXPECT_EQ(xz_declared_size(bytes_of(*blocks)), text.size());
  EXPECT_EQ(xz_declared_size(bytes_of(*empty)), 0u);
  EXPECT_FALSE(xz_declared_size(bytes_of(*single + *single)));  // two streams
  EXPECT_FALSE(xz_declared_size(bytes_of(single->substr(0, single->size() - 1))));
  EXPECT_FALSE(xz_declared_size(bytes_of("BZh91AY&SY0000000000000000000")));
  // Not xz at the start, an xz stream's tail at the end: refused (found by fuzz_mar_reader).
  std::string impostor = *single;
  impostor[1] = 'Z';
  EXPECT_FALSE(xz_declared_size(bytes_of(impostor)));
}

}  // namespace
}  // namespace bh::compress
