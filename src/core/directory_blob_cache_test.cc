#include "core/directory_blob_cache.h"

#include <thread>

#include <gtest/gtest.h>

#include "test_support.h"

namespace bh {
namespace {

TEST(BlobKey, OnlyNamespaceSlashNameWithSafeCharacters) {
  EXPECT_TRUE(is_valid_blob_key("complete/abcdef0123"));
  EXPECT_TRUE(is_valid_blob_key("partials/ab-cd.mar"));
  EXPECT_FALSE(is_valid_blob_key("complete"));
  EXPECT_FALSE(is_valid_blob_key("complete/ab"));        // too short to shard
  EXPECT_FALSE(is_valid_blob_key("complete/../../etc"));  // '/' in the name
  EXPECT_FALSE(is_valid_blob_key("../x/abc"));
  EXPECT_FALSE(is_valid_blob_key("c/.hidden"));
  EXPECT_FALSE(is_valid_blob_key("c/a b c"));
  EXPECT_FALSE(is_valid_blob_key(std::string("c/ab\0c", 6)));
}

TEST(DirectoryBlobCache, KeepsListsRemovesAndClears) {
  testing::TempDir dir;
  auto cache = DirectoryBlobCache::open(dir / "blobs", 0);
  ASSERT_TRUE(cache);
  EXPECT_FALSE((*cache)->get("complete/abc123", 100));
  ASSERT_TRUE((*cache)->put("complete/abc123", "bytes one"));
  ASSERT_TRUE((*cache)->put("complete/def456", "bytes two"));
  ASSERT_TRUE((*cache)->put("partials/abc-def", "partial"));
  EXPECT_EQ((*cache)->get("complete/abc123", 100), "bytes one");
  EXPECT_FALSE((*cache)->get("complete/abc123", 3));  // larger than asked for: a miss
  EXPECT_TRUE((*cache)->contains("partials/abc-def"));
  EXPECT_FALSE((*cache)->put("../escape/abc", "x"));
  auto keys = (*cache)->list("complete");
  ASSERT_TRUE(keys);
  std::sort(keys->begin(), keys->end());
  EXPECT_EQ(*keys, (std::vector<std::string>{"complete/abc123", "complete/def456"}));
  EXPECT_EQ((*cache)->remove("complete/abc123"), true);
  EXPECT_EQ((*cache)->remove("complete/abc123"), false);
  auto usage = (*cache)->usage();
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->blobs, 2u);
  EXPECT_EQ(usage->bytes, 16u);
  EXPECT_EQ((*cache)->clear(), 2u);
  EXPECT_FALSE((*cache)->contains("partials/abc-def"));
  const BlobCacheStats stats = (*cache)->stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.writes, 3u);
}

TEST(DirectoryBlobCache, EvictsTheLeastRecentlyUsedAcrossNamespaces) {
  testing::TempDir dir;
  auto cache = DirectoryBlobCache::open(dir.path(), 2500);
  ASSERT_TRUE(cache);
  ASSERT_TRUE((*cache)->put("a/one", std::string(1000, '1')));
  ASSERT_TRUE((*cache)->put("b/two", std::string(1000, '2')));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE((*cache)->get("a/one", 5000));  // now the most recent
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE((*cache)->put("a/three", std::string(1000, '3')));
  EXPECT_TRUE((*cache)->contains("a/one"));
  EXPECT_FALSE((*cache)->contains("b/two"));
  EXPECT_TRUE((*cache)->contains("a/three"));
  EXPECT_EQ((*cache)->stats().evictions, 1u);
}

TEST(DirectoryBlobCache, TwoInstancesShareOneDirectory) {
  testing::TempDir dir;
  auto writer = DirectoryBlobCache::open(dir.path(), 0);
  auto reader = DirectoryBlobCache::open(dir.path(), 0);
  ASSERT_TRUE(writer && reader);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) EXPECT_TRUE((*writer)->put("x/same", std::string(4000 + t, 'a' + t)));
    });
  }
  for (auto& t : threads) t.join();
  auto got = (*reader)->get("x/same", 1 << 20);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, std::string(got->size(), (*got)[0]));  // one writer's whole blob
  auto keys = (*reader)->list("x");
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 1u);  // no temporary files listed or left
}

}  // namespace
}  // namespace bh
