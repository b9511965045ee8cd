#include "v1/inventory_manifest.h"

#include <gtest/gtest.h>

namespace bh::v1 {
namespace {

TEST(InventoryManifest, DatedFoldersAreRecognisedAndTheNewestWins) {
  EXPECT_TRUE(is_inventory_folder("public/inventories/x/delivery-firefox/2017-08-01T00-11Z/"));
  EXPECT_TRUE(is_inventory_folder("2017-08-01T00-11Z"));
  EXPECT_FALSE(is_inventory_folder("public/inventories/x/delivery-firefox/hive/"));
  EXPECT_FALSE(is_inventory_folder("public/inventories/x/delivery-firefox/data/"));
  EXPECT_FALSE(is_inventory_folder("p/2017-08-01T00-11/"));
  EXPECT_FALSE(is_inventory_folder("p/2017-08-01T00-11Zz/"));
  EXPECT_FALSE(is_inventory_folder("p/2017-0a-01T00-11Z/"));
  EXPECT_EQ(newest_inventory_folder({"p/2017-08-01T00-11Z/", "p/hive/", "p/2018-01-30T00-11Z/", "p/2017-12-31T23-59Z/"}),
            "p/2018-01-30T00-11Z/");
  EXPECT_EQ(newest_inventory_folder({"p/hive/", "p/fixtures/"}), std::nullopt);
  EXPECT_EQ(newest_inventory_folder({}), std::nullopt);
}

TEST(InventoryManifest, ReadsAnAwsManifest) {
  auto manifest = parse_inventory_manifest(R"({
    "sourceBucket": "net-mozaws-prod-delivery-firefox",
    "destinationBucket": "arn:aws:s3:::net-mozaws-prod-delivery-inventory-us-east-1",
    "version": "2016-11-30", "creationTimestamp": "1501545600000",
    "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size, LastModifiedDate, ETag",
    "files": [
      {"key": "inventories/net-mozaws-prod-delivery-firefox/delivery-firefox/data/a.csv.gz", "size": 1234,
       "MD5checksum": "0123456789ABCDEF0123456789abcdef"},
      {"key": "inventories/x/data/b.csv.gz", "size": 0, "MD5checksum": "d41d8cd98f00b204e9800998ecf8427e"}
    ]})");
  ASSERT_TRUE(manifest) << manifest.error().message();
  EXPECT_EQ(manifest->source_bucket, "net-mozaws-prod-delivery-firefox");
  ASSERT_EQ(manifest->files.size(), 2u);
  EXPECT_EQ(manifest->files[0].key, "inventories/net-mozaws-prod-delivery-firefox/delivery-firefox/data/a.csv.gz");
  EXPECT_EQ(manifest->files[0].size, 1234u);
  EXPECT_EQ(manifest->files[0].md5, "0123456789abcdef0123456789abcdef");  // lower-cased
  EXPECT_EQ(manifest->files[1].size, 0u);
}

TEST(InventoryManifest, BadManifestsAreRefusedWithAReason) {
  const std::string md5 = "d41d8cd98f00b204e9800998ecf8427e";
  struct Case {
    std::string json;
    std::string says;
  } cases[] = {
      {"", "not JSON"},
      {"[1]", "not a JSON object"},
      {"{}", "no files array"},
      {R"({"files": {}})", "no files array"},
      {R"({"fileFormat": "ORC", "files": []})", "only CSV"},
      {R"({"fileFormat": 3, "files": []})", "fileFormat is not a string"},
      {R"({"files": [1]})", "files[0]: not an object"},
      {R"({"files": [{"size": 1, "MD5checksum": ")" + md5 + R"("}]})", "no key"},
      {R"({"files": [{"key": "", "size": 1, "MD5checksum": ")" + md5 + R"("}]})", "no key"},
      {R"({"files": [{"key": "a/../../etc", "size": 1, "MD5checksum": ")" + md5 + R"("}]})", ".. segment"},
      {R"({"files": [{"key": "/abs", "size": 1, "MD5checksum": ")" + md5 + R"("}]})", "leading /"},
      {R"({"files": [{"key": "a", "size": -1, "MD5checksum": ")" + md5 + R"("}]})", "non-negative integer"},
      {R"({"files": [{"key": "a", "size": 1.5, "MD5checksum": ")" + md5 + R"("}]})", "non-negative integer"},
      {R"({"files": [{"key": "a", "size": "1", "MD5checksum": ")" + md5 + R"("}]})", "non-negative integer"},
      {R"({"files": [{"key": "a", "size": 1}]})", "no MD5checksum"},
      {R"({"files": [{"key": "a", "size": 1, "MD5checksum": "eaf123"}]})", "32 hex digits"},
      {R"({"files": [{"key": "a", "size": 1, "MD5checksum": "zz1d8cd98f00b204e9800998ecf8427e"}]})", "32 hex digits"},
      {std::string(100, '[') + std::string(100, ']'), "nests too deeply"},
  };
  for (const Case& c : cases) {
    auto manifest = parse_inventory_manifest(c.json);
    ASSERT_FALSE(manifest) << c.json;
    EXPECT_NE(manifest.error().message().find(c.says), std::string::npos) << c.json << " -> " << manifest.error().message();
  }
}

}  // namespace
}  // namespace bh::v1
