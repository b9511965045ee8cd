#include "update/applier.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "core/executor.h"
#include "diff/mbdiff_diff.h"
#include "mar/mar_files.h"
#include "update/update_test_support.h"

namespace bh::update {
namespace {

using testing::apply_request;
using testing::FileMap;
using testing::snapshot;

std::filesystem::path golden(const std::string& name) {
  return bh::testing::shared_dir() / "fixtures/mar/synthetic-partial" / name;
}

// An update MAR holding `manifest` and the given raw entries (xz'd here).
std::string update_mar(const std::string& manifest, const std::map<std::string, std::string>& entries,
                       const std::string& version = "2.0", const std::string& channel = "test-channel") {
  std::vector<std::string> packed;
  packed.push_back(*compress::compress_xz(as_bytes(manifest), {}));
  for (const auto& [name, content] : entries) packed.push_back(*compress::compress_xz(as_bytes(content), {}));
  mar::MarBuildRequest request;
  request.product_information = {channel, version};
  request.entries.push_back({"updatev3.manifest", as_bytes(packed[0]), 0644});
  std::size_t i = 1;
  for (const auto& [name, content] : entries) request.entries.push_back({name, as_bytes(packed[i++]), 0755});
  return *mar::build_mar(request);
}

std::string patch_between(const std::string& old_data, const std::string& new_data) {
  Executor executor({.cpu_budget = 2});
  return *diff::make_patch({as_bytes(old_data), as_bytes(new_data), {}, {}}, executor);
}

Result<ApplySummary> apply_mar(const std::string& mar_bytes, const std::filesystem::path& dir,
                           std::optional<std::string> channels = std::nullopt,
                           std::optional<std::string> version = std::nullopt) {
  auto mar = mar::MarArchive::from_bytes(mar_bytes);
  if (!mar) return fail(mar.error());
  ApplyRequest request;
  request.directory = dir;
  request.accepted_channels = std::move(channels);
  request.installed_version = std::move(version);
  return apply_update(*mar, request);
}

class ApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_tree(dir_.path(), {{"app.bin", {old_app_, 0755}},
                                      {"lib/a.so", {"library a\n", 0644}},
                                      {"lib/b.so", {"library b\n", 0644}},
                                      {"keep/me.txt", {"kept\n", 0600}}});
    std::filesystem::create_directories(dir_ / "empty");
    before_ = snapshot(dir_.path());
  }
  // The update failed and DIR is as it was: same files, bytes, modes; no staging left behind.
  void expect_untouched(const Result<ApplySummary>& result, const std::string& needle) {
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find(needle), std::string::npos) << result.error().message();
    EXPECT_EQ(snapshot(dir_.path()), before_);
  }

  bh::testing::TempDir dir_;
  std::string old_app_ = std::string(5000, 'a') + "old build id 1234" + std::string(3000, 'b');
  std::string new_app_ = std::string(5000, 'a') + "new build id 56789" + std::string(3000, 'b');
  std::map<std::string, std::string> before_;
};

TEST_F(ApplierTest, AppliesEveryInstructionInOrder) {
  const std::string manifest =
      "type \"partial\"\n"
      "patch \"app.bin.patch\" \"app.bin\"\n"
      "add \"lib/new.so\"\n"
      "add-if-not \"lib/a.so\" \"lib/a.so\"\n"   // a.so exists: skipped
      "add-if \"lib\" \"lib/c.so\"\n"            // lib exists: added
      "add-if \"nowhere\" \"lib/d.so\"\n"        // skipped
      "remove \"lib/b.so\"\n"
      "remove \"lib/never-there.so\"\n"          // skipped
      "rmdir \"empty/\"\n"
      "rmdir \"keep/\"\n"                        // not empty: stays, not an error
      "add \"deep/new/dir/file.txt\"\n";
  auto result = apply_mar(update_mar(manifest, {{"app.bin.patch", patch_between(old_app_, new_app_)},
                                            {"lib/new.so", "new library"},
                                            {"lib/a.so", "should not replace"},
                                            {"lib/c.so", "c"},
                                            {"lib/d.so", "d"},
                                            {"deep/new/dir/file.txt", "deep"}}),
                      dir_.path());
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->type, ManifestType::kPartial);
  EXPECT_EQ(result->patched, 1u);
  EXPECT_EQ(result->added, 3u);
  EXPECT_EQ(result->removed, 1u);
  EXPECT_EQ(result->directories_removed, 1u);
  auto after = testing::read_tree(dir_.path());
  EXPECT_EQ(after["app.bin"].content, new_app_);
  EXPECT_EQ(after["app.bin"].mode, 0755u);  // a patched file keeps its mode
  EXPECT_EQ(after["lib/new.so"].mode, 0755u);  // an added one gets the entry's
  EXPECT_EQ(after["lib/a.so"].content, "library a\n");
  EXPECT_EQ(after["lib/c.so"].content, "c");
  EXPECT_FALSE(after.contains("lib/d.so"));
  EXPECT_FALSE(after.contains("lib/b.so"));
  EXPECT_EQ(after["deep/new/dir/file.txt"].content, "deep");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "empty"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "keep/me.txt"));
  // Nothing but the results: no staging directory left.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_NE(entry.path().filename().string().rfind(".buildhub", 0), 0u) << entry.path();
  }
}

TEST_F(ApplierTest, RmrfdirRemovesATreeAndCompleteUpdatesRunPrecomplete) {
  testing::write_tree(dir_.path(), {{"old-ext/a/b.txt", {"x", 0644}}, {"old-ext/c.txt", {"y", 0644}},
                                    {"precomplete", {"remove \"lib/a.so\"\nremove \"lib/b.so\"\nrmdir \"lib/\"\n", 0644}}});
  auto partial = apply_mar(update_mar("rmrfdir \"old-ext/\"\n", {}), dir_.path());
  ASSERT_TRUE(partial) << partial.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "old-ext"));
  auto complete = apply_mar(update_mar("type \"complete\"\nadd \"lib/z.so\"\n", {{"lib/z.so", "z"}}), dir_.path());
  ASSERT_TRUE(complete) << complete.error().to_string();
  EXPECT_EQ(complete->type, ManifestType::kComplete);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "lib/a.so"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "lib/b.so"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "lib/z.so"));  // rmdir "lib/" found it not empty
}

TEST_F(ApplierTest, AFileCanBecomeADirectory) {
  // As the updater runs it: remove the file, then add below the path (its directory is created).
  auto result = apply_mar(update_mar("remove \"app.bin\"\nadd \"app.bin/inside\"\n", {{"app.bin/inside", "x"}}), dir_.path());
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(bh::testing::read_text(dir_ / "app.bin/inside"), "x");
  // Without the remove, the file is in the way and nothing changes.
  before_ = snapshot(dir_.path());
  expect_untouched(apply_mar(update_mar("add \"lib/a.so/x\"\n", {{"lib/a.so/x", "x"}}), dir_.path()), "not a directory");
}

TEST_F(ApplierTest, AWrongSourceRollsEverythingBack) {
  // The patch was made against another app.bin: its CRC check fails, after an add that ran first.
  const std::string other = std::string(5000, 'a') + "OLD BUILD ID 1234" + std::string(3000, 'b');
  expect_untouched(apply_mar(update_mar("add \"lib/new.so\"\nremove \"lib/a.so\"\npatch \"app.bin.patch\" \"app.bin\"\n",
                                    {{"lib/new.so", "n"}, {"app.bin.patch", patch_between(other, new_app_)}}),
                         dir_.path()),
                   "CRC");
}

TEST_F(ApplierTest, BadInstructionsAreRefusedAndNamed) {
  std::string patch = patch_between(old_app_, new_app_);
  expect_untouched(apply_mar(update_mar("add \"lib/x\"\npatch \"p\" \"app.bin\"\n", {{"lib/x", "x"}, {"p", patch.substr(0, patch.size() - 3)}}),
                         dir_.path()),
                   "instruction 2");
  expect_untouched(apply_mar(update_mar("add \"lib/missing.so\"\n", {}), dir_.path()), "no entry 'lib/missing.so'");
  expect_untouched(apply_mar(update_mar("patch \"p\" \"nothere\"\n", {{"p", patch}}), dir_.path()), "does not exist");
  expect_untouched(apply_mar(update_mar("add \"../escape\"\n", {}), dir_.path()), "..");
  expect_untouched(apply_mar(update_mar("add \"/etc/escape\"\n", {}), dir_.path()), "absolute");
  expect_untouched(apply_mar(update_mar("remove \"lib\"\n", {}), dir_.path()), "directory");
  expect_untouched(apply_mar(update_mar("add \"lib\"\n", {{"lib", "x"}}), dir_.path()), "is a directory");
  expect_untouched(apply_mar(update_mar("frobnicate \"x\"\n", {}), dir_.path()), "unknown instruction");
}

TEST_F(ApplierTest, NeverWritesThroughASymlink) {
  bh::testing::TempDir outside;
  std::filesystem::create_directory_symlink(outside.path(), dir_ / "link");
  std::filesystem::create_symlink(outside / "target.txt", dir_ / "app-link");
  bh::testing::write_text(outside / "target.txt", "outside");
  before_ = snapshot(dir_.path());
  expect_untouched(apply_mar(update_mar("add \"link/evil.txt\"\n", {{"link/evil.txt", "evil"}}), dir_.path()), "symlink");
  expect_untouched(apply_mar(update_mar("patch \"p\" \"app-link\"\n", {{"p", patch_between("outside", "inside")}}), dir_.path()),
                   "symlink");
  EXPECT_FALSE(std::filesystem::exists(outside / "evil.txt"));
  EXPECT_EQ(bh::testing::read_text(outside / "target.txt"), "outside");
  // An add replaces a symlink in its place instead of following it.
  ASSERT_TRUE(apply_mar(update_mar("add \"app-link\"\n", {{"app-link", "now a file"}}), dir_.path()));
  EXPECT_EQ(bh::testing::read_text(outside / "target.txt"), "outside");
  EXPECT_FALSE(std::filesystem::is_symlink(dir_ / "app-link"));
}

TEST_F(ApplierTest, ChecksTheProductInformation) {
  const std::string mar = update_mar("add \"x\"\n", {{"x", "x"}}, "115.2.0esr", "firefox-mozilla-esr");
  expect_untouched(apply_mar(mar, dir_.path(), "firefox-mozilla-release,firefox-mozilla-beta"), "not among the accepted");
  expect_untouched(apply_mar(mar, dir_.path(), std::nullopt, "128.0esr"), "downgrade");
  EXPECT_TRUE(apply_mar(mar, dir_.path(), "firefox-mozilla-release, firefox-mozilla-esr", "115.2.0esr"));
}

TEST(Applier, TheGoldenPartialTurnsTheOldTreeIntoTheNewOne) {
  bh::testing::TempDir dir;
  Executor executor({.cpu_budget = 2});
  auto from = mar::MarArchive::open_file(golden("synthfox-1.0.complete.mar"));
  auto to = mar::MarArchive::open_file(golden("synthfox-2.0.complete.mar"));
  auto partial = mar::MarArchive::open_file(golden("synthfox-1.0-2.0.partial.mar"));
  ASSERT_TRUE(from && to && partial);
  mar::ExtractRequest extract;
  extract.directory = dir.path();
  extract.decompress = true;
  ASSERT_TRUE(mar::extract_archive(*from, extract, executor));
  auto result = apply_update(*partial, apply_request(dir.path()));
  ASSERT_TRUE(result) << result.error().to_string();
  bh::testing::TempDir want;
  extract.directory = want.path();
  ASSERT_TRUE(mar::extract_archive(*to, extract, executor));
  auto got = testing::read_tree(dir.path());
  auto expected = testing::read_tree(want.path());
  got.erase("updatev3.manifest");
  expected.erase("updatev3.manifest");
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [path, f] : expected) EXPECT_EQ(got[path].content, f.content) << path;
}

}  // namespace
}  // namespace bh::update
