#include "update/manifest.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace bh::update {
namespace {

TEST(Manifest, ParsesEveryInstructionAndWritesItBack) {
  const std::string text =
      "type \"partial\"\n"
      "add \"a\"\n"
      "add-if \"dist/ext\" \"dist/ext/x.xpi\"\n"
      "add-if-not \"update-settings.ini\" \"update-settings.ini\"\n"
      "patch \"libxul.so.patch\" \"libxul.so\"\n"
      "patch-if \"dist/ext\" \"dist/ext/y.patch\" \"dist/ext/y\"\n"
      "remove \"old.txt\"\n"
      "rmdir \"olddir/\"\n"
      "rmrfdir \"browser/old-extensions/\"\n";
  auto m = parse_manifest(text);
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->type, ManifestType::kPartial);
  ASSERT_EQ(m->actions.size(), 8u);
  EXPECT_EQ(m->actions[3].kind, ActionKind::kPatch);
  EXPECT_EQ(m->actions[3].patch_file, "libxul.so.patch");
  EXPECT_EQ(m->actions[3].file, "libxul.so");
  EXPECT_EQ(m->actions[3].line, 5u);
  EXPECT_EQ(m->actions[4].test_file, "dist/ext");
  EXPECT_EQ(write_manifest(*m), text);
}

TEST(Manifest, ToleratesWhatTheUpdaterTolerates) {
  // Comments, blank lines, CRLF, tabs, a missing final newline, no type line, trailing words.
  auto m = parse_manifest("# generated\n\n\tadd  \"a\"\r\nremove \"b\" trailing words\nrmdir \"c/\"");
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->type, ManifestType::kNone);
  ASSERT_EQ(m->actions.size(), 3u);
  EXPECT_EQ(m->actions[0].file, "a");
  EXPECT_EQ(m->actions[2].line, 5u);
  // The golden partial's manifest parses.
  auto golden = parse_manifest(testing::read_text(
      testing::shared_dir() / "fixtures/mar/synthetic-partial/synthfox-1.0-2.0.partial.updatev3.manifest.txt"));
  ASSERT_TRUE(golden);
  EXPECT_EQ(golden->actions.size(), 19u);
}

TEST(Manifest, RefusesWhatTheUpdaterRefuses) {
  const char* bad[] = {
      "add \"/etc/passwd\"\n",          // absolute
      "add \"a/../../x\"\n",            // climbs out
      "add \"a..b\"\n",                 // the updater refuses ".." anywhere
      "rmdir \"dir\"\n",                // a directory without its slash
      "add \"dir/\"\n",                 // a file with one
      "add \"\"\n",                     // empty
      "add \"a\\\\b\"\n",               // backslash
      "add a\n",                        // unquoted
      "add \"unclosed\n",               // unclosed
      "patch \"p\"\n",                  // a missing argument
      "frobnicate \"a\"\n",             // unknown
      "add \"a\"\ntype \"partial\"\n",  // type only first
      "type \"sideways\"\n",            // unknown type
      "add \"a//b\"\n",                 // empty component
      "add \"tab\there\"\n",            // control character
  };
  for (const char* text : bad) {
    auto m = parse_manifest(text);
    EXPECT_FALSE(m) << text;
    if (!m) {
      EXPECT_EQ(m.error().code(), Code::kInvalidArgument) << text;
    }
  }
  constexpr char kWithNul[] = "add \"a\0b\"\n";
  EXPECT_FALSE(parse_manifest(std::string(kWithNul, sizeof kWithNul - 1)));
  auto big = parse_manifest(std::string(100, '#'), {.max_bytes = 10});
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), Code::kTooLarge);
  auto many = parse_manifest("add \"a\"\nadd \"b\"\nadd \"c\"\n", {.max_bytes = 1000, .max_actions = 2});
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().code(), Code::kTooLarge);
  auto named = parse_manifest("add \"a\"\n\nadd \"/b\"\n");
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message().find("line 3"), std::string::npos) << named.error().message();
}

TEST(Manifest, ReadsPrecompleteFiles) {
  auto actions = parse_precomplete("remove \"a\"\nremove-cc \"b\"\nrmdir \"d/\"\n");
  ASSERT_TRUE(actions);
  ASSERT_EQ(actions->size(), 2u);
  EXPECT_EQ((*actions)[1].kind, ActionKind::kRmdir);
  EXPECT_FALSE(parse_precomplete("add \"a\"\n"));
}

}  // namespace
}  // namespace bh::update
