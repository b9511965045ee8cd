#include "mar/mar_files.h"

#include <random>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/byte_view.h"
#include "mar/mar_test_support.h"
#include "mar/mar_writer.h"

namespace bh::mar {
namespace {

using compress::compress_xz;
using compress::Compression;
using compress::detect_compression;

namespace fs = std::filesystem;
using bh::testing::read_text;
using bh::testing::TempDir;
using bh::testing::write_text;
using testing::bytes_of;
using testing::fixture;

std::vector<std::string> files_under(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::uint32_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 0777;
}

// A small tree like a Firefox install: a binary, text files, a subdirectory.
void make_tree(const fs::path& root) {
  std::mt19937 rng(42);
  std::string binary(200000, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i % 7 == 0 ? rng() : i);
  write_text(root / "libxul.so", binary);
  fs::permissions(root / "libxul.so", fs::perms(0755));
  write_text(root / "application.ini", "[App]\nVendor=Mozilla\nBuildID=20261123000000\n");
  fs::permissions(root / "application.ini", fs::perms(0640));  // stored as it is, not rounded to 0644
  write_text(root / "defaults/pref/channel-prefs.js", "pref(\"app.update.channel\", \"release\");\n");
  write_text(root / "browser/omni.ja", std::string(5000, 'z'));
  write_text(root / "empty.txt", "");
}

const std::vector<std::string> kTreeFiles = {"application.ini", "browser/omni.ja", "defaults/pref/channel-prefs.js",
                                             "empty.txt", "libxul.so"};

TEST(MarFiles, ExtractsTheFixtureDecompressedLikeTheSavedTree) {
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-bz2.mar"));
  ASSERT_TRUE(archive);
  TempDir out;
  ExtractRequest request;
  request.directory = out.path() / "x";
  request.decompress = true;
  auto summary = testing::extract_with_two_workers(*archive, request);
  ASSERT_TRUE(summary) << summary.error().to_string();
  EXPECT_EQ(summary->files, 5u);
  const fs::path saved = fixture("build-mar-tests/test-bz2.extracted");
  EXPECT_EQ(files_under(request.directory), files_under(saved));
  for (const std::string& name : files_under(saved)) {
    EXPECT_EQ(read_text(request.directory / name), read_text(saved / name)) << name;
    EXPECT_EQ(mode_of(request.directory / name), 0664u) << name;
  }
}

TEST(MarFiles, RawExtractionWritesTheStoredBytes) {
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-xz.mar"));
  ASSERT_TRUE(archive);
  TempDir out;
  ASSERT_TRUE(testing::extract_with_two_workers(*archive, testing::extract_to(out.path())));
  for (const MarEntry& e : archive->entries()) {
    EXPECT_EQ(read_text(out / e.name), as_chars(archive->entry_bytes(e))) << e.name;
  }
}

TEST(MarFiles, CreateListExtractRoundTripsForEveryCompression) {
  TempDir dir;
  make_tree(dir / "tree");
  struct Variant {
    Compression compression;
    bool bcj;
  };
  for (const Variant v : {Variant{Compression::kXz, false}, Variant{Compression::kXz, true},
                          Variant{Compression::kBzip2, false}}) {
    CreateRequest request;
    request.product_information = {"firefox-mozilla-release", "153.7.0esr"};
    request.compression = v.compression;
    request.xz.x86_bcj = v.bcj;
    for (const std::string& f : kTreeFiles) request.files.push_back({f, dir / "tree" / f});
    auto bytes = testing::create_with_two_workers(request);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    request.jobs = 1;
    auto again = testing::create_with_two_workers(request);
    ASSERT_TRUE(again);
    EXPECT_EQ(*bytes, *again) << "output depends on the thread count";

    auto archive = MarArchive::from_bytes(*bytes);
    ASSERT_TRUE(archive) << archive.error().to_string();
    ASSERT_EQ(archive->entries().size(), kTreeFiles.size());
    for (std::size_t i = 0; i < kTreeFiles.size(); ++i) {
      const MarEntry& e = archive->entries()[i];
      EXPECT_EQ(e.name, kTreeFiles[i]);
      EXPECT_EQ(e.flags, mode_of(dir / "tree" / e.name)) << e.name;
      EXPECT_GT(e.size, 0u) << "an empty file must still be a compressed stream";
      EXPECT_EQ(detect_compression(archive->entry_bytes(e)),
                v.compression);
    }
    const fs::path out = dir / "out";
    fs::remove_all(out);
    auto summary = testing::extract_with_two_workers(*archive, testing::extract_to(out, true));
    ASSERT_TRUE(summary) << summary.error().to_string();
    EXPECT_EQ(files_under(out), kTreeFiles);
    for (const std::string& f : kTreeFiles) EXPECT_EQ(read_text(out / f), read_text(dir / "tree" / f)) << f;
    EXPECT_EQ(mode_of(out / "libxul.so"), 0755u);
    EXPECT_EQ(mode_of(out / "application.ini"), 0640u);
  }
}

TEST(MarFiles, UncompressedCreateRefusesEmptyFiles) {
  TempDir dir;
  make_tree(dir / "tree");
  CreateRequest request;
  request.product_information = {"c", "1"};
  request.files = {{"empty.txt", dir / "tree/empty.txt"}};
  auto r = testing::create_with_two_workers(request);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("zero-length"), std::string::npos);
  request.files = {{"missing", dir / "tree/missing"}};
  EXPECT_FALSE(testing::create_with_two_workers(request));
  request.files = {{"tree", dir / "tree"}};
  EXPECT_FALSE(testing::create_with_two_workers(request));
}

TEST(MarFiles, ExtractionNeverFollowsSymlinksOutOfTheTarget) {
  TempDir dir;
  const fs::path outside = dir / "outside";
  fs::create_directories(outside);
  write_text(outside / "channel-prefs.js", "precious");
  write_text(outside / "victim", "precious");
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-xz.mar"));
  ASSERT_TRUE(archive);

  // A directory on the way is a symlink: refused, nothing written outside.
  const fs::path target = dir / "target";
  fs::create_directories(target / "defaults");
  fs::create_symlink(outside, target / "defaults/pref");
  auto r = testing::extract_with_two_workers(*archive, testing::extract_to(target));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("defaults/pref"), std::string::npos) << r.error().message();
  EXPECT_EQ(read_text(outside / "channel-prefs.js"), "precious");

  // The file itself is a symlink: replaced, its target untouched.
  const fs::path target2 = dir / "target2";
  fs::create_directories(target2);
  fs::create_symlink(outside / "victim", target2 / "update-settings.ini");
  ASSERT_TRUE(testing::extract_with_two_workers(*archive, testing::extract_to(target2)));
  EXPECT_FALSE(fs::is_symlink(target2 / "update-settings.ini"));
  EXPECT_EQ(read_text(outside / "victim"), "precious");
}

TEST(MarFiles, AFailedEntryLeavesNoPartialFileAndKeepsTheOldOne) {
  // A bomb entry over the limit next to a good one.
  const std::string zeros(4 << 20, '\0');
  auto bomb = compress_xz(bytes_of(zeros), {});
  auto good = compress_xz(bytes_of("fine"), {});
  MarBuildRequest build;
  build.product_information = {"c", "1"};
  build.entries = {{"bomb", bytes_of(*bomb), 0644}, {"good", bytes_of(*good), 0644}};
  auto archive = MarArchive::from_bytes(*build_mar(build));
  ASSERT_TRUE(archive);
  TempDir out;
  write_text(out / "bomb", "old contents");
  ExtractRequest request = testing::extract_to(out.path(), true);
  request.limits.max_output_bytes = 1 << 20;
  request.jobs = 1;
  auto r = testing::extract_with_two_workers(*archive, request);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kTooLarge);
  EXPECT_NE(r.error().message().find("'bomb'"), std::string::npos);
  EXPECT_EQ(read_text(out / "bomb"), "old contents");
  for (const auto& e : fs::directory_iterator(out.path())) {
    EXPECT_EQ(e.path().filename().string().find(".bh-tmp"), std::string::npos) << e.path();
  }
}

TEST(MarFiles, DecompressingAZeroLengthEntryIsAClearError) {
  testing::RawMar raw;
  raw.sections = {testing::RawMar::pib("c", "1")};
  raw.entries.push_back(testing::RawEntry{.name = "empty", .data = ""});
  auto archive = MarArchive::from_bytes(raw.build());
  ASSERT_TRUE(archive);
  TempDir out;
  EXPECT_TRUE(testing::extract_with_two_workers(*archive, testing::extract_to(out / "raw")));  // as Mozilla's -x does
  auto r = testing::extract_with_two_workers(*archive, testing::extract_to(out / "dec", true));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("zero-length"), std::string::npos);
  EXPECT_FALSE(fs::exists(out / "dec/empty"));
}

}  // namespace
}  // namespace bh::mar
