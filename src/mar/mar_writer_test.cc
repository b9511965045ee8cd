#include "mar/mar_writer.h"

#include <optional>

#include <gtest/gtest.h>

#include "core/byte_view.h"
#include "mar/mar_test_support.h"

namespace bh::mar {
namespace {

using testing::bytes_of;
using testing::fixture;

MarArchive open_or_die(const std::string& bytes) {
  auto a = MarArchive::from_bytes(bytes);
  EXPECT_TRUE(a) << a.error().to_string();
  return std::move(*a);
}

TEST(MarWriter, RebuildsTheXzFixtureByteForByte) {
  // test-xz.mar was written with a padded block and no signatures: writing its entries again in
  // index order must give the identical file.
  auto original = MarArchive::open_file(fixture("build-mar-tests/test-xz.mar"));
  ASSERT_TRUE(original);
  MarBuildRequest request;
  request.product_information = *original->product_information();
  for (const MarEntry& e : original->entries()) request.entries.push_back({e.name, original->entry_bytes(e), e.flags});
  auto built = build_mar(request);
  ASSERT_TRUE(built) << built.error().to_string();
  EXPECT_EQ(*built, as_chars(original->bytes()));
}

TEST(MarWriter, LaysOutLikeMozillasTool) {
  MarBuildRequest request;
  request.product_information = {"firefox-mozilla-release", "153.0"};
  const std::string a = "first";
  const std::string b = "second entry";
  request.entries = {{"b/second", bytes_of(b), 0755}, {"a", bytes_of(a), 0644}};
  auto bytes = build_mar(request);
  ASSERT_TRUE(bytes);
  MarArchive archive = open_or_die(*bytes);
  EXPECT_TRUE(archive.signatures().empty());
  ASSERT_NE(archive.product_information_block(), nullptr);
  EXPECT_EQ(archive.product_information_block()->size, 104u);
  EXPECT_EQ(archive.data_offset(), 16u + 4 + 4 + 104);
  ASSERT_EQ(archive.entries().size(), 2u);
  EXPECT_EQ(archive.entries()[0].name, "b/second");  // order as given
  EXPECT_EQ(archive.entries()[0].offset, archive.data_offset());
  EXPECT_EQ(archive.entries()[0].flags, 0755u);
  EXPECT_EQ(as_chars(archive.entry_bytes(archive.entries()[1])), "first");
  EXPECT_EQ(*bytes, *build_mar(request));  // deterministic

  request.pad_product_information = false;
  auto unpadded = build_mar(request);
  ASSERT_TRUE(unpadded);
  EXPECT_EQ(open_or_die(*unpadded).product_information_block()->size,
            8u + request.product_information.channel.size() + 1 + request.product_information.version.size() + 1);
}

TEST(MarWriter, RefusesWhatTheReaderWouldRefuse) {
  const std::string x = "x";
  const std::string empty;
  auto attempt = [&](std::vector<MarWriterEntry> entries, ProductInformation info = {"c", "1"}) {
    MarBuildRequest r;
    r.product_information = std::move(info);
    r.entries = std::move(entries);
    return build_mar(r);
  };
  EXPECT_FALSE(attempt({{"../evil", bytes_of(x), 0644}}));
  EXPECT_FALSE(attempt({{"/abs", bytes_of(x), 0644}}));
  EXPECT_FALSE(attempt({{"a", bytes_of(x), 0644}, {"a", bytes_of(x), 0644}}));
  auto zero = attempt({{"empty", bytes_of(empty), 0644}});
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message().find("zero-length"), std::string::npos);
  EXPECT_FALSE(attempt({{"a", bytes_of(x), 0644}}, {std::string(64, 'c'), "1"}));
  MarBuildRequest big;
  big.product_information = {"c", "1"};
  big.max_file_size = 100;
  const std::string data(200, 'd');
  big.entries = {{"a", bytes_of(data), 0644}};
  auto too_big = build_mar(big);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code(), Code::kTooLarge);
}

TEST(MarWriter, RebuildWithSignaturesMovesOffsetsAndKeepsData) {
  auto signed_mar = MarArchive::open_file(fixture("build-mar-tests/test-bz2.mar"));
  ASSERT_TRUE(signed_mar);
  auto stripped = rebuild_with_signatures(*signed_mar, {});
  ASSERT_TRUE(stripped) << stripped.error().to_string();
  MarArchive s = open_or_die(*stripped);
  EXPECT_TRUE(s.has_signature_block());
  EXPECT_TRUE(s.signatures().empty());
  EXPECT_EQ(s.file_size(), signed_mar->file_size() - 256 - 8);
  EXPECT_EQ(s.product_information()->channel, "thunderbird-comm-esr");
  ASSERT_EQ(s.entries().size(), signed_mar->entries().size());
  for (std::size_t i = 0; i < s.entries().size(); ++i) {
    EXPECT_EQ(s.entries()[i].name, signed_mar->entries()[i].name);
    EXPECT_EQ(s.entries()[i].flags, signed_mar->entries()[i].flags);
    EXPECT_EQ(as_chars(s.entry_bytes(s.entries()[i])), as_chars(signed_mar->entry_bytes(signed_mar->entries()[i])));
  }
  auto two = rebuild_with_signatures(s, {{2, std::string(512, 'a')}, {1, std::string(256, 'b')}});
  ASSERT_TRUE(two);
  MarArchive t = open_or_die(*two);
  ASSERT_EQ(t.signatures().size(), 2u);
  EXPECT_EQ(t.signatures()[1].algorithm_id, 1u);
  EXPECT_EQ(as_chars(t.entry_bytes(t.entries()[4])), as_chars(s.entry_bytes(s.entries()[4])));
  EXPECT_FALSE(rebuild_with_signatures(s, std::vector<MarSignatureSlot>(9, {2, std::string(8, 'a')})));
  EXPECT_FALSE(rebuild_with_signatures(s, {{2, std::string(2049, 'a')}}));
}

TEST(MarWriter, ProductInformationIsRewrittenInPlaceWhenItFits) {
  auto original = MarArchive::open_file(fixture("build-mar-tests/test-xz.mar"));
  ASSERT_TRUE(original);
  auto rewrite = rewrite_product_information(*original, {"firefox-mozilla-release", "153.7.0esr"});
  ASSERT_TRUE(rewrite) << rewrite.error().to_string();
  ASSERT_FALSE(rewrite->whole_file);
  // What `mar -i` does to the file: the block written over it in place.
  auto refreshed = std::make_optional(std::string(as_chars(original->bytes())));
  refreshed->replace(rewrite->offset, rewrite->bytes.size(), rewrite->bytes);
  ASSERT_EQ(refreshed->size(), original->file_size());
  const MarAdditionalSection& block = *original->product_information_block();
  const std::string_view before = as_chars(original->bytes());
  for (std::size_t i = 0; i < refreshed->size(); ++i) {
    if (i >= block.offset && i < block.offset + block.size) continue;
    ASSERT_EQ((*refreshed)[i], before[i]) << "byte " << i << " outside the block changed";
  }
  MarArchive r = open_or_die(*refreshed);
  EXPECT_EQ(r.product_information()->channel, "firefox-mozilla-release");
  EXPECT_EQ(r.product_information()->version, "153.7.0esr");
}

TEST(MarWriter, ProductInformationGrowsAnUnpaddedBlockByRebuilding) {
  auto original = MarArchive::open_file(fixture("synthetic-partial/synthfox-1.0.complete.mar"));
  ASSERT_TRUE(original);
  ASSERT_LT(original->product_information_block()->size, 104u);  // build-mar: unpadded
  auto refreshed = rewrite_product_information(*original, {"a-much-longer-channel-name-than-before", "1.0.1"});
  ASSERT_TRUE(refreshed) << refreshed.error().to_string();
  ASSERT_TRUE(refreshed->whole_file);
  MarArchive r = open_or_die(refreshed->bytes);
  EXPECT_EQ(r.product_information_block()->size, 104u);
  EXPECT_EQ(r.product_information()->channel, "a-much-longer-channel-name-than-before");
  for (std::size_t i = 0; i < r.entries().size(); ++i) {
    EXPECT_EQ(as_chars(r.entry_bytes(r.entries()[i])), as_chars(original->entry_bytes(original->entries()[i])));
  }
}

TEST(MarWriter, ProductInformationRefusesSignedArchives) {
  auto signed_mar = MarArchive::open_file(fixture("build-mar-tests/test-bz2.mar"));
  ASSERT_TRUE(signed_mar);
  auto r = rewrite_product_information(*signed_mar, {"c", "1"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("signed"), std::string::npos);
}

}  // namespace
}  // namespace bh::mar
