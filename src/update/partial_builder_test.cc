#include "update/partial_builder.h"

#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "update/applier.h"
#include "update/update_test_support.h"
#include "update/verify.h"

namespace bh::update {
namespace {

using testing::apply_request;
using testing::FileMap;

std::filesystem::path golden(const std::string& name) {
  return bh::testing::shared_dir() / "fixtures/mar/synthetic-partial" / name;
}

std::vector<std::string> manifest_lines(const Manifest& m) {
  std::vector<std::string> out;
  for (const ManifestAction& a : m.actions) out.push_back(format_action(a));
  return out;
}

Result<PartialBuild> build(const std::string& from, const std::string& to, PartialOptions options = {}, unsigned cpus = 2) {
  auto a = mar::MarArchive::from_bytes(from);
  auto b = mar::MarArchive::from_bytes(to);
  if (!a || !b) return fail(internal_error("test MAR did not open"));
  Executor executor({.cpu_budget = cpus});
  return build_partial(*a, *b, options, executor);
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// A binary-like file and its next version: a block inserted in the middle, a table of pointers shifted.
std::pair<std::string, std::string> binary_pair(std::size_t n, unsigned seed) {
  std::string old_data = random_bytes(n, seed);
  for (std::size_t i = n / 2; i + 4 < n && i < n / 2 + 4000; i += 4) old_data[i] = static_cast<char>(i & 0x7F);
  std::string new_data = old_data;
  new_data.insert(n / 3, random_bytes(300, seed + 1));
  for (std::size_t i = n / 2 + 300; i + 4 < new_data.size() && i < n / 2 + 4300; i += 4) new_data[i] = static_cast<char>(new_data[i] + 16);
  return {old_data, new_data};
}

TEST(PartialBuilder, ReproducesMozillasGoldenPartial) {
  auto from = mar::MarArchive::open_file(golden("synthfox-1.0.complete.mar"));
  auto to = mar::MarArchive::open_file(golden("synthfox-2.0.complete.mar"));
  ASSERT_TRUE(from && to);
  Executor executor({.cpu_budget = 2});
  auto built = build_partial(*from, *to, {}, executor);
  ASSERT_TRUE(built) << built.error().to_string();
  // The manifest, instruction for instruction.
  auto expected = parse_manifest(bh::testing::read_text(golden("synthfox-1.0-2.0.partial.updatev3.manifest.txt")));
  ASSERT_TRUE(expected);
  EXPECT_EQ(manifest_lines(built->manifest), manifest_lines(*expected));
  // Per-file decisions and full-file sizes as Mozilla's run recorded them.
  std::ifstream tsv(golden("synthfox-1.0-2.0.partial.per-file-decisions.tsv"));
  std::string line;
  std::size_t checked = 0;
  while (std::getline(tsv, line)) {
    std::istringstream fields(line);
    std::string path, field;
    fields >> path;
    std::uint64_t patch_xz = 0, full_xz = 0;
    while (fields >> field) {
      if (field.rfind("patch_xz=", 0) == 0) patch_xz = std::stoull(field.substr(9));
      if (field.rfind("full_xz=", 0) == 0) full_xz = std::stoull(field.substr(8));
    }
    const FileReport* report = nullptr;
    for (const FileReport& f : built->files) {
      if (f.path == path) report = &f;
    }
    ASSERT_NE(report, nullptr) << path;
    EXPECT_EQ(report->decision, patch_xz < full_xz ? "patch" : "add") << path;
    EXPECT_EQ(report->full_bytes, full_xz) << path;
    ++checked;
  }
  EXPECT_EQ(checked, 5u);
  // The archive: the same entries in the same order, the PIB of TO, modes as the script sets them.
  auto ours = mar::MarArchive::from_bytes(built->mar);
  auto theirs = mar::MarArchive::open_file(golden("synthfox-1.0-2.0.partial.mar"));
  ASSERT_TRUE(ours && theirs);
  ASSERT_EQ(ours->entries().size(), theirs->entries().size());
  for (std::size_t i = 0; i < ours->entries().size(); ++i) {
    EXPECT_EQ(ours->entries()[i].name, theirs->entries()[i].name);
    EXPECT_EQ(ours->entries()[i].flags, theirs->entries()[i].flags) << ours->entries()[i].name;
  }
  EXPECT_EQ(ours->product_information()->channel, "synthfox-test");
  EXPECT_EQ(ours->product_information()->version, "2.0");
  // Full files are TO's entries, byte for byte.
  EXPECT_TRUE(std::ranges::equal(ours->entry_bytes(*ours->find("omni.ja")), to->entry_bytes(*to->find("omni.ja"))));
  bh::testing::TempDir scratch;
  EXPECT_TRUE(verify_partial(*ours, *from, *to, {.scratch_parent = scratch.path()}, executor));
}

class SyntheticPair : public ::testing::Test {
 protected:
  void SetUp() override {
    auto [xul_old, xul_new] = binary_pair(300000, 1);
    auto [exe_old, exe_new] = binary_pair(40000, 2);
    from_ = {{"libxul.so", {xul_old, 0755}},
             {"firefox.exe", {exe_old, 0755}},
             {"noise.bin", {random_bytes(20000, 3), 0644}},
             {"libsame.so", {random_bytes(5000, 4), 0755}},
             {"precomplete", {"remove \"libxul.so\"\n", 0644}},
             {"defaults/pref/channel-prefs.js", {"pref(1);\n", 0644}},
             {"gone/deep/file.txt", {"bye\n", 0644}},
             {"old-ext/x.xpi", {"x\n", 0644}},
             {"obsolete.so", {"obsolete\n", 0644}},
             {"app.chk", {"check 1\n", 0644}}};
    to_ = {{"libxul.so", {xul_new, 0755}},
           {"firefox.exe", {exe_new, 0755}},
           {"noise.bin", {random_bytes(20000, 5), 0644}},  // all new bytes: the patch cannot win
           {"libsame.so", from_["libsame.so"]},
           {"precomplete", {"remove \"libxul.so\"\nremove \"bin/tool\"\n", 0644}},
           {"defaults/pref/channel-prefs.js", {"pref(2);\n", 0644}},
           {"app.chk", {"check 1\n", 0644}},  // unchanged, but forced
           {"bin/tool", {"#!/bin/sh\necho new\n", 0755}},
           {"update-settings.ini", {"[Settings]\n", 0644}},
           {"removed-files", {"obsolete.so\nold-ext/*\ngone/\n# comment\n", 0644}}};
  }
  FileMap from_;
  FileMap to_;
};

TEST_F(SyntheticPair, EveryRuleGivesThePredictedManifestAndApplies) {
  const std::string from_mar = testing::complete_mar(from_, "1.0");
  const std::string to_mar = testing::complete_mar(to_, "2.0");
  auto built = build(from_mar, to_mar);
  ASSERT_TRUE(built) << built.error().to_string();
  const std::vector<std::string> want = {
      "add \"precomplete\"",
      "add \"noise.bin\"",
      "patch \"libxul.so.patch\" \"libxul.so\"",
      "add-if-not \"defaults/pref/channel-prefs.js\" \"defaults/pref/channel-prefs.js\"",
      "add \"app.chk\"",
      "add-if-not \"update-settings.ini\" \"update-settings.ini\"",
      "add \"removed-files\"",
      "add \"bin/tool\"",
      "remove \"old-ext/x.xpi\"",
      "remove \"obsolete.so\"",
      "remove \"gone/deep/file.txt\"",
      "rmrfdir \"old-ext/\"",
      "remove \"obsolete.so\"",
      "rmdir \"gone/\"",
      "rmdir \"old-ext/\"",
      "rmdir \"gone/deep/\"",
      "rmdir \"gone/\"",
      "patch \"firefox.exe.patch\" \"firefox.exe\"",
  };
  EXPECT_EQ(manifest_lines(built->manifest), want);
  auto partial = mar::MarArchive::from_bytes(built->mar);
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->find("bin/tool")->flags, 0755u);
  EXPECT_EQ(partial->find("libxul.so.patch")->flags, 0644u);
  EXPECT_EQ(partial->find("noise.bin")->flags, 0644u);
  EXPECT_EQ(partial->find("libsame.so"), nullptr);
  auto x86 = compress::xz_uses_x86_filter(partial->entry_bytes(*partial->find("updatev3.manifest")));
  EXPECT_TRUE(x86 && *x86);
  EXPECT_FALSE(*compress::xz_uses_x86_filter(partial->entry_bytes(*partial->find("libxul.so.patch"))));

  bh::testing::TempDir dir;
  testing::write_tree(dir.path(), from_);
  auto applied = apply_update(*partial, apply_request(dir.path()));
  ASSERT_TRUE(applied) << applied.error().to_string();
  auto after = testing::read_tree(dir.path());
  // channel-prefs.js existed, so add-if-not kept the installed one: the updater's behaviour.
  FileMap expected = to_;
  expected["defaults/pref/channel-prefs.js"] = from_["defaults/pref/channel-prefs.js"];
  ASSERT_EQ(after.size(), expected.size());
  for (const auto& [path, f] : expected) {
    EXPECT_EQ(after[path].content, f.content) << path;
    EXPECT_EQ(after[path].mode, f.mode) << path;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "gone"));
  EXPECT_FALSE(std::filesystem::exists(dir / "old-ext"));
}

TEST_F(SyntheticPair, VerificationCatchesAPartialThatDoesNotReproduceTo) {
  const std::string from_mar = testing::complete_mar(from_, "1.0");
  const std::string to_mar = testing::complete_mar(to_, "2.0");
  auto built = build(from_mar, to_mar);
  ASSERT_TRUE(built);
  auto from = mar::MarArchive::from_bytes(from_mar);
  auto to = mar::MarArchive::from_bytes(to_mar);
  auto partial = mar::MarArchive::from_bytes(built->mar);
  ASSERT_TRUE(from && to && partial);
  Executor executor({.cpu_budget = 2});
  bh::testing::TempDir scratch;
  const VerifyRequest request{.scratch_parent = scratch.path(), .jobs = 0};
  // channel-prefs.js differs between the trees, yet the kept installed one is not a mismatch.
  EXPECT_TRUE(verify_partial(*partial, *from, *to, request, executor));
  // Against another TO: a changed byte, a missing file, a file too many.
  FileMap other = to_;
  other["bin/tool"].content += "#";
  Status changed = verify_partial(*partial, *from, *mar::MarArchive::from_bytes(testing::complete_mar(other, "2.0")), request, executor);
  ASSERT_FALSE(changed);
  EXPECT_NE(changed.message().find("'bin/tool' differs"), std::string::npos) << changed.message();
  other = to_;
  other["extra.txt"] = {"x", 0644};
  EXPECT_FALSE(verify_partial(*partial, *from, *mar::MarArchive::from_bytes(testing::complete_mar(other, "2.0")), request, executor));
  other = to_;
  other.erase("noise.bin");
  EXPECT_FALSE(verify_partial(*partial, *from, *mar::MarArchive::from_bytes(testing::complete_mar(other, "2.0")), request, executor));
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path()));  // scratch directories are removed
}

TEST_F(SyntheticPair, TheBytesDoNotDependOnThreadsMemoryOrTheCache) {
  const std::string from_mar = testing::complete_mar(from_, "1.0");
  const std::string to_mar = testing::complete_mar(to_, "2.0");
  bh::testing::TempDir dir;
  auto cache = BlobPatchCache::open_directory(dir / "cache", 0);
  ASSERT_TRUE(cache);
  PartialOptions options;
  options.xz_block_size = 65536;  // the libxul patch is compressed in independent blocks
  auto one = build(from_mar, to_mar, options, 1);
  options.cache = cache->get();
  options.jobs = 4;
  options.max_memory = 1;  // every job alone
  auto cold = build(from_mar, to_mar, options, 4);
  auto warm = build(from_mar, to_mar, options, 2);
  ASSERT_TRUE(one && cold && warm);
  EXPECT_EQ(one->mar, cold->mar);
  EXPECT_EQ(cold->mar, warm->mar);
  EXPECT_EQ(cold->cache_misses, 3u);  // libxul.so, firefox.exe, noise.bin
  EXPECT_EQ(cold->diffs, 3u);
  EXPECT_EQ(warm->cache_hits, 3u);
  EXPECT_EQ(warm->diffs, 0u);

  // A damaged entry is detected, recomputed and rewritten; the output stays the same.
  std::size_t damaged = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "cache")) {
    if (!e.is_regular_file() || e.path().extension() != ".patch") continue;
    std::string bytes = bh::testing::read_text(e.path());
    bytes[bytes.size() / 2] ^= 0x10;
    bh::testing::write_text(e.path(), bytes);
    ++damaged;
  }
  EXPECT_EQ(damaged, 3u);
  auto again = build(from_mar, to_mar, options, 2);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->mar, one->mar);
  EXPECT_EQ(again->cache_hits, 0u);
  EXPECT_EQ(again->diffs, 3u);
  EXPECT_EQ((*cache)->stats().corrupt, 3u);
  auto healed = build(from_mar, to_mar, options, 2);
  ASSERT_TRUE(healed);
  EXPECT_EQ(healed->cache_hits, 3u);
  // A damaged entry memo (entry SHA-256 -> content SHA-512) is a miss too: the contents are
  // decompressed and hashed again, and the patches still come from the cache.
  std::size_t memos = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "cache" / "entries")) {
    if (!e.is_regular_file()) continue;
    bh::testing::write_text(e.path(), std::string(200, '0') + " 12 " + std::string(64, 'f') + "\n");
    ++memos;
  }
  EXPECT_EQ(memos, 6u);
  auto remembered = build(from_mar, to_mar, options, 2);
  ASSERT_TRUE(remembered);
  EXPECT_EQ(remembered->mar, one->mar);
  EXPECT_EQ(remembered->cache_hits, 3u);
}

TEST_F(SyntheticPair, FollowsTheCompleteMarsCompressionAndTheOptions) {
  // Entries without BCJ: the partial has none either; the channel and version can be set.
  PartialOptions options;
  options.channel_id = "other-channel";
  options.product_version = "2.0.1";
  options.forced = {"libsame.so"};
  auto built = build(testing::complete_mar(from_, "1.0", false), testing::complete_mar(to_, "2.0", false), options);
  ASSERT_TRUE(built) << built.error().to_string();
  auto partial = mar::MarArchive::from_bytes(built->mar);
  ASSERT_TRUE(partial);
  EXPECT_FALSE(*compress::xz_uses_x86_filter(partial->entry_bytes(*partial->find("updatev3.manifest"))));
  EXPECT_EQ(partial->product_information()->channel, "other-channel");
  EXPECT_EQ(partial->product_information()->version, "2.0.1");
  EXPECT_NE(partial->find("libsame.so"), nullptr);  // forced with -f
  // bzip2 when asked (updaters before Firefox 56): every entry, the patches too.
  options.compression = compress::Compression::kBzip2;
  auto bz = build(testing::complete_mar(from_, "1.0"), testing::complete_mar(to_, "2.0"), options);
  ASSERT_TRUE(bz) << bz.error().to_string();
  auto bz_partial = mar::MarArchive::from_bytes(bz->mar);
  ASSERT_TRUE(bz_partial);
  for (const mar::MarEntry& e : bz_partial->entries()) {
    EXPECT_EQ(compress::detect_compression(bz_partial->entry_bytes(e)), compress::Compression::kBzip2) << e.name;
  }
  bh::testing::TempDir dir;
  testing::write_tree(dir.path(), from_);
  ASSERT_TRUE(apply_update(*bz_partial, apply_request(dir.path())));
  EXPECT_EQ(testing::read_tree(dir.path())["libxul.so"].content, to_["libxul.so"].content);
}

TEST_F(SyntheticPair, RefusesWhatTheScriptRefuses) {
  to_.erase("precomplete");
  auto built = build(testing::complete_mar(from_, "1.0"), testing::complete_mar(to_, "2.0"));
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().message().find("precomplete"), std::string::npos);
}

}  // namespace
}  // namespace bh::update
