// Malformed MARs: each must be refused with a clear error, without a crash (run under ASan and
// UBSan in `make test`), and without writing anything outside the extraction directory.
#include <functional>

#include <gtest/gtest.h>

#include "mar/mar_files.h"
#include "mar/mar_test_support.h"

namespace bh::mar {
namespace {

using compress::compress_xz;

namespace fs = std::filesystem;
using testing::bytes_of;
using testing::fixture;
using testing::RawEntry;
using testing::RawMar;

RawMar valid_base() {
  RawMar raw;
  raw.sections = {RawMar::pib("firefox-mozilla-release", "153.0")};
  raw.entries.push_back(RawEntry{.name = "update.manifest", .data = *compress_xz(bytes_of("type \"complete\"\n"), {})});
  raw.entries.push_back(RawEntry{.flags = 0755, .name = "bin/firefox", .data = *compress_xz(bytes_of("ELF..."), {})});
  return raw;
}

struct StructureCase {
  std::string name;
  std::function<std::string()> bytes;
  std::string expected;  // a phrase of the error message
};

std::vector<StructureCase> structure_cases() {
  std::vector<StructureCase> cases;
  auto add = [&](std::string name, std::function<void(RawMar&)> mutate, std::string expected) {
    cases.push_back({std::move(name),
                     [mutate] {
                       RawMar raw = valid_base();
                       mutate(raw);
                       return raw.build();
                     },
                     std::move(expected)});
  };
  cases.push_back({"empty file", [] { return std::string(); }, "too short"});
  cases.push_back({"seven bytes", [] { return std::string("MAR1\0\0\0", 7); }, "too short"});
  add("wrong magic", [](RawMar& r) { r.magic = "MAR2"; }, "no MAR1 magic");
  add("index offset past the end", [](RawMar& r) { r.index_offset = 1u << 30; }, "past the end");
  add("index offset at the last byte", [](RawMar& r) { r.index_offset = 0xFFFFFFFF; }, "past the end");
  add("index size past the end", [](RawMar& r) { r.index_size = 100000; }, "runs past the end");
  add("bytes after the index", [](RawMar& r) { r.trailer = "junk"; }, "follow the index");
  add("file-size field too small", [](RawMar& r) { r.file_size = 10; }, "file-size field");
  add("file-size field huge", [](RawMar& r) { r.file_size = ~0ull; }, "file-size field");
  add("nine signatures", [](RawMar& r) { r.signature_count = 9; }, "9 signatures");
  add("huge signature count", [](RawMar& r) { r.signature_count = 0xFFFFFFFF; }, "signatures");
  add("signature over 2048 bytes", [](RawMar& r) { r.signatures.push_back({2, std::string(4096, 's')}); }, "4096 bytes");
  add("signature count without signatures", [](RawMar& r) { r.signature_count = 3; }, "signature");
  add("huge additional-section count", [](RawMar& r) { r.section_count = 0xFFFFFFFF; }, "cannot fit");
  add("section count beyond the sections", [](RawMar& r) { r.section_count = 2; }, "additional section");
  add("section smaller than its header", [](RawMar& r) { r.sections = {RawMar::block(9, "", 4)}; }, "has size 4");
  add("section running into the data", [](RawMar& r) { r.sections = {RawMar::block(9, "x", 5000)}; }, "runs into the data");
  add("product information over 96 bytes", [](RawMar& r) { r.sections = {RawMar::block(1, std::string(120, 'a'))}; },
      "at most 96");
  add("channel not NUL-terminated", [](RawMar& r) { r.sections = {RawMar::block(1, std::string(90, 'a'))}; },
      "not NUL-terminated");
  add("channel of 64 bytes", [](RawMar& r) { r.sections = {RawMar::block(1, std::string(64, 'c') + '\0' + "1" + '\0')}; },
      "channel id");
  add("version of 32 bytes", [](RawMar& r) { r.sections = {RawMar::block(1, "c" + std::string(1, '\0') + std::string(32, 'v') + '\0')}; },
      "product version");
  add("two product information blocks", [](RawMar& r) { r.sections.push_back(RawMar::pib("other", "2")); },
      "two product information blocks");
  add("unaccounted bytes before the data", [](RawMar& r) { r.gap = "????"; }, "unaccounted bytes");
  add("entry offset past the index", [](RawMar& r) { r.entries[1].explicit_offset = true; r.entries[1].offset = 1u << 20; },
      "outside the data area");
  add("entry offset inside the header", [](RawMar& r) { r.entries[0].explicit_offset = true; r.entries[0].offset = 4; },
      "");
  add("entry size huge", [](RawMar& r) { r.entries[1].explicit_size = true; r.entries[1].size = 0xFFFFFFFF; },
      "outside the data area");
  add("entries overlapping", [](RawMar& r) { r.entries[0].explicit_size = true; r.entries[0].size = static_cast<std::uint32_t>(r.entries[0].data.size() + 10); },
      "overlap");
  add("duplicate names", [](RawMar& r) { r.entries[1].name = "update.manifest"; }, "appears twice");
  add("name not NUL-terminated", [](RawMar& r) { r.entries[1].terminate_name = false; }, "not NUL-terminated");
  add("index cut inside an entry", [](RawMar& r) { r.index_size = 5; r.trailer = std::string(1, '\0'); }, "");
  add("absolute name", [](RawMar& r) { r.entries[0].name = "/etc/passwd"; }, "absolute path");
  add("climbing name", [](RawMar& r) { r.entries[0].name = "../../.bashrc"; }, "climbs out");
  add("climbing name in the middle", [](RawMar& r) { r.entries[0].name = "a/../../b"; }, "climbs out");
  add("backslash name", [](RawMar& r) { r.entries[0].name = "..\\..\\windows\\evil.dll"; }, "backslash");
  add("empty name", [](RawMar& r) { r.entries[0].name = ""; }, "empty name");
  add("name with a newline", [](RawMar& r) { r.entries[0].name = "a\nb"; }, "control character");
  add("huge name", [](RawMar& r) { r.entries[0].name = std::string(5000, 'n'); }, "bytes long");
  return cases;
}

TEST(MalformedMar, EveryStructuralDefectIsAClearError) {
  const auto cases = structure_cases();
  ASSERT_GE(cases.size(), 25u);
  ASSERT_TRUE(MarArchive::from_bytes(valid_base().build())) << "the base case must be valid";
  for (const StructureCase& c : cases) {
    auto archive = MarArchive::from_bytes(c.bytes());
    ASSERT_FALSE(archive) << c.name << ": accepted";
    EXPECT_TRUE(archive.error().code() == Code::kInvalidArgument || archive.error().code() == Code::kTooLarge) << c.name;
    EXPECT_NE(archive.error().message().find("malformed MAR"), std::string::npos) << c.name << ": " << archive.error().message();
    EXPECT_NE(archive.error().message().find(c.expected), std::string::npos)
        << c.name << ": got '" << archive.error().message() << "'";
  }
}

TEST(MalformedMar, EveryTruncationOfTheFixturesIsRefused) {
  for (const std::string name : {"build-mar-tests/test-bz2.mar", "build-mar-tests/test-xz.mar",
                                 "synthetic-partial/synthfox-1.0-2.0.partial.mar"}) {
    const std::string whole = bh::testing::read_text(fixture(name));
    ASSERT_TRUE(MarArchive::from_bytes(whole)) << name;
    for (std::size_t n = 0; n < whole.size(); ++n) {
      auto archive = MarArchive::from_bytes(whole.substr(0, n));
      ASSERT_FALSE(archive) << name << " cut to " << n << " bytes was accepted";
      EXPECT_EQ(archive.error().code(), Code::kInvalidArgument);
    }
  }
}

TEST(MalformedMar, EveryByteFlipOfTheIndexIsSafe) {
  // Not every flip is an error (a flag bit is harmless), but none may crash or break the rules.
  const std::string whole = bh::testing::read_text(fixture("build-mar-tests/test-xz.mar"));
  for (std::size_t at = 0; at < whole.size(); ++at) {
    std::string damaged = whole;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x80);
    auto archive = MarArchive::from_bytes(damaged);
    if (!archive) continue;
    for (const MarEntry& e : archive->entries()) {
      EXPECT_TRUE(validate_entry_name(e.name));
      EXPECT_LE(std::uint64_t{e.offset} + e.size, archive->index_offset());
    }
  }
}

TEST(MalformedMar, BadEntryStreamsFailExtractionWithoutWritingOutside) {
  struct StreamCase {
    std::string name;
    std::string data;
    Code code;
  };
  const std::string good = *compress_xz(bytes_of(std::string(100000, 'g')), {});
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x10;
  const std::vector<StreamCase> cases = {
      {"truncated xz", good.substr(0, good.size() - 20), Code::kInvalidArgument},
      {"corrupt xz", flipped, Code::kInvalidArgument},
      {"bzip2 magic with garbage", "BZh9garbagegarbage", Code::kInvalidArgument},
      {"zero-length entry", "", Code::kInvalidArgument},
      {"decompression bomb", *compress_xz(bytes_of(std::string(3 << 20, '\0')), {}), Code::kTooLarge},
  };
  bh::testing::TempDir dir;
  for (const StreamCase& c : cases) {
    RawMar raw = valid_base();
    raw.entries.push_back(RawEntry{.name = "bad/entry", .data = c.data});
    auto archive = MarArchive::from_bytes(raw.build());
    ASSERT_TRUE(archive) << c.name << ": " << archive.error().to_string();
    const fs::path target = dir / c.name;
    ExtractRequest request = testing::extract_to(target, true);
    request.limits.max_output_bytes = 1 << 20;
    auto r = testing::extract_with_two_workers(*archive, request);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code(), c.code) << c.name << ": " << r.error().message();
    EXPECT_NE(r.error().message().find("bad/entry"), std::string::npos) << r.error().message();
    EXPECT_FALSE(fs::exists(target / "bad/entry")) << c.name;
  }
  // Nothing appeared beside the per-case targets.
  for (const auto& e : fs::directory_iterator(dir.path())) EXPECT_TRUE(e.is_directory()) << e.path();
}

// Mozilla's `mar -t` lists archives with "./" names, a name twice or an oversized product
// information block; opened for listing they give warnings, and extracting them stays refused.
TEST(MalformedMar, ListingToleratesWhatMozillaListsButExtractionRefuses) {
  RawMar raw = valid_base();
  raw.sections = {RawMar::block(1, "firefox-mozilla-release" + std::string(1, '\0') + "153.0" + std::string(120, '\0'))};
  raw.entries.push_back(RawEntry{.name = "./defaults/pref/channel-prefs.js", .data = *compress_xz(bytes_of("x"), {})});
  raw.entries.push_back(RawEntry{.name = "bin/firefox", .data = *compress_xz(bytes_of("again"), {})});
  const std::string bytes = raw.build();

  auto strict = MarArchive::from_bytes(bytes);
  ASSERT_FALSE(strict);
  MarOpenOptions listing;
  listing.tolerate_for_listing = true;
  auto tolerant = MarArchive::from_bytes(bytes, listing);
  ASSERT_TRUE(tolerant) << tolerant.error().to_string();
  EXPECT_EQ(tolerant->entries().size(), 4u);
  ASSERT_EQ(tolerant->warnings().size(), 3u);
  EXPECT_NE(tolerant->warnings()[0].find("'.' path component"), std::string::npos) << tolerant->warnings()[0];
  EXPECT_NE(tolerant->warnings()[1].find("appears twice"), std::string::npos) << tolerant->warnings()[1];
  EXPECT_NE(tolerant->warnings()[2].find("payload is 149 bytes"), std::string::npos) << tolerant->warnings()[2];
  ASSERT_TRUE(tolerant->product_information());
  EXPECT_EQ(tolerant->product_information()->version, "153.0");
  EXPECT_FALSE(tolerant->safe_to_extract());

  bh::testing::TempDir dir;
  auto extracted = testing::extract_with_two_workers(*tolerant, testing::extract_to(dir / "out", true));
  ASSERT_FALSE(extracted);
  EXPECT_NE(extracted.error().message().find("refusing to extract"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out" / "bin"));

  // A valid archive opened the same way has no warnings and extracts.
  auto clean = MarArchive::from_bytes(valid_base().build(), listing);
  ASSERT_TRUE(clean);
  EXPECT_TRUE(clean->safe_to_extract());
}

}  // namespace
}  // namespace bh::mar
