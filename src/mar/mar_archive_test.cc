#include "mar/mar_archive.h"

#include <set>
#include <sstream>
#include <tuple>

#include <gtest/gtest.h>

#include "core/byte_view.h"
#include "mar/mar_test_support.h"

namespace bh::mar {
namespace {

using testing::fixture;
using testing::RawEntry;
using testing::RawMar;
using Listing = std::set<std::tuple<std::uint32_t, std::uint32_t, std::string>>;

// Parses a saved `mar -t` / `-T` listing: "SIZE MODE NAME" rows after the header line.
Listing parse_listing(const std::string& text) {
  Listing rows;
  std::istringstream in(text);
  std::string line;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("SIZE", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table || line.empty()) continue;
    std::istringstream row(line);
    std::uint32_t size = 0;
    std::string mode;
    std::string name;
    row >> size >> mode >> name;
    rows.emplace(size, static_cast<std::uint32_t>(std::stoul(mode, nullptr, 8)), name);
  }
  return rows;
}

Listing listing_of(const MarArchive& archive) {
  Listing rows;
  for (const MarEntry& e : archive.entries()) rows.emplace(e.size, e.flags, e.name);
  return rows;
}

TEST(MarArchive, ReadsBuildMarBzip2FixtureFieldByField) {
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-bz2.mar"));
  ASSERT_TRUE(archive) << archive.error().to_string();
  EXPECT_EQ(archive->file_size(), 1201u);
  EXPECT_EQ(archive->index_offset(), 989u);
  ASSERT_TRUE(archive->has_signature_block());
  ASSERT_EQ(archive->signatures().size(), 1u);
  EXPECT_EQ(archive->signatures()[0].algorithm_id, 1u);
  EXPECT_EQ(archive->signatures()[0].size, 256u);
  EXPECT_EQ(archive->signature_bytes(archive->signatures()[0])[0], 0x0e);
  ASSERT_TRUE(archive->has_additional_sections());
  ASSERT_EQ(archive->additional_sections().size(), 1u);
  EXPECT_EQ(archive->additional_sections()[0].size, 104u);
  ASSERT_TRUE(archive->product_information());
  EXPECT_EQ(archive->product_information()->channel, "thunderbird-comm-esr");
  EXPECT_EQ(archive->product_information()->version, "100.0");
  EXPECT_EQ(archive->data_offset(), 392u);
  ASSERT_EQ(archive->entries().size(), 5u);
  EXPECT_EQ(archive->entries()[0].name, "update.manifest");
  EXPECT_EQ(archive->entries()[0].offset, 392u);
  EXPECT_EQ(archive->entries()[0].flags, 0664u);
  EXPECT_NE(archive->find("update-settings.ini"), nullptr);
  EXPECT_EQ(archive->find("missing"), nullptr);
}

TEST(MarArchive, ListingsEqualTheSavedMarToolListings) {
  for (const std::string name : {"test-bz2.mar", "test-xz.mar"}) {
    auto archive = MarArchive::open_file(fixture("build-mar-tests/" + name));
    ASSERT_TRUE(archive) << archive.error().to_string();
    const std::string t = bh::testing::read_text(fixture("build-mar-tests/" + name + ".list-t.txt"));
    const std::string big_t = bh::testing::read_text(fixture("build-mar-tests/" + name + ".list-T.txt"));
    EXPECT_EQ(listing_of(*archive), parse_listing(t)) << name;
    EXPECT_EQ(listing_of(*archive), parse_listing(big_t)) << name;
    EXPECT_EQ(parse_listing(t).size(), 5u);
    const std::string sigs = "Signature block found with " + std::to_string(archive->signatures().size()) + " signature";
    EXPECT_NE(big_t.find(sigs), std::string::npos) << name;
    EXPECT_NE(big_t.find("MAR channel name: " + archive->product_information()->channel), std::string::npos);
    EXPECT_NE(big_t.find("Product version: " + archive->product_information()->version), std::string::npos);
  }
}

TEST(MarArchive, ReadsTheXzFixtureWithAnEmptySignatureBlock) {
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-xz.mar"));
  ASSERT_TRUE(archive) << archive.error().to_string();
  EXPECT_TRUE(archive->has_signature_block());
  EXPECT_TRUE(archive->signatures().empty());
  EXPECT_EQ(archive->data_offset(), 128u);
  EXPECT_EQ(archive->entries()[0].name, "Contents/MacOS/defaults/pref/channel-prefs.js");
}

TEST(MarArchive, ReadsTheSyntheticCompleteAndPartialMars) {
  for (const std::string name : {"synthfox-1.0.complete.mar", "synthfox-2.0.complete.mar",
                                 "synthfox-1.0-2.0.partial.mar"}) {
    auto archive = MarArchive::open_file(fixture("synthetic-partial/" + name));
    ASSERT_TRUE(archive) << name << ": " << archive.error().to_string();
    const std::string saved = bh::testing::read_text(fixture("synthetic-partial/" + name + ".list-T.txt"));
    EXPECT_EQ(listing_of(*archive), parse_listing(saved)) << name;
    EXPECT_EQ(archive->product_information()->channel, "synthfox-test");
  }
}

TEST(MarArchive, ReadsTheOldFormatWithoutSignatureBlock) {
  RawMar raw;
  raw.old_format = true;
  raw.entries.push_back(RawEntry{.name = "a.txt", .data = "hello"});
  raw.entries.push_back(RawEntry{.flags = 0755, .name = "bin/run", .data = "#!/bin/sh\n"});
  auto archive = MarArchive::from_bytes(raw.build());
  ASSERT_TRUE(archive) << archive.error().to_string();
  EXPECT_FALSE(archive->has_signature_block());
  EXPECT_FALSE(archive->has_additional_sections());
  EXPECT_FALSE(archive->product_information());
  EXPECT_EQ(archive->data_offset(), 8u);
  ASSERT_EQ(archive->entries().size(), 2u);
  EXPECT_EQ(as_chars(archive->entry_bytes(archive->entries()[1])), "#!/bin/sh\n");
}

TEST(MarArchive, ReadsASignatureBlockWithoutAdditionalSections) {
  RawMar raw;
  raw.signatures.push_back({2, std::string(512, 'x')});
  std::string built;
  {
    // No section count at all: data starts right after the signatures (pre-2012 signed MARs).
    RawMar r = raw;
    r.entries.push_back(RawEntry{.name = "f", .data = "data"});
    built = r.build();
    const std::size_t count_at = 16 + 4 + 8 + 512;
    built.erase(count_at, 4);
    // Entry offset and index offset move back by 4.
    store_u32_be(reinterpret_cast<std::uint8_t*>(built.data()) + 4, load_u32_be(reinterpret_cast<const std::uint8_t*>(built.data()) + 4) - 4);
    const std::size_t index_at = load_u32_be(reinterpret_cast<const std::uint8_t*>(built.data()) + 4);
    store_u32_be(reinterpret_cast<std::uint8_t*>(built.data()) + index_at + 4, static_cast<std::uint32_t>(count_at));
    store_u32_be(reinterpret_cast<std::uint8_t*>(built.data()) + 12, static_cast<std::uint32_t>(built.size()));
  }
  auto archive = MarArchive::from_bytes(built);
  ASSERT_TRUE(archive) << archive.error().to_string();
  EXPECT_TRUE(archive->has_signature_block());
  EXPECT_FALSE(archive->has_additional_sections());
  EXPECT_EQ(archive->signatures().size(), 1u);
}

TEST(MarArchive, KeepsUnknownAdditionalSections) {
  RawMar raw;
  raw.sections = {RawMar::pib("chan", "1.0"), RawMar::block(7, "opaque")};
  raw.entries.push_back(RawEntry{.name = "f", .data = "x"});
  auto archive = MarArchive::from_bytes(raw.build());
  ASSERT_TRUE(archive) << archive.error().to_string();
  ASSERT_EQ(archive->additional_sections().size(), 2u);
  EXPECT_EQ(archive->additional_sections()[1].id, 7u);
  EXPECT_EQ(archive->product_information()->channel, "chan");
}

TEST(MarArchive, ZeroLengthEntriesAreListedNotRejected) {
  // libmar exempts them from the overlap rule; only decompression refuses them.
  RawMar raw;
  raw.sections = {RawMar::pib("c", "1")};
  raw.entries.push_back(RawEntry{.name = "empty", .data = ""});
  raw.entries.push_back(RawEntry{.name = "full", .data = "abc"});
  auto archive = MarArchive::from_bytes(raw.build());
  ASSERT_TRUE(archive) << archive.error().to_string();
  EXPECT_EQ(archive->entries()[0].size, 0u);
}

TEST(MarArchive, EntryNameRules) {
  EXPECT_TRUE(validate_entry_name("a"));
  EXPECT_TRUE(validate_entry_name("browser/omni.ja"));
  EXPECT_TRUE(validate_entry_name("Contents/Resources/..hidden"));
  EXPECT_TRUE(validate_entry_name("a.b/c...d"));
  for (const std::string& bad : std::vector<std::string>{"", "/etc/passwd", "../x", "a/../b", "a/..", "..", "a\\b", "a//b", "a/", "./a",
                                "a/./b", std::string("a\nb"), std::string("a\x7f"), std::string(300, 'x')}) {
    const Status s = validate_entry_name(bad);
    EXPECT_FALSE(s) << "accepted '" << bad << "'";
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
  }
  EXPECT_FALSE(validate_entry_name(std::string(kMaxEntryNameLength + 1, 'a')));
}

TEST(MarArchive, ProductInformationLimits) {
  EXPECT_TRUE(validate_product_information({std::string(63, 'c'), std::string(31, 'v')}));
  EXPECT_FALSE(validate_product_information({std::string(64, 'c'), "1"}));
  EXPECT_FALSE(validate_product_information({"c", std::string(32, 'v')}));
  EXPECT_FALSE(validate_product_information({std::string("a\0b", 3), "1"}));
}

TEST(MarArchive, SignedChunksCoverHeaderSizesAndTailButNotSignatureBytes) {
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-bz2.mar"));
  ASSERT_TRUE(archive);
  std::uint64_t total = 0;
  std::vector<std::size_t> sizes;
  archive->for_each_signed_chunk([&](ByteView chunk) {
    total += chunk.size();
    sizes.push_back(chunk.size());
  });
  EXPECT_EQ(sizes, (std::vector<std::size_t>{20, 8, 1201 - 0x11c}));
  EXPECT_EQ(total, 1201u - 256u);
}

TEST(MarArchive, OpenFileRefusesFilesOverTheLimitBeforeReading) {
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-bz2.mar"), MarOpenOptions{1000});
  ASSERT_FALSE(archive);
  EXPECT_EQ(archive.error().code(), Code::kTooLarge);
  auto missing = MarArchive::open_file(fixture("build-mar-tests/nope.mar"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace bh::mar
