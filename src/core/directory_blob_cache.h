// DirectoryBlobCache: a BlobCache in a local directory, shared safely by the processes that use
// the same directory (`serve` and `worker` on one data directory).
//
// Layout: DIR/<namespace>/<first two characters of the name>/<rest of the name>. Writes go to a
// temporary name in the same directory and are renamed into place, so readers see a whole blob or
// none. Reads refresh a blob's modification time; that time is the recency used for eviction.
// After a write, the oldest blobs are removed until the directory is under its size limit; the
// total is tracked after one scan and the directory is scanned again only when the total passes
// the limit (then other processes' writes are counted too). Temporary files older than an hour
// (a writer that died) are removed by the scan.
//
// Thread safety: every member is safe for concurrent use.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>

#include "core/sync.h"
#include "core/blob_cache.h"

namespace bh {

class DirectoryBlobCache final : public BlobCache {
 public:
  // Creates `directory` if needed. max_bytes 0: no limit.
  static Result<std::shared_ptr<DirectoryBlobCache>> open(const std::filesystem::path& directory,
                                                          std::uint64_t max_bytes);

  std::optional<std::string> get(std::string_view key, std::uint64_t max_bytes) override;
  bool contains(std::string_view key) override;
  Status put(std::string_view key, std::string_view bytes) override;
  Result<bool> remove(std::string_view key) override;
  Result<std::vector<std::string>> list(std::string_view name_space) override;
  Result<std::uint64_t> clear() override;
  Result<BlobUsage> usage() override;
  BlobCacheStats stats() const override;
  std::string describe() const override;

  // Where a key's blob lives (empty for an invalid key); tests damage blobs through it.
  std::filesystem::path path_of(std::string_view key) const;
  const std::filesystem::path& directory() const { return directory_; }

 private:
  DirectoryBlobCache(std::filesystem::path directory, std::uint64_t max_bytes)
      : directory_(std::move(directory)), max_bytes_(max_bytes) {}
  // Counts `written` bytes against the limit; scans and evicts when the total passes it.
  void account(std::uint64_t written) EXCLUDES(evict_mutex_);

  const std::filesystem::path directory_;
  const std::uint64_t max_bytes_;
  Mutex evict_mutex_;
  std::optional<std::uint64_t> known_bytes_ GUARDED_BY(evict_mutex_);
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, writes_{0}, evictions_{0}, bytes_read_{0}, bytes_written_{0};
};

}  // namespace bh
