#include "ingest/v1_archive_events.h"

#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace bh::v1 {
namespace {

const std::string kArchive = "https://archive.example/";
const std::string kNightly = "pub/firefox/nightly/2017/08/2017-08-05-10-03-34-mozilla-central";

nlohmann::json nightly_metadata() {
  return {{"buildid", "20170805100334"}, {"moz_pkg_platform", "linux-x86_64"},
          {"moz_source_repo", "MOZ_SOURCE_REPO=https://hg.mozilla.org/mozilla-central"},
          {"moz_source_stamp", "933a04a91ce3bd44b230937083a835cb60637084"}, {"moz_update_channel", "nightly"}};
}

// An archive whose content a test changes as it goes; paths without content are 404s;
// `down` makes every GET fail.
struct FakeArchive {
  std::map<std::string, nlohmann::json> content;
  bool down = false;
  ArchiveGet get() {
    return [this](const std::string& url) -> Result<ArchiveAnswer> {
      if (down) return fail(unavailable("connection refused"));
      const auto it = content.find(url.substr(kArchive.size()));
      if (it == content.end()) return ArchiveAnswer{.status = 404, .body = "<html>"};
      return ArchiveAnswer{.status = 200, .body = it->second.dump()};
    };
  }
};

class ArchiveEventsTest : public ::testing::Test {
 protected:
  ArchiveEvents make() {
    return ArchiveEvents({.get = archive_.get(), .archive_url = kArchive, .pending_file = dir_ / "pending.json"});
  }
  FakeArchive archive_;
  testing::TempDir dir_;
};

TEST_F(ArchiveEventsTest, BuildKeysMatchFilesWithTheirMetadata) {
  EXPECT_EQ(pending_build_key(kArchive + kNightly + "-l10n/firefox-57.0a1.ru.linux-x86_64.tar.bz2", kArchive),
            "nightly:" + kNightly);
  EXPECT_EQ(metadata_build_keys(kArchive + kNightly + "/firefox-57.0a1.en-US.linux-x86_64.json", kArchive),
            std::vector<std::string>{"nightly:" + kNightly});
  EXPECT_EQ(pending_build_key(kArchive + "pub/firefox/candidates/56.0b1-candidates/build4/linux-x86_64/ca/firefox-56.0b1.tar.bz2", kArchive),
            "candidates:pub/firefox/candidates/56.0b1-candidates/build4");
  EXPECT_EQ(metadata_build_keys(kArchive + "pub/firefox/candidates/56.0b1-candidates/build4/linux-x86_64/en-US/firefox-56.0b1.json", kArchive),
            (std::vector<std::string>{"candidates:pub/firefox/candidates/56.0b1-candidates/build4", "release:firefox/56.0b1"}));
  EXPECT_EQ(pending_build_key(kArchive + "pub/firefox/releases/56.0b1/linux-x86_64/ca/firefox-56.0b1.tar.bz2", kArchive),
            "release:firefox/56.0b1");
  EXPECT_EQ(pending_build_key("https://elsewhere/pub/firefox/releases/1/x", kArchive), "");
  EXPECT_EQ(pending_build_key(kArchive + "favicon.ico", kArchive), "");
}

TEST_F(ArchiveEventsTest, AFileBeforeItsMetadataIsRememberedAcrossRestartsAndMadeWhenTheMetadataComes) {
  const std::string file = kNightly + "-l10n/firefox-57.0a1.ru.linux-x86_64.tar.bz2";
  {
    ArchiveEvents events = make();
    auto outcome = events.handle({.key = file, .size = 777, .event_time = "2017-08-05T12:00:01.500Z"});
    ASSERT_TRUE(outcome) << outcome.error().to_string();
    EXPECT_EQ(outcome->kind, ArchiveEventOutcome::Kind::kBuild);
    EXPECT_TRUE(outcome->remembered);
    EXPECT_TRUE(outcome->items.empty());
  }
  ArchiveEvents events = make();  // a restart
  ASSERT_TRUE(events.load());
  EXPECT_EQ(events.pending_count(), 1u);
  archive_.content[kNightly + "/firefox-57.0a1.en-US.linux-x86_64.json"] = nightly_metadata();
  auto outcome = events.handle({.key = kNightly + "/firefox-57.0a1.en-US.linux-x86_64.json", .size = 1, .event_time = "2017-08-05T12:10:00.000Z"});
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_EQ(outcome->kind, ArchiveEventOutcome::Kind::kNightlyMetadata);
  EXPECT_EQ(outcome->retried, 1u);
  ASSERT_EQ(outcome->items.size(), 1u);
  ASSERT_TRUE(outcome->items[0].read_error.is_ok()) << outcome->items[0].read_error.to_string();
  const auto doc = nlohmann::json::parse(outcome->items[0].bytes);
  EXPECT_EQ(doc["download"]["size"], 777);
  EXPECT_EQ(doc["download"]["date"], "2017-08-05T12:00:01Z");
  EXPECT_EQ(doc["target"]["locale"], "ru");
  EXPECT_FALSE(doc.contains("id"));
  EXPECT_EQ(events.pending_count(), 0u);
}

TEST_F(ArchiveEventsTest, AnArchiveThatIsDownKeepsTheEventAndRemembersNothing) {
  ArchiveEvents events = make();
  archive_.down = true;
  auto outcome = events.handle({.key = kNightly + "/firefox-57.0a1.en-US.linux-x86_64.tar.bz2", .size = 1,
                                .event_time = "2017-08-05T12:00:01.500Z"});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), Code::kUnavailable);
  EXPECT_EQ(events.pending_count(), 0u);
  // A metadata file announced before the archive serves it is kept for later too.
  archive_.down = false;
  auto early = events.handle({.key = kNightly + "/firefox-57.0a1.en-US.linux-x86_64.json", .size = 1, .event_time = "2017-08-05T12:00:01Z"});
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code(), Code::kUnavailable);
}

TEST_F(ArchiveEventsTest, OtherProductsFilesAndBadTimesAreNotRecords) {
  ArchiveEvents events = make();
  for (const char* key : {"favicon.ico", "pub/calendar/releases/1.0b1/linux-x86_64/en-US/sunbird-1.0b1.tar.bz2",
                          "pub/firefox/releases/54.0/win64/fr/Firefox Setup 54.0.exe.asc"}) {
    auto outcome = events.handle({.key = key, .size = 1, .event_time = "2017-08-05T12:00:01Z"});
    ASSERT_TRUE(outcome) << key;
    EXPECT_EQ(outcome->kind, ArchiveEventOutcome::Kind::kIgnored) << key;
    EXPECT_TRUE(outcome->items.empty());
  }
  auto bad_time = events.handle({.key = kNightly + "/firefox-57.0a1.en-US.linux-x86_64.tar.bz2", .size = 1, .event_time = "yesterday"});
  ASSERT_TRUE(bad_time);
  ASSERT_EQ(bad_time->items.size(), 1u);
  EXPECT_FALSE(bad_time->items[0].read_error.is_ok());
}

TEST_F(ArchiveEventsTest, ADamagedPendingFileIsCorrupt) {
  testing::write_text(dir_ / "pending.json", "[{\"key\": 1}]");
  ArchiveEvents events = make();
  EXPECT_EQ(events.load().code(), Code::kCorrupt);
}

}  // namespace
}  // namespace bh::v1
