// The per-file patch cache (L2): the compressed patch between two file contents, so that a diff
// is computed once per pair however many locales, from-versions or reruns need it. Mozilla's
// funsize keyed the same cache by sha512(from)/sha512(to).
//
// Key: both contents' SHA-512, the diff engine's output identity (engine version and every
// parameter that changes the patch's bytes) and the patch compression. Value: the compressed
// patch, and the full-file size it was compared with and the decision then taken (the decision
// is taken again on every use, against the full file of the build at hand).
//
// PatchCache is the interface (an S3-compatible bucket implements it next); DirectoryPatchCache
// keeps one file per entry under a local directory (and the entry memo in small files under
// entries/), sharded by the key's hash, each with a
// SHA-256 of its content that is checked on every read: a damaged or foreign entry is deleted
// and reported as a miss, never used. Writes go to a temporary name and are renamed into place,
// so several processes can share one directory (the last complete write wins; readers see a whole
// entry or none). Reads refresh an entry's modification time; after a write, the oldest entries
// are evicted until the directory is under its size limit (the size is tracked, the directory
// scanned only when the total passes the limit).
//
// Thread safety: every member is safe for concurrent use, across processes too.
// Failure: get() never fails (a miss); put() returns kIoError when the entry cannot be written
// (the caller carries on without caching).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/sync.h"

namespace bh::update {

struct PatchKey {
  std::string old_digest;   // SHA-512 hex of the old content
  std::string new_digest;   // SHA-512 hex of the new content
  std::string engine;       // diff::output_identity(params)
  std::string compression;  // how the patch is compressed ("xz;preset=6;check=crc64;block=33554432")

  // One line naming all four; its SHA-256 names the entry.
  std::string text() const;
};

struct CachedPatch {
  std::string compressed_patch;
  std::uint64_t compared_full_size = 0;  // the compressed full file it was compared with
  bool patch_won = false;                // compressed_patch.size() < compared_full_size then
};

// What a compressed MAR entry decompresses to: its SHA-512 and size. Entries are identified by
// the SHA-256 of their compressed bytes, so a rerun (or another locale sharing a binary) learns a
// content's digest without decompressing it.
struct ContentId {
  std::string sha512;
  std::uint64_t size = 0;
};

struct PatchCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t corrupt = 0;  // entries found damaged (deleted, counted as misses too)
  std::uint64_t writes = 0;
  std::uint64_t evictions = 0;
};

class PatchCache {
 public:
  virtual ~PatchCache() = default;
  virtual std::optional<CachedPatch> get(const PatchKey& key) = 0;
  virtual Status put(const PatchKey& key, const CachedPatch& value) = 0;
  // The entry memo (see ContentId); lookups never fail, remembering is best effort.
  virtual std::optional<ContentId> lookup_entry(const std::string& entry_sha256) = 0;
  virtual void remember_entry(const std::string& entry_sha256, const ContentId& content) = 0;
  virtual PatchCacheStats stats() const = 0;
  virtual std::string describe() const = 0;  // for logs: "directory /var/cache/buildhub/patches"
};

class DirectoryPatchCache final : public PatchCache {
 public:
  // Creates `directory` if needed. max_bytes 0: no limit.
  static Result<std::unique_ptr<DirectoryPatchCache>> open(const std::filesystem::path& directory,
                                                           std::uint64_t max_bytes);

  std::optional<CachedPatch> get(const PatchKey& key) override;
  Status put(const PatchKey& key, const CachedPatch& value) override;
  std::optional<ContentId> lookup_entry(const std::string& entry_sha256) override;
  void remember_entry(const std::string& entry_sha256, const ContentId& content) override;
  PatchCacheStats stats() const override;
  std::string describe() const override;

  // The file an entry lives in (tests damage it on purpose).
  std::filesystem::path entry_path(const PatchKey& key) const;

 private:
  DirectoryPatchCache(std::filesystem::path directory, std::uint64_t max_bytes)
      : directory_(std::move(directory)), max_bytes_(max_bytes) {}
  // Counts `written` bytes against the limit; scans and evicts when the total passes it.
  void account(std::uint64_t written) EXCLUDES(evict_mutex_);

  const std::filesystem::path directory_;
  const std::uint64_t max_bytes_;
  Mutex evict_mutex_;  // one eviction pass at a time in this process
  std::optional<std::uint64_t> known_bytes_ GUARDED_BY(evict_mutex_);
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, corrupt_{0}, writes_{0}, evictions_{0};
};

}  // namespace bh::update
