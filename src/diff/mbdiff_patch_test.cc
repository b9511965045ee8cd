#include "diff/mbdiff_patch.h"

#include <optional>

#include <gtest/gtest.h>

#include "core/byte_view.h"
#include "core/byte_order.h"
#include "diff/crc32_bzip2.h"
#include "test_support.h"

namespace bh::diff {
namespace {

ByteView view(const std::string& s) { return as_bytes(s); }

std::filesystem::path vector_path(const std::string& name) {
  return bh::testing::shared_dir() / "fixtures/mar/mbdiff10-vectors" / name;
}

struct Triple {
  std::uint32_t x;
  std::uint32_t y;
  std::int32_t z;
};

// A patch from parts; each header field can be overridden to make it lie.
struct PatchParts {
  std::string source;
  std::vector<Triple> triples;
  std::string diff;
  std::string extra;
  std::optional<std::uint32_t> result_length, control_length, diff_length, extra_length, source_length, crc;
  std::string magic = "MBDIFF10";
  std::string trailer;

  std::string build() const {
    std::string control;
    for (const Triple& t : triples) {
      append_u32_be(control, t.x);
      append_u32_be(control, t.y);
      append_u32_be(control, static_cast<std::uint32_t>(t.z));
    }
    std::uint64_t produced = 0;
    for (const Triple& t : triples) produced += t.x + t.y;
    std::string out = magic;
    append_u32_be(out, source_length.value_or(static_cast<std::uint32_t>(source.size())));
    append_u32_be(out, crc.value_or(crc32_bzip2(view(source))));
    append_u32_be(out, result_length.value_or(static_cast<std::uint32_t>(produced)));
    append_u32_be(out, control_length.value_or(static_cast<std::uint32_t>(control.size())));
    append_u32_be(out, diff_length.value_or(static_cast<std::uint32_t>(diff.size())));
    append_u32_be(out, extra_length.value_or(static_cast<std::uint32_t>(extra.size())));
    return out + control + diff + extra + trailer;
  }
};

TEST(Crc32Bzip2, KnownValuesAndSlicingAgreesWithBytewise) {
  EXPECT_EQ(crc32_bzip2(view("123456789")), 0xFC891918u);  // the CRC catalogue's check value
  EXPECT_EQ(crc32_bzip2(view("")), 0u);
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 37 + 11));
  for (std::size_t split = 0; split < 20; ++split) {
    Crc32Bzip2 crc;
    crc.update(view(data.substr(0, split)));
    crc.update(view(data.substr(split)));
    EXPECT_EQ(crc.value(), crc32_bzip2(view(data))) << split;
  }
}

TEST(MbdiffApply, MozillaVectorsGiveTheNewFiles) {
  const std::vector<std::pair<std::string, std::uint32_t>> vectors = {
      {"01-text", 0xf8d1bd52}, {"02-identical", 0xceaa41c0}, {"03-empty-old", 0x00000000},
      {"04-empty-new", 0x84a08102}, {"05-random-edits", 0x60b3c6ae}, {"06-swap", 0xfe642f1a},
      {"07-reloc-table", 0x6ae30b19}};
  for (const auto& [name, crc] : vectors) {
    const std::string old_file = bh::testing::read_text(vector_path(name + ".old"));
    const std::string new_file = bh::testing::read_text(vector_path(name + ".new"));
    const std::string patch = bh::testing::read_text(vector_path(name + ".mbdiff10.patch"));
    EXPECT_EQ(crc32_bzip2(view(old_file)), crc) << name;
    auto header = read_mbdiff_header(view(patch));
    ASSERT_TRUE(header) << name << ": " << header.error().to_string();
    EXPECT_EQ(header->source_crc32, crc) << name;
    auto result = apply_mbdiff(view(old_file), view(patch));
    ASSERT_TRUE(result) << name << ": " << result.error().to_string();
    EXPECT_EQ(*result, new_file) << name;
  }
}

TEST(MbdiffApply, WrongSourceIsRefused) {
  const std::string old_file = bh::testing::read_text(vector_path("01-text.old"));
  const std::string patch = bh::testing::read_text(vector_path("01-text.mbdiff10.patch"));
  std::string other = old_file;
  other[3] ^= 1;
  auto wrong_crc = apply_mbdiff(view(other), view(patch));
  ASSERT_FALSE(wrong_crc);
  EXPECT_NE(wrong_crc.error().message().find("CRC"), std::string::npos);
  auto wrong_size = apply_mbdiff(view(old_file + "x"), view(patch));
  ASSERT_FALSE(wrong_size);
  EXPECT_NE(wrong_size.error().message().find("47 bytes"), std::string::npos) << wrong_size.error().message();
  ApplyLimits small;
  small.max_result_bytes = 10;
  auto too_big = apply_mbdiff(view(old_file), view(patch), small);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code(), Code::kTooLarge);
}

TEST(MbdiffApply, HandMadePatchesApply) {
  PatchParts p;
  p.source = "abcdefgh";
  // "abc" with deltas +1 (bcd), then literal "XY", seek back 3, then "abc" unchanged.
  p.triples = {{3, 2, -3}, {3, 0, 0}};
  p.diff = std::string("\x01\x01\x01\x00\x00\x00", 6);
  p.extra = "XY";
  auto r = apply_mbdiff(view(p.source), view(p.build()));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, "bcdXYabc");
}

TEST(MbdiffApply, MalformedPatchesAreClearErrors) {
  const std::string source = "0123456789abcdef";
  auto base = [&] {
    PatchParts p;
    p.source = source;
    p.triples = {{4, 2, 2}, {4, 0, 0}};
    p.diff = std::string(8, '\0');
    p.extra = "ZZ";
    return p;
  };
  ASSERT_TRUE(apply_mbdiff(view(source), view(base().build())));
  struct Case {
    std::string name;
    std::string patch;
    std::string phrase;
  };
  std::vector<Case> cases;
  auto add = [&](std::string name, auto mutate, std::string phrase) {
    PatchParts p = base();
    mutate(p);
    cases.push_back({std::move(name), p.build(), std::move(phrase)});
  };
  cases.push_back({"empty", "", "shorter than the 32-byte header"});
  cases.push_back({"header cut", base().build().substr(0, 31), "shorter than the 32-byte header"});
  add("wrong magic", [](PatchParts& p) { p.magic = "MBDIFF11"; }, "no MBDIFF10 magic");
  add("bsdiff magic", [](PatchParts& p) { p.magic = "BSDIFF40"; }, "BSDIFF40");
  add("truncated blocks", [](PatchParts& p) { p.extra = "Z"; p.extra_length = 2; }, "the header describes");
  add("trailing bytes", [](PatchParts& p) { p.trailer = "!!"; }, "the header describes");
  add("lengths that overflow 32 bits", [](PatchParts& p) { p.control_length = 0xFFFFFFF4; p.diff_length = 0x10; },
      "the header describes");
  add("control not whole triples", [](PatchParts& p) { p.extra += "Q"; p.extra_length = 3; p.control_length = 25; p.diff_length = 7; },
      "not whole 12-byte triples");
  add("result length over 2 GiB", [](PatchParts& p) { p.result_length = 0x80000000u; }, "over 2 GiB");
  add("triple x past the diff block", [](PatchParts& p) { p.triples[1].x = 5; p.result_length = 11; }, "past the diff block");
  add("triple y past the extra block", [](PatchParts& p) { p.triples[0].y = 3; p.result_length = 11; }, "past the extra block");
  add("triple writes past the result", [](PatchParts& p) { p.result_length = 6; }, "past the end of the result");
  add("seek before the start", [](PatchParts& p) { p.triples[0].z = -7; }, "before the start");
  add("seek far before the start", [](PatchParts& p) { p.triples[0].z = INT32_MIN; }, "before the start");
  add("seek past the end", [](PatchParts& p) { p.triples[0].z = 100; }, "past the end of the source");
  add("read past the end of the source", [](PatchParts& p) { p.triples[0].z = 9; }, "past the end of the source");
  add("result shorter than the header says", [](PatchParts& p) { p.result_length = 12; }, "the triples produce 10 bytes");
  for (const Case& c : cases) {
    auto r = apply_mbdiff(view(source), view(c.patch));
    ASSERT_FALSE(r) << c.name << ": accepted";
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << c.name;
    EXPECT_NE(r.error().message().find(c.phrase), std::string::npos) << c.name << ": " << r.error().message();
  }
}

TEST(MbdiffApply, EveryTruncationOfAVectorIsRefused) {
  const std::string old_file = bh::testing::read_text(vector_path("05-random-edits.old"));
  const std::string patch = bh::testing::read_text(vector_path("05-random-edits.mbdiff10.patch"));
  for (std::size_t n = 0; n < patch.size(); n += (n < 64 ? 1 : 97)) {
    EXPECT_FALSE(apply_mbdiff(view(old_file), view(patch.substr(0, n)))) << n;
  }
}

}  // namespace
}  // namespace bh::diff
