#include "ingest/sqs_daemon.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace bh {
namespace {

TEST(BetaCopy, OnlyFirefoxReleaseRecordsGetOne) {
  const std::string release =
      testing::read_text(testing::shared_dir() / "fixtures/buildhub2/valid-buildhub-release-channel.json");
  auto copy = beta_copy_of_release(release);
  ASSERT_TRUE(copy);
  const auto original = nlohmann::json::parse(release);
  const auto beta = nlohmann::json::parse(*copy);
  EXPECT_EQ(beta["target"]["channel"], "beta");
  auto expected = original;
  expected["target"]["channel"] = "beta";
  EXPECT_EQ(beta, expected);  // nothing else changes

  const std::string fennec =
      testing::read_text(testing::shared_dir() / "fixtures/buildhub2/valid-buildhub-fennec-release-channel.json");
  EXPECT_EQ(nlohmann::json::parse(fennec)["target"]["channel"], "release");
  EXPECT_FALSE(beta_copy_of_release(fennec));  // another product
  EXPECT_FALSE(beta_copy_of_release(*copy));   // already beta
  EXPECT_FALSE(beta_copy_of_release("not json"));
  EXPECT_FALSE(beta_copy_of_release(R"({"source": "firefox", "target": {"channel": "release"}})"));
  EXPECT_FALSE(beta_copy_of_release(std::string(200, '[')));
}

}  // namespace
}  // namespace bh
