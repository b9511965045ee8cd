#include "ingest/demo_data.h"

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
  EXPECT_EQ(platforms.size(), 15u);
  EXPECT_GE(locales.size(), 85u);
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
