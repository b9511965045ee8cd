// The per-file patch cache (L2): the compressed patch between two file contents, so that a diff
// is computed once per pair however many locales, from-versions or reruns need it. Mozilla's
// funsize keyed the same cache by sha512(from)/sha512(to).
//
// Key: both contents' SHA-512, the diff engine's output identity (engine version and every
// parameter that changes the patch's bytes) and the patch compression. Value: the compressed
// patch, and the full-file size it was compared with and the decision then taken (the decision
// is taken again on every use, against the full file of the build at hand).
//
// PatchCache is the interface; BlobPatchCache keeps entries in a BlobCache (core/blob_cache.h:
// a local directory, or an S3-compatible bucket for several nodes), one blob per entry
// ("patches/<SHA-256 of the key>.patch") and the entry memo as small blobs
// ("entries/<entry SHA-256>"). Each entry carries a SHA-256 of its content that is checked on
// every read: a damaged or foreign entry is deleted and reported as a miss, never used. The blob
// cache gives whole-or-nothing writes shared between processes and least-recently-used eviction.
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
#include "core/blob_cache.h"

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

class BlobPatchCache final : public PatchCache {
 public:
  explicit BlobPatchCache(std::shared_ptr<BlobCache> blobs) : blobs_(std::move(blobs)) {}
  // Over a DirectoryBlobCache at `directory` (created if needed). max_bytes 0: no limit.
  static Result<std::unique_ptr<BlobPatchCache>> open_directory(const std::filesystem::path& directory,
                                                                std::uint64_t max_bytes);

  std::optional<CachedPatch> get(const PatchKey& key) override;
  Status put(const PatchKey& key, const CachedPatch& value) override;
  std::optional<ContentId> lookup_entry(const std::string& entry_sha256) override;
  void remember_entry(const std::string& entry_sha256, const ContentId& content) override;
  PatchCacheStats stats() const override;
  std::string describe() const override;

  // The blob key of an entry, and its file when the blobs are in a directory (tests damage it).
  static std::string blob_key(const PatchKey& key);
  std::filesystem::path entry_path(const PatchKey& key) const;
  BlobCache& blobs() const { return *blobs_; }

 private:
  std::shared_ptr<BlobCache> blobs_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, corrupt_{0}, writes_{0};
};

}  // namespace bh::update
