#include "ingest/v1_metadata.h"

#include <gtest/gtest.h>

namespace bh::v1 {
namespace {

constexpr const char* kArchive = "https://archive.mozilla.org/";

// A canned archive: URL -> (status, body); everything else is a 404. Counts the GETs per URL.
class FakeArchive {
 public:
  void put(const std::string& path, nlohmann::json doc) { answers_[kArchive + path] = {200, doc.dump()}; }
  void put_text(const std::string& path, std::string body, int status = 200) { answers_[kArchive + path] = {status, std::move(body)}; }
  ArchiveGet get() {
    return [this](const std::string& url) -> Result<ArchiveAnswer> {
      ++asked_[url];
      if (down_) return fail(unavailable("connection refused"));
      auto it = answers_.find(url);
      return it == answers_.end() ? ArchiveAnswer{404, "<html>Not Found</html>"} : it->second;
    };
  }
  int asked(const std::string& path) const {
    auto it = asked_.find(kArchive + path);
    return it == asked_.end() ? 0 : it->second;
  }
  int total() const {
    int n = 0;
    for (const auto& [url, count] : asked_) n += count;
    return n;
  }
  bool down_ = false;

 private:
  std::map<std::string, ArchiveAnswer> answers_;
  std::map<std::string, int> asked_;
};

PathRecord record_of(const std::string& path) {
  static const PathRules rules;
  auto record = rules.record_from_url(kArchive + path);
  EXPECT_TRUE(record) << path;
  return *record;
}

const nlohmann::json kMetadata = {{"buildid", "20170512123456"},
                                  {"moz_source_repo", "MOZ_SOURCE_REPO=https://hg.mozilla.org/releases/mozilla-release"},
                                  {"moz_source_stamp", "abc123"}};

TEST(V1ArchiveMetadata, NightlyJsonOfTheEnUsSiblingOnce) {
  FakeArchive archive;
  archive.put("pub/firefox/nightly/2017/05/2017-05-15-10-02-38-mozilla-central/firefox-55.0a1.en-US.linux-x86_64.json", kMetadata);
  ArchiveMetadata metadata({.get = archive.get(), .archive_url = kArchive});
  // A localized build's metadata is its en-US sibling's.
  const auto fr = record_of("pub/firefox/nightly/2017/05/2017-05-15-10-02-38-mozilla-central-l10n/firefox-55.0a1.fr.linux-x86_64.tar.bz2");
  auto got = metadata.fetch(fr);
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_TRUE(*got);
  EXPECT_EQ((**got)["buildid"], "20170512123456");
  const auto en = record_of("pub/firefox/nightly/2017/05/2017-05-15-10-02-38-mozilla-central/firefox-55.0a1.en-US.linux-x86_64.tar.bz2");
  ASSERT_TRUE(metadata.fetch(en));
  EXPECT_EQ(archive.total(), 1) << "the second build asks nothing";
  EXPECT_EQ(metadata.stats().memo_hits, 1u);
}

TEST(V1ArchiveMetadata, OldNightliesReadTheirTxt) {
  FakeArchive archive;
  archive.put_text("pub/firefox/nightly/2011/05/2011-05-05-03-mozilla-central/firefox-6.0a1.en-US.mac.txt",
                   "20110505030608\nhttp://hg.mozilla.org/mozilla-central/rev/31879b88cc82\n");
  archive.put_text("pub/firefox/nightly/2010/07/2010-07-04-05-mozilla-central/firefox-4.0b2pre.en-US.win64-x86_64.txt",
                   "20100704054020 55f39d8d866c");
  ArchiveMetadata metadata({.get = archive.get(), .archive_url = kArchive});
  auto newer = metadata.fetch(record_of("pub/firefox/nightly/2011/05/2011-05-05-03-mozilla-central/firefox-6.0a1.en-US.mac.dmg"));
  ASSERT_TRUE(newer && *newer);
  EXPECT_EQ((**newer)["moz_source_stamp"], "31879b88cc82");
  auto older = metadata.fetch(record_of("pub/firefox/nightly/2010/07/2010-07-04-05-mozilla-central/firefox-4.0b2pre.en-US.win64-x86_64.zip"));
  ASSERT_TRUE(older && *older);
  EXPECT_EQ((**older)["buildid"], "20100704054020");
  EXPECT_EQ((**older)["moz_source_repo"], "http://hg.mozilla.org/mozilla-central");
  auto none = metadata.fetch(record_of("pub/firefox/nightly/2010/07/2010-07-05-05-mozilla-central/firefox-4.0b2pre.en-US.win32.zip"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none) << "a 404 page is not metadata";
}

TEST(V1ArchiveMetadata, ReleaseCandidatesWithTheirBuildNumber) {
  FakeArchive archive;
  archive.put("pub/firefox/candidates/54.0b9-candidates/build3/win64/en-US/firefox-54.0b9.json", kMetadata);
  archive.put("pub/mobile/candidates/49.0.2-candidates/build1/android-api-15/en-US/fennec-49.0.2.en-US.android-arm.json", kMetadata);
  ArchiveMetadata metadata({.get = archive.get(), .archive_url = kArchive});
  auto firefox = metadata.fetch(record_of("pub/firefox/candidates/54.0b9-candidates/build3/win64/ta/Firefox Setup 54.0b9.exe"));
  ASSERT_TRUE(firefox && *firefox) << (firefox ? "none" : firefox.error().to_string());
  EXPECT_EQ((**firefox)["buildnumber"], 3);
  auto fennec = metadata.fetch(record_of("pub/mobile/candidates/49.0.2-candidates/build1/android-api-15/sk/fennec-49.0.2.sk.android-arm.apk"));
  ASSERT_TRUE(fennec && *fennec);
  EXPECT_EQ((**fennec)["buildnumber"], 1);
}

TEST(V1ArchiveMetadata, ReleasesReadTheNewestCandidatesBuild) {
  FakeArchive archive;
  archive.put("pub/firefox/candidates/", {{"prefixes", {"54.0-candidates/", "archived/"}}, {"files", nlohmann::json::array()}});
  archive.put("pub/firefox/candidates/54.0-candidates/",
              {{"prefixes", {"build1/", "build11/", "build2/"}}, {"files", nlohmann::json::array()}});
  archive.put("pub/firefox/candidates/54.0-candidates/build11/win64/en-US/",
              {{"prefixes", nlohmann::json::array()}, {"files", {{{"name", "Firefox Setup 54.0.exe"}}, {{"name", "firefox-54.0.json"}}}}});
  archive.put("pub/firefox/candidates/54.0-candidates/build11/win64/en-US/firefox-54.0.json", kMetadata);
  ArchiveMetadata metadata({.get = archive.get(), .archive_url = kArchive});
  const auto eme = record_of("pub/firefox/releases/54.0/win64-EME-free/de/Firefox Setup 54.0.exe");
  auto before_scan = metadata.fetch(eme);
  EXPECT_FALSE(before_scan) << "a release needs the candidates scanned first";
  ASSERT_TRUE(metadata.scan_candidates("firefox"));
  ASSERT_TRUE(metadata.scan_candidates("firefox"));
  EXPECT_EQ(archive.asked("pub/firefox/candidates/"), 1) << "scanned once";
  auto got = metadata.fetch(eme);
  ASSERT_TRUE(got && *got) << (got ? "none" : got.error().to_string());
  EXPECT_EQ((**got)["buildnumber"], 1) << "v1 kept the last digit of build11";
  auto unknown = metadata.fetch(record_of("pub/firefox/releases/53.0/win64/de/Firefox Setup 53.0.exe"));
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown) << "a version without candidates has none";
}

TEST(V1ArchiveMetadata, AnArchiveThatIsDownIsUnavailableAndNothingIsRemembered) {
  FakeArchive archive;
  archive.put("pub/firefox/candidates/54.0b9-candidates/build3/win64/en-US/firefox-54.0b9.json", kMetadata);
  archive.put_text("pub/firefox/candidates/55.0b1-candidates/build1/win64/en-US/firefox-55.0b1.json", "busy", 503);
  ArchiveMetadata metadata({.get = archive.get(), .archive_url = kArchive});
  const auto record = record_of("pub/firefox/candidates/54.0b9-candidates/build3/win64/ta/Firefox Setup 54.0b9.exe");
  archive.down_ = true;
  auto down = metadata.fetch(record);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code(), Code::kUnavailable);
  archive.down_ = false;
  auto up = metadata.fetch(record);
  ASSERT_TRUE(up && *up) << "asked again once the archive is back";
  auto busy = metadata.fetch(record_of("pub/firefox/candidates/55.0b1-candidates/build1/win64/ta/Firefox Setup 55.0b1.exe"));
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), Code::kUnavailable);
  EXPECT_FALSE(metadata.scan_candidates("thunderbird")) << "no candidates listing";
}

TEST(V1ArchiveMetadata, TheMemoSurvivesARun) {
  FakeArchive archive;
  archive.put("pub/firefox/candidates/54.0b9-candidates/build3/win64/en-US/firefox-54.0b9.json", kMetadata);
  const auto found = record_of("pub/firefox/candidates/54.0b9-candidates/build3/win64/ta/Firefox Setup 54.0b9.exe");
  const auto missing = record_of("pub/firefox/candidates/54.0b8-candidates/build1/win64/ta/Firefox Setup 54.0b8.exe");
  nlohmann::json saved;
  {
    ArchiveMetadata first({.get = archive.get(), .archive_url = kArchive});
    ASSERT_TRUE(first.fetch(found));
    ASSERT_TRUE(first.fetch(missing));
    saved = nlohmann::json::parse(first.memo_json().dump());
  }
  EXPECT_TRUE(saved.contains("rc") && saved.contains("release") && saved.contains("nightly"));
  const int asked = archive.total();
  ArchiveMetadata second({.get = archive.get(), .archive_url = kArchive});
  ASSERT_TRUE(second.load_memo(saved));
  auto again = second.fetch(found);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((**again)["buildnumber"], 3);
  auto still_missing = second.fetch(missing);
  ASSERT_TRUE(still_missing);
  EXPECT_FALSE(*still_missing);
  EXPECT_EQ(archive.total(), asked) << "the second run asks the archive nothing";
  EXPECT_FALSE(second.load_memo(nlohmann::json::array()));
  EXPECT_FALSE(second.load_memo({{"rc", 5}}));
}

}  // namespace
}  // namespace bh::v1
