#include "ingest/demo_data.h"

#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "record/build_record.h"

namespace bh {
namespace {

TEST(DemoData, SameSeedSameBytes) {
  DemoDataGenerator a(42);
  DemoDataGenerator b(42);
  DemoDataGenerator c(43);
  for (int i = 0; i < 100; ++i) {
    const std::string da = a.next_document();
    EXPECT_EQ(da, b.next_document());
    EXPECT_NE(da, c.next_document());
  }
}

TEST(DemoData, EveryDocumentIsValidAndDistinct) {
  auto v = SchemaValidator::create_builtin();
  ASSERT_TRUE(v);
  RecordParser parser(**v, RecordLimits{});
  DemoDataGenerator gen(1);
  std::set<std::string> hashes;
  std::set<std::string> products, channels, platforms, locales;
  for (int i = 0; i < 5000; ++i) {
    const std::string doc = gen.next_document();
    auto r = parser.prepare(doc);
    ASSERT_TRUE(r) << doc << "\n" << r.error().to_string();
    hashes.insert(r->build_hash);
    const auto j = nlohmann::json::parse(doc);
    products.insert(j["source"]["product"]);
    channels.insert(j["target"]["channel"]);
    platforms.insert(j["target"]["platform"]);
    locales.insert(j["target"]["locale"]);
    EXPECT_EQ(j["build"]["id"].get<std::string>().size(), 14u);
    EXPECT_EQ(j["source"]["revision"].get<std::string>().size(), 40u);
  }
  EXPECT_EQ(hashes.size(), 5000u);
  EXPECT_EQ(products, (std::set<std::string>{"devedition", "fennec", "firefox", "thunderbird"}));
  EXPECT_EQ(channels, (std::set<std::string>{"aurora", "beta", "esr", "nightly", "release"}));
  EXPECT_GE(platforms.size(), 12u);
  EXPECT_GE(locales.size(), 85u);
}

// The archive's shape: a build id is shared by its platforms and locale repacks, and all its
// records agree on what was built.
TEST(DemoData, BuildsShareTheirIdAcrossPlatformsAndLocales) {
  DemoDataGenerator gen(3);
  struct Seen {
    std::set<std::string> platforms, locales, versions, revisions, build_dates, products;
    int records = 0;
  };
  std::map<std::string, Seen> by_build;
  constexpr int kRecords = 20000;
  for (int i = 0; i < kRecords; ++i) {
    const auto j = nlohmann::json::parse(gen.next_document());
    Seen& s = by_build[j["build"]["id"].get<std::string>()];
    s.platforms.insert(j["target"]["platform"].get<std::string>());
    s.locales.insert(j["target"]["locale"].get<std::string>());
    s.versions.insert(j["target"]["version"].get<std::string>());
    s.revisions.insert(j["source"]["revision"].get<std::string>());
    s.build_dates.insert(j["build"]["date"].get<std::string>());
    s.products.insert(j["source"]["product"].get<std::string>());
    ++s.records;
  }
  EXPECT_LT(by_build.size(), static_cast<std::size_t>(kRecords / 20)) << "build ids must be shared";
  std::size_t with_many_locales = 0;
  std::size_t with_many_platforms = 0;
  for (const auto& [id, s] : by_build) {
    EXPECT_EQ(s.versions.size(), 1u) << id;
    EXPECT_EQ(s.revisions.size(), 1u) << id;
    EXPECT_EQ(s.build_dates.size(), 1u) << id;
    EXPECT_EQ(s.products.size(), 1u) << id;
    EXPECT_TRUE(s.locales.count("en-US")) << id;
    if (s.locales.size() >= 50) ++with_many_locales;
    if (s.platforms.size() >= 5) ++with_many_platforms;
  }
  EXPECT_GE(with_many_locales, 10u);
  EXPECT_GE(with_many_platforms, by_build.size() / 2);
}

// A short stream (the small demos of the tests) still mixes products and builds.
TEST(DemoData, AShortStreamMixesBuildsAndProducts) {
  DemoDataGenerator gen(1);
  std::set<std::string> products, builds;
  for (int i = 0; i < 300; ++i) {
    const auto j = nlohmann::json::parse(gen.next_document());
    products.insert(j["source"]["product"].get<std::string>());
    builds.insert(j["build"]["id"].get<std::string>());
  }
  EXPECT_GE(products.size(), 2u);
  EXPECT_GE(builds.size(), 6u);
}

// Versions follow the trains: on any build date, nightly is two majors ahead of release and
// beta one, so a nightly's major is never below a release's built the same month.
TEST(DemoData, VersionsFollowTheReleaseTrains) {
  DemoDataGenerator gen(5);
  std::map<std::string, std::map<std::string, int>> major_by_month_channel;  // firefox only
  for (int i = 0; i < 20000; ++i) {
    const auto j = nlohmann::json::parse(gen.next_document());
    if (j["source"]["product"] != "firefox") continue;
    const std::string month = j["build"]["date"].get<std::string>().substr(0, 7);
    const std::string version = j["target"]["version"];
    major_by_month_channel[month][j["target"]["channel"].get<std::string>()] = std::stoi(version);
  }
  int compared = 0;
  for (const auto& [month, channels] : major_by_month_channel) {
    if (channels.count("nightly") && channels.count("release")) {
      EXPECT_GE(channels.at("nightly"), channels.at("release") + 1) << month;
      EXPECT_LE(channels.at("nightly"), channels.at("release") + 3) << month;
      ++compared;
    }
  }
  EXPECT_GE(compared, 5);
}

TEST(DemoData, VersionsHaveMozillaShapes) {
  DemoDataGenerator gen(9);
  for (int i = 0; i < 2000; ++i) {
    const auto j = nlohmann::json::parse(gen.next_document());
    const std::string channel = j["target"]["channel"];
    const std::string version = j["target"]["version"];
    if (channel == "nightly") {
      EXPECT_NE(version.find("a1"), std::string::npos) << version;
    }
    if (channel == "beta") {
      EXPECT_NE(version.find(".0b"), std::string::npos) << version;
    }
    if (channel == "esr") {
      EXPECT_NE(version.find("esr"), std::string::npos) << version;
    }
  }
}

}  // namespace
}  // namespace bh
