#include "v1/path_rules.h"
#include "v1/url_facts.h"

#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "test_support.h"

namespace bh::v1 {
namespace {

// v1's own test tables (fixtures/buildhub1/fixtures-url-to-record-and-predicates.json).
const nlohmann::json& tables() {
  static const nlohmann::json doc = [] {
    std::ifstream in(testing::shared_dir() / "fixtures/buildhub1/fixtures-url-to-record-and-predicates.json");
    return nlohmann::json::parse(in)["test_utils.py"];
  }();
  return doc;
}

std::optional<std::string> opt(const nlohmann::json& j) {
  return j.is_null() || (j.is_boolean() && !j.get<bool>()) ? std::nullopt : std::optional<std::string>(j.get<std::string>());
}

TEST(V1PathRules, EveryRecordOfTheTableComesFromItsUrl) {
  const PathRules rules;
  ASSERT_GE(tables()["RECORDS"].size(), 30u);
  for (const auto& want : tables()["RECORDS"]) {
    const std::string url = want["download"]["url"];
    auto got = rules.record_from_url(url);
    ASSERT_TRUE(got) << url << ": " << got.error().to_string();
    EXPECT_EQ(got->to_json(), want) << url;
    EXPECT_EQ(guess_channel(url, want["target"]["version"].get<std::string>()), want["target"]["channel"]) << url;
    EXPECT_EQ(*build_record_id(*got), want["id"]) << url;
    // Without a build id every one of them fails v1's check.
    EXPECT_FALSE(check_record(want)) << url;
    nlohmann::json with_build = want;
    with_build["build"] = {{"id", "20170101000000"}};
    EXPECT_TRUE(check_record(with_build)) << url << ": " << check_record(with_build).to_string();
  }
}

TEST(V1PathRules, BuildUrlsAndNotBuildUrls) {
  const PathRules rules;
  ASSERT_GE(tables()["RELEASE_FILENAMES"].size(), 20u);
  ASSERT_GE(tables()["WRONG_RELEASE_FILENAMES"].size(), 20u);
  for (const auto& row : tables()["RELEASE_FILENAMES"]) {
    EXPECT_TRUE(rules.is_build_url(row[0].get<std::string>(), row[1].get<std::string>())) << row.dump();
  }
  for (const auto& row : tables()["WRONG_RELEASE_FILENAMES"]) {
    EXPECT_FALSE(rules.is_build_url(row[0].get<std::string>(), row[1].get<std::string>())) << row.dump();
  }
  // Some of the table's records have URLs v1's own filter turns away: only mozilla-central and
  // comm-central nightlies, only .exe on Windows. Kept so, as v1 did.
  EXPECT_FALSE(rules.is_build_url("firefox", "https://archive.mozilla.org/pub/firefox/nightly/2017/04/2017-04-03-00-40-02-mozilla-aurora/firefox-54.0a2.en-US.mac.dmg"));
  EXPECT_FALSE(rules.is_build_url("firefox", "https://archive.mozilla.org/pub/firefox/candidates/55.0b9-candidates/build2/win64/zh-TW/firefox-55.0b9.zip"));
  EXPECT_TRUE(rules.is_build_url("firefox", "https://archive.mozilla.org/pub/firefox/candidates/55.0b9-candidates/build2/win64/zh-TW/Firefox Setup 55.0b9.exe"));
}

TEST(V1PathRules, MetadataFileNames) {
  for (const auto& row : tables()["RELEASE_METADATA_FILENAMES"]) {
    EXPECT_TRUE(is_release_build_metadata(row[0].get<std::string>(), row[1].get<std::string>(), row[2].get<std::string>())) << row.dump();
  }
  for (const auto& row : tables()["WRONG_RELEASE_METADATA_FILENAMES"]) {
    EXPECT_FALSE(is_release_build_metadata(row[0].get<std::string>(), row[1].get<std::string>(), row[2].get<std::string>())) << row.dump();
  }
  for (const auto& row : tables()["NIGHTLY_METADATA_FILENAMES"]) {
    EXPECT_TRUE(is_nightly_build_metadata(row[0].get<std::string>(), row[1].get<std::string>())) << row.dump();
  }
  for (const auto& row : tables()["WRONG_NIGHTLY_METADATA_FILENAMES"]) {
    EXPECT_FALSE(is_nightly_build_metadata(row[0].get<std::string>(), row[1].get<std::string>())) << row.dump();
  }
  for (const auto& row : tables()["RC_METADATA_FILENAMES"]) {
    EXPECT_TRUE(is_rc_build_metadata(row[0].get<std::string>(), row[1].get<std::string>())) << row.dump();
  }
  for (const auto& row : tables()["WRONG_RC_METADATA_FILENAMES"]) {
    EXPECT_FALSE(is_rc_build_metadata(row[0].get<std::string>(), row[1].get<std::string>())) << row.dump();
  }
}

TEST(V1PathRules, MimetypesPlatformsAndLocalizedUrls) {
  for (const auto& row : tables()["URLS_MIMETYPES"]) {
    EXPECT_EQ(guess_mimetype(row[0].get<std::string>()), opt(row[1])) << row.dump();
  }
  ASSERT_GE(tables()["NORMALIZED_PLATFORMS"].size(), 30u);
  for (const auto& row : tables()["NORMALIZED_PLATFORMS"]) {
    auto os = normalized_platform(row[1].get<std::string>());
    ASSERT_TRUE(os) << row.dump();
    EXPECT_EQ(*os, row[0]) << row.dump();
  }
  EXPECT_FALSE(normalized_platform("solaris-sparc"));
  for (const auto& row : tables()["NIGHTLY_URLS"]) {
    EXPECT_EQ(localize_nightly_url(row[0].get<std::string>()), row[1]) << row.dump();
  }
  for (const auto& row : tables()["RC_URLS"]) {
    EXPECT_EQ(localize_release_candidate_url(row[0].get<std::string>()), row[1]) << row.dump();
  }
  for (const auto& row : tables()["ARCHIVE_URL_INFOS"]) {
    const auto& info = row[0];
    ArchiveUrlRequest request{.product = info[0], .version = opt(info[1]), .platform = opt(info[2]), .locale = opt(info[3]),
                              .nightly = opt(info[4]), .candidate = opt(info[5])};
    EXPECT_EQ(archive_url(request), row[1]) << row.dump();
  }
}

TEST(V1PathRules, MetadataMerges) {
  ASSERT_GE(tables()["METADATA_RECORDS"].size(), 3u);
  for (const auto& row : tables()["METADATA_RECORDS"]) {
    auto merged = merge_metadata(row[0], row[1]);
    ASSERT_TRUE(merged) << row.dump() << ": " << merged.error().to_string();
    EXPECT_EQ(*merged, row[2]) << row.dump();
  }
  EXPECT_FALSE(merge_metadata({{"target", {{"channel", "release"}}}, {"source", nlohmann::json::object()}},
                              {{"buildid", "2017"}, {"moz_source_stamp", "x"}}))
      << "no moz_source_repo";
}

TEST(V1PathRules, BuildDatesAreReadAsPythonsStrptimeReadsThem) {
  EXPECT_EQ(*build_date_from_build_id("20170612115203"), "2017-06-12T11:52:03Z");
  EXPECT_EQ(*build_date_from_build_id("201706121152"), "2017-06-12T11:05:02Z");
  EXPECT_EQ(*build_date_from_build_id("2017061211520399"), "2017-06-12T11:52:03Z") << "only the first 14 characters";
  // Each expectation is what Python 3.11's datetime.strptime(id[:14], "%Y%m%d%H%M%S") gives.
  EXPECT_EQ(*build_date_from_build_id("20171112131"), "2017-11-12T01:03:01Z") << "fields as short as one digit";
  EXPECT_FALSE(build_date_from_build_id("2017010")) << "five fields need five digits at least";
  EXPECT_FALSE(build_date_from_build_id("20170231000000")) << "no 31st of February";
  EXPECT_EQ(*build_date_from_build_id("20160229000000"), "2016-02-29T00:00:00Z");
  EXPECT_FALSE(build_date_from_build_id("20170612116000")) << "minute 6, second 00, then a 0 unconverted";
  EXPECT_FALSE(build_date_from_build_id("20170612115960")) << "second 60 matched, then refused";
  EXPECT_FALSE(build_date_from_build_id("20170600115900"));
  EXPECT_FALSE(build_date_from_build_id("00000101000000")) << "year 0";
  EXPECT_EQ(*build_date_from_build_id("09990101000000"), "999-01-01T00:00:00Z") << "strftime does not pad the year";
  EXPECT_FALSE(build_date_from_build_id("2017"));
  EXPECT_FALSE(build_date_from_build_id("abcd0612115203"));
  EXPECT_FALSE(build_date_from_build_id(""));
}

TEST(V1PathRules, QuirksKept) {
  EXPECT_EQ(strip_chars("55.0esr-candidates", "-candidates"), "55.0esr");
  EXPECT_EQ(strip_chars("build11", "build"), "11");
  EXPECT_EQ(strip_chars("", "x"), "");
  const PathRules rules;
  // `replace('mac', 'macosx')` replaces every "mac".
  auto mac = rules.record_from_url("https://archive.mozilla.org/pub/firefox/releases/50.0/mac-mac/en-US/Firefox 50.0.dmg");
  ASSERT_TRUE(mac) << mac.error().to_string();
  EXPECT_EQ(mac->platform, "macosx-macosx");
  // The '.' of "tar.gz" is a regex dot.
  EXPECT_TRUE(rules.is_build_url("firefox", "https://archive.mozilla.org/pub/firefox/releases/50.0/linux-i686/en-US/firefox-50.0.tarXgz"));
  // Form-encoded keys: '+' is a space, %xx stays.
  EXPECT_EQ(key_to_archive_url("pub/firefox/releases/60.0.1/win32/en-US/Firefox+Setup+60.0.1.exe"),
            "https://archive.mozilla.org/pub/firefox/releases/60.0.1/win32/en-US/Firefox Setup 60.0.1.exe");
}

TEST(V1PathRules, BadPathsAreErrorsNotCrashes) {
  const PathRules rules;
  for (const char* url : {"", "/", "https://archive.mozilla.org/pub/", "https://archive.mozilla.org/pub/firefox/nightly/x",
                          "https://archive.mozilla.org/pub/firefox/nightly/2017/05/folder/firefox.exe",
                          "https://archive.mozilla.org/pub/firefox/candidates/50.0-candidates/build1/linux",
                          "https://archive.mozilla.org/pub/firefox/candidates/1-candidates/build1/funnelcake9/win32",
                          "https://archive.mozilla.org/pub/firefox/releases/50.0/solaris/en-US/firefox-50.0.tar.bz2",
                          "https://archive.mozilla.org/pub/firefox/releases/x.y"}) {
    auto record = rules.record_from_url(url);
    EXPECT_FALSE(record) << url;
    if (!record) {
      EXPECT_EQ(record.error().code(), Code::kInvalidArgument) << url;
    }
  }
  EXPECT_FALSE(rules.is_build_url("firefox", ""));
  EXPECT_FALSE(rules.is_build_url("(unbalanced", "https://archive.mozilla.org/pub/x/(unbalanced-1.0.exe"));
  EXPECT_FALSE(is_release_build_metadata("firefox", "(", "firefox-(.json"));
  EXPECT_EQ(localize_nightly_url("x"), "x");
  EXPECT_EQ(localize_release_candidate_url("x"), "x");
  EXPECT_FALSE(check_record(nlohmann::json::array()));
  EXPECT_FALSE(check_record({{"build", 5}}));
}

TEST(V1PathRules, NightlyTxtMetadata) {
  auto with_repo = parse_nightly_txt_metadata("20110505030608\nhttp://hg.mozilla.org/mozilla-central/rev/31879b88cc82\n");
  ASSERT_TRUE(with_repo);
  EXPECT_EQ((*with_repo)["buildid"], "20110505030608");
  EXPECT_EQ((*with_repo)["moz_source_repo"], "http://hg.mozilla.org/mozilla-central");
  EXPECT_EQ((*with_repo)["moz_source_stamp"], "31879b88cc82");
  auto stamp_only = parse_nightly_txt_metadata("20100704054020 55f39d8d866c");
  ASSERT_TRUE(stamp_only);
  EXPECT_EQ((*stamp_only)["moz_source_repo"], "http://hg.mozilla.org/mozilla-central");
  EXPECT_EQ((*stamp_only)["moz_source_stamp"], "55f39d8d866c");
  EXPECT_FALSE(parse_nightly_txt_metadata("<html>not found</html>"));
  EXPECT_FALSE(parse_nightly_txt_metadata(""));
}

// The two file-name regexes is_build_url no longer runs, against RE2 running them: names from the
// archive's shapes, then many random splices of their pieces (newlines, dots, near misses).
// scan_url answers exactly what a search for each word answers, and never misses a URL the
// excluded-names regex matches (the regex only runs when a hint is there).
TEST(V1PathRules, UrlScanIsTheSubstringSearches) {
  const std::vector<std::pair<std::string_view, UrlWord>> words = {
      {"nightly", UrlWord::kNightly},       {"mozilla-central", UrlWord::kMozillaCentral},
      {"comm-central", UrlWord::kCommCentral}, {"win", UrlWord::kWin},
      {"candidates", UrlWord::kCandidates}, {"funnelcake", UrlWord::kFunnelcake},
      {"aurora", UrlWord::kAurora},         {"devedition", UrlWord::kDevedition},
      {"old-id", UrlWord::kOldId}};
  std::vector<std::string> pieces = {
      "https://archive.mozilla.org/pub/firefox/nightly/2017/05/2017-05-15-10-02-38-mozilla-central/",
      "https://archive.mozilla.org/pub/firefox/candidates/50.0-candidates/build1/win64/en-US/",
      "https://archive.mozilla.org/pub/firefox/releases/2.0/win32/en-US/Firefox Setup 2.0.exe",
      "https://archive.mozilla.org/pub/mobile/releases/55.0/android-api-15-old-id/", "funnelcake99",
      "aurora", "devedition", "comm-central", "Installer.", "\nInstaller.en.exe", "%28x%29", "/1.0rc/",
      "/releases/win32/", "latest-beta", "debu", "nightl", "wi", "n", "0rc", "/tes", "t/", "\xc2\x85"};
  for (std::string_view hint : excluded_name_hints()) pieces.emplace_back(hint);
  for (const auto& [word, _] : words) pieces.emplace_back(word);
  std::mt19937 rng(29);
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 excluded(
      R"(^.+(tinderbox|try-builds|partner-repacks|latest|contrib|/0\.|experimental|namoroka|debug|sha1-installers|)"
      R"(candidates/archived|stylo-bindings|/1.0rc/|/releases/win../|dominspector|/test/|testing|%28.+%29|)"
      R"([\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}]Installer\.([\p{L}\p{N}_]{2,3}\-?[\p{L}\p{N}_]{0,3})\.exe))",
      options);
  ASSERT_TRUE(excluded.ok());
  int hinted = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string url;
    const int parts = 1 + static_cast<int>(rng() % 4);
    for (int p = 0; p < parts; ++p) {
      const std::string& piece = pieces[rng() % pieces.size()];
      const std::size_t from = rng() % 3 == 0 ? rng() % (piece.size() + 1) : 0;
      url += piece.substr(from);
    }
    const UrlFacts facts = scan_url(url);
    for (const auto& [word, id] : words) {
      ASSERT_EQ(facts.has(id), url.find(word) != std::string::npos) << word << " in [" << url << "]";
    }
    bool any_hint = false;
    for (std::string_view hint : excluded_name_hints()) any_hint = any_hint || url.find(hint) != std::string::npos;
    ASSERT_EQ(facts.has(UrlWord::kExcludedNameHint), any_hint) << "[" << url << "]";
    if (RE2::PartialMatch(url, excluded)) {
      ASSERT_TRUE(any_hint) << "the regex matched without a hint: [" << url << "]";
      ++hinted;
    }
  }
  EXPECT_GT(hinted, 1000);  // the generated URLs do reach the regex
}

TEST(V1PathRules, FileNameMatchersAreTheRegexes) {
  const RE2 excluded("^.+(sdk|tests|crashreporter|stub|gtk2.+xft|source|asan)");
  const std::vector<std::string> seeds = {
      "firefox-55.0a1.en-us.linux-x86_64.tar.bz2", "firefox-setup-55.0b9.exe", "firefox-55.0.tar.gz",
      "fennec-55.0a1.multi.android-arm.apk", "thunderbird-52.0.zip", "firefox-52.0.sdk.tar.bz2",
      "firefox-50.0.tests.zip", "firefox-50.0.crashreporter-symbols.zip", "firefox-50.0-stub.exe",
      "firefox-1.5.gtk2+xft.tar.gz", "firefox-50.0.source.tar.xz", "firefox-50.0.asan.tar.bz2",
      "firefox-\n.exe", "firefox-x.exe\n", "firefox-.exe", "firefox-xtarxgz", "sdkfirefox-1.dmg", "gtk2xft",
      "firefox-1.0.dmg\n\n", "thunderbird-setup-1.exe", "fennec-1.apk", "firefox-gtk2.xft.zip", "s"};
  std::mt19937 rng(17);
  std::vector<std::string> names;
  for (const auto& seed : seeds) {
    std::string n;
    for (std::size_t i = 0; i < seed.size(); ++i) {
      if (seed[i] == '\\' && i + 1 < seed.size() && seed[i + 1] == 'n') {
        n += '\n';
        ++i;
      } else {
        n += seed[i];
      }
    }
    names.push_back(n);
  }
  const std::size_t base = names.size();
  for (int i = 0; i < 20000; ++i) {
    const std::string& a = names[rng() % base];
    const std::string& b = names[rng() % base];
    const std::size_t cut_a = rng() % (a.size() + 1);
    const std::size_t cut_b = rng() % (b.size() + 1);
    std::string spliced = a.substr(0, cut_a) + b.substr(cut_b);
    if (rng() % 4 == 0 && !spliced.empty()) spliced[rng() % spliced.size()] = "\n.-x"[rng() % 4];
    names.push_back(spliced);
  }
  for (const char* product : {"firefox", "thunderbird", "fennec"}) {
    for (bool with_zip : {true, false}) {
      std::string alternatives;
      for (std::string_view ext : kFileExtensions) {
        if (!with_zip && ext == "zip") continue;
        if (!alternatives.empty()) alternatives += '|';
        alternatives += ext;
      }
      const RE2 name_re(std::string("^") + product + "-(.+)(" + alternatives + ")\\n?$");
      ASSERT_TRUE(name_re.ok());
      for (const auto& n : names) {
        ASSERT_EQ(is_build_file_name(n, product, with_zip), RE2::PartialMatch(n, name_re)) << product << " " << with_zip << " [" << n << "]";
      }
    }
  }
  for (const auto& n : names) ASSERT_EQ(has_excluded_suffix(n), RE2::PartialMatch(n, excluded)) << "[" << n << "]";
}

}  // namespace
}  // namespace bh::v1
