// BlobCache: named byte strings kept while there is room, the least recently used going first.
// It is the one storage interface of the update service's three cache levels: complete MARs by
// SHA-512 and partial MARs by identifier (L1), and the per-file patch cache (L2, through
// update/patch_cache.h). A local directory implements it here (DirectoryBlobCache); an
// S3-compatible bucket implements the same interface for several nodes.
//
// Keys are "<namespace>/<name>": both parts of [A-Za-z0-9._-], the namespace 1-32 characters, the
// name 3-200, neither starting with a dot. Other keys are refused (kInvalidArgument from put, a
// miss from get), so a key can never name a path outside the cache.
//
// A blob is stored as given: integrity is its user's concern where it matters (complete MARs are
// checked against their SHA-512, partials against the digest their job recorded, patch entries
// carry their own checksum), because only the user knows what the bytes should be.
//
// Ownership: callers hold caches by shared_ptr or reference; a cache owns nothing outside itself.
// Thread safety: every member is safe for concurrent use, across processes sharing the location.
// Failure: get() never fails (a miss, counted); put() returns kIoError when the blob cannot be
// written; remove() and clear() report what they could not delete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bh {

struct BlobCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t writes = 0;
  std::uint64_t evictions = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
};

struct BlobUsage {
  std::uint64_t blobs = 0;
  std::uint64_t bytes = 0;
  std::uint64_t max_bytes = 0;  // 0: no limit
};

class BlobCache {
 public:
  virtual ~BlobCache() = default;
  // The blob, and it becomes the most recently used; nullopt when absent or larger than max_bytes.
  virtual std::optional<std::string> get(std::string_view key, std::uint64_t max_bytes) = 0;
  // Whether the blob is there, without counting a hit or a miss or refreshing it.
  virtual bool contains(std::string_view key) = 0;
  // Replaces any blob under the key; readers see the old blob or the new one, never a mix.
  virtual Status put(std::string_view key, std::string_view bytes) = 0;
  // true when a blob was removed.
  virtual Result<bool> remove(std::string_view key) = 0;
  // Keys under a namespace ("complete"), in no particular order.
  virtual Result<std::vector<std::string>> list(std::string_view name_space) = 0;
  // Removes every blob; returns how many.
  virtual Result<std::uint64_t> clear() = 0;
  virtual Result<BlobUsage> usage() = 0;
  virtual BlobCacheStats stats() const = 0;
  virtual std::string describe() const = 0;  // for logs: "directory /var/cache/buildhub/complete"
};

// Whether `key` is a valid "<namespace>/<name>" key.
bool is_valid_blob_key(std::string_view key);

}  // namespace bh
