#include "update/partial_rules.h"

#include <gtest/gtest.h>

namespace bh::update {
namespace {

TreeFile file(std::string path, std::string digest, std::uint64_t size = 10) { return {std::move(path), std::move(digest), size}; }

std::vector<std::string> lines(const Manifest& m) {
  std::vector<std::string> out;
  for (const ManifestAction& a : m.actions) out.push_back(format_action(a));
  return out;
}

TEST(PartialRules, ClassifiesAsTheScriptDoes) {
  EXPECT_TRUE(is_add_if_not_file("defaults/pref/channel-prefs.js"));
  EXPECT_TRUE(is_add_if_not_file("update-settings.ini"));
  EXPECT_TRUE(is_add_if_not_file("Contents/Frameworks/ChannelPrefs.framework/ChannelPrefs"));
  EXPECT_TRUE(is_add_if_not_file("UpdateSettings.framework/x"));
  EXPECT_FALSE(is_add_if_not_file("Contents/Frameworks/MyChannelPrefs.framework/x"));  // (^|/) anchors it
  EXPECT_FALSE(is_add_if_not_file("channel-prefs.js.bak"));
  const std::vector<std::string> none;
  for (const char* p : {"precomplete", "removed-files", "Contents/Resources/precomplete", "Contents/Resources/removed-files",
                        "Contents/CodeResources", "Contents/MacOS/firefox", "a/b.chk", "chk"}) {
    EXPECT_TRUE(is_forced_file(p, none)) << p;
  }
  // ${f##*.}: "a.b/chk" has "b/chk" after its last dot, so it is not forced.
  EXPECT_FALSE(is_forced_file("a.b/chk", none));
  EXPECT_FALSE(is_forced_file("dir/chk", none));
  EXPECT_FALSE(is_forced_file("libxul.so", none));
  EXPECT_TRUE(is_forced_file("libxul.so", {"libxul.so"}));
  EXPECT_TRUE(is_manifest_file("sub/updatev2.manifest"));
}

TEST(PartialRules, OrdersEverythingAsTheScriptDoes) {
  PartialRulesRequest r;
  r.from = {file("precomplete", "p1"), file("a.so", "a1"), file("b.so", "b1"), file("dir/x", "x"), file("dir/sub/y", "y"),
            file("same", "s"), file("update-settings.ini", "u"), file("updatev3.manifest", "m1"), file("gone.txt", "g"),
            file("firefox.exe", "f1")};
  r.to = {file("precomplete", "p2"), file("a.so", "a2"), file("b.so", "b1", 11), file("same", "s"),
          file("update-settings.ini", "u"), file("updatev3.manifest", "m2"), file("new/n.txt", "n"),
          file("new/channel-prefs.js", "c"), file("firefox.exe", "f2"), file("removed-files", "r")};
  r.removed_files = "dir/\n# comment\n\nold thing.txt\r\nextensions/*\n\tx\ty\n";
  auto plan = plan_partial(r);
  ASSERT_TRUE(plan) << plan.error().to_string();
  auto m = partial_manifest(*plan, [](const std::string& p) { return p != "b.so"; });
  const std::vector<std::string> want = {
      "add-if-not \"update-settings.ini\" \"update-settings.ini\"",
      "add \"precomplete\"",
      "add \"b.so\"",  // same digest, other size: changed; the decision said full
      "patch \"a.so.patch\" \"a.so\"",
      "add \"removed-files\"",
      "add \"new/n.txt\"",
      "add-if-not \"new/channel-prefs.js\" \"new/channel-prefs.js\"",
      "remove \"gone.txt\"",
      "remove \"dir/x\"",
      "remove \"dir/sub/y\"",
      // removed-files: lines reversed with spaces as '|' ('|' sorts after letters), tabs split,
      // CR dropped, comments and blanks skipped.
      "remove \"old thing.txt\"",
      "rmrfdir \"extensions/\"",
      "rmdir \"dir/\"",
      "remove \"x\"",
      "remove \"y\"",
      "rmdir \"dir/sub/\"",
      "rmdir \"dir/\"",
      "patch \"firefox.exe.patch\" \"firefox.exe\"",  // moved to the very end
  };
  EXPECT_EQ(lines(m), want);
  EXPECT_EQ(m.type, ManifestType::kPartial);
  EXPECT_EQ(plan->unchanged, std::vector<std::string>{"same"});
  ASSERT_EQ(plan->files.size(), 8u);
  EXPECT_EQ(archive_name(plan->files[4], true), "a.so.patch");
  EXPECT_EQ(plan->files[4].rule, FileRule::kChanged);
  EXPECT_EQ(plan->files[7].rule, FileRule::kNewAddIfNot);
}

TEST(PartialRules, RefusesWhatCannotBecomeAManifest) {
  PartialRulesRequest r;
  r.from = {file("a", "1")};
  r.to = {file("a", "2")};
  auto no_precomplete = plan_partial(r);
  ASSERT_FALSE(no_precomplete);
  EXPECT_NE(no_precomplete.error().message().find("precomplete"), std::string::npos);
  r.to.push_back(file("Contents/Resources/precomplete", "p"));
  EXPECT_TRUE(plan_partial(r));
  r.to.push_back(file("say \"hi\".txt", "q"));
  EXPECT_FALSE(plan_partial(r));
  r.to.pop_back();
  r.removed_files = "../../etc/passwd\n";
  EXPECT_FALSE(plan_partial(r));
  EXPECT_EQ(removed_files_path({file("Contents/Resources/removed-files", "x"), file("removed-files", "y")}), "removed-files");
  EXPECT_EQ(removed_files_path({file("a", "x")}), std::nullopt);
}

}  // namespace
}  // namespace bh::update
