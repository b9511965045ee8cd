#include "update/patch_cache.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace bh::update {
namespace {

PatchKey key(std::string tag) { return {"old-" + tag, "new-" + tag, "mbdiff-engine-1", "xz"}; }

TEST(PatchCache, KeepsWhatItIsGiven) {
  bh::testing::TempDir dir;
  auto cache = BlobPatchCache::open_directory(dir / "cache", 0);
  ASSERT_TRUE(cache);
  EXPECT_FALSE((*cache)->get(key("a")));
  ASSERT_TRUE((*cache)->put(key("a"), {"compressed patch bytes", 100, true}));
  auto hit = (*cache)->get(key("a"));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->compressed_patch, "compressed patch bytes");
  EXPECT_EQ(hit->compared_full_size, 100u);
  EXPECT_TRUE(hit->patch_won);
  // Every part of the key matters.
  PatchKey other = key("a");
  other.engine = "mbdiff-engine-2";
  EXPECT_FALSE((*cache)->get(other));
  const PatchCacheStats stats = (*cache)->stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.writes, 1u);
}

TEST(PatchCache, ADamagedEntryIsDroppedNeverUsed) {
  bh::testing::TempDir dir;
  auto cache = BlobPatchCache::open_directory(dir.path(), 0);
  ASSERT_TRUE(cache);
  ASSERT_TRUE((*cache)->put(key("a"), {std::string(1000, 'p'), 2000, true}));
  const auto path = (*cache)->entry_path(key("a"));
  std::string bytes = bh::testing::read_text(path);
  bytes[500] ^= 1;
  bh::testing::write_text(path, bytes);
  EXPECT_FALSE((*cache)->get(key("a")));
  EXPECT_EQ((*cache)->stats().corrupt, 1u);
  EXPECT_FALSE(std::filesystem::exists(path));
  // Truncated, and another key's entry moved into this one's place.
  ASSERT_TRUE((*cache)->put(key("a"), {"x", 2, true}));
  bh::testing::write_text(path, bh::testing::read_text(path).substr(0, 20));
  EXPECT_FALSE((*cache)->get(key("a")));
  ASSERT_TRUE((*cache)->put(key("b"), {"y", 2, true}));
  std::filesystem::copy_file((*cache)->entry_path(key("b")), path);
  EXPECT_FALSE((*cache)->get(key("a")));
  EXPECT_EQ((*cache)->stats().corrupt, 3u);
}

TEST(PatchCache, EvictsTheLeastRecentlyUsed) {
  bh::testing::TempDir dir;
  auto cache = BlobPatchCache::open_directory(dir.path(), 2500);
  ASSERT_TRUE(cache);
  ASSERT_TRUE((*cache)->put(key("1"), {std::string(1000, '1'), 1, false}));
  ASSERT_TRUE((*cache)->put(key("2"), {std::string(1000, '2'), 1, false}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // distinct modification times
  ASSERT_TRUE((*cache)->get(key("1")));                         // 1 is now the most recent
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE((*cache)->put(key("3"), {std::string(1000, '3'), 1, false}));
  EXPECT_TRUE((*cache)->get(key("1")));
  EXPECT_FALSE((*cache)->get(key("2")));
  EXPECT_TRUE((*cache)->get(key("3")));
  EXPECT_GE((*cache)->stats().evictions, 1u);
}

TEST(PatchCache, ConcurrentWritersOfOneKeyLeaveAWholeEntry) {
  bh::testing::TempDir dir;
  auto cache = BlobPatchCache::open_directory(dir.path(), 0);
  ASSERT_TRUE(cache);
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) EXPECT_TRUE((*cache)->put(key("same"), {std::string(5000 + t, 'a' + t), 1, false}));
    });
  }
  for (auto& w : writers) w.join();
  auto hit = (*cache)->get(key("same"));
  ASSERT_TRUE(hit);
  EXPECT_GE(hit->compressed_patch.size(), 5000u);
  EXPECT_EQ(hit->compressed_patch, std::string(hit->compressed_patch.size(), hit->compressed_patch[0]));
  // No temporary files left.
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace bh::update
