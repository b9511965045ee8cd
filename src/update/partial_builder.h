// Building a partial update MAR from two complete MARs, as Mozilla's make_incremental_update.sh
// would (update/partial_rules.h has the rules and the order), but in parallel, with a per-file
// patch cache, and without recompressing what the complete MAR already holds.
//
// What it does:
//   - Files of TO shipped whole are TO's compressed entries, copied byte for byte (recompressed
//     only when the output compression differs from TO's).
//   - Files in both MARs whose compressed entries are byte-identical are unchanged without being
//     decompressed; the others are decompressed and compared by SHA-512. Each changed file is a
//     job: the patch comes from the cache, or from an MBDIFF10 diff (diff/) compressed as Mozilla
//     compresses patches (xz, LZMA2 preset 6, CRC64, no BCJ; bzip2 -9 for bzip2 output). Patches
//     larger than one xz block (32 MiB) are compressed in independent blocks on all cores. The
//     patch is shipped only when strictly smaller than the compressed full file.
//   - Jobs run largest first, up to `jobs` at once, each holding its memory estimate (both
//     contents, the diff's own estimate) against `max_memory` less what the build holds anyway
//     (both MARs, one xz encoder per thread); a job larger than that runs alone rather than
//     failing. After its diff a job holds only the patch and its compressed copy.
//   - With a cache, each compressed entry's SHA-256 is remembered with its content's SHA-512
//     (PatchCache::lookup_entry), so a rerun or a second locale decides most files without
//     decompressing anything.
//   - Output compression: as TO's entries (xz or bzip2; bzip2 means an updater older than
//     Firefox 56), x86 BCJ on full files and the manifest when TO's manifest entry uses it. Both
//     can be forced. Entry modes are 0755 for files executable in TO and 0644 otherwise, 0644 for
//     patches and the manifest, as the script's copy_perm leaves them.
// The bytes depend only on the two MARs, the options that name output (channel, version, forced
// files, compression) and the diff engine's version: never on jobs, memory or the cache.
//
// Ownership: the archives are borrowed for the call. Thread safety: build_partial may run
// concurrently with itself; the progress callback is called from worker threads, one call at a
// time. Failure: kInvalidArgument for MARs the rules refuse (no precomplete in TO, paths a
// manifest cannot hold, damaged entries, no product information and none given), kTooLarge past
// the MAR or diff limits; the first failing file's error names it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compress/compression.h"
#include "core/executor.h"
#include "core/status.h"
#include "mar/mar_archive.h"
#include "update/manifest.h"
#include "update/patch_cache.h"

namespace bh::update {

struct PartialProgress {
  std::size_t files_done = 0;
  std::size_t files_total = 0;  // files that needed decompressing and comparing
  std::uint64_t bytes_done = 0;  // their new sizes
  std::uint64_t bytes_total = 0;
};

struct PartialOptions {
  std::optional<std::string> channel_id;       // default: TO's product information
  std::optional<std::string> product_version;  // default: TO's product information
  std::vector<std::string> forced;             // the script's -f paths
  std::optional<compress::Compression> compression;  // kXz or kBzip2; default: as TO's entries
  std::optional<bool> x86_bcj;                        // default: as TO's manifest entry
  unsigned jobs = 0;                                  // files at once; 0: the executor's CPU budget
  std::uint64_t max_memory = std::uint64_t{768} << 20;  // 0: no limit
  std::uint64_t xz_block_size = std::uint64_t{32} << 20;
  PatchCache* cache = nullptr;                        // borrowed; null: no cache
  std::function<void(const PartialProgress&)> progress;
};

// One file's fate, for the --json summary.
struct FileReport {
  std::string path;
  std::string decision;  // "patch", "add", "add-if-not", "remove", "unchanged"
  std::string reason;    // "changed", "forced", "new", "add-if-not", "only in FROM", "identical", ...
  std::string entry;     // the archive entry shipped, if any
  std::uint64_t old_size = 0;     // decompressed, when known
  std::uint64_t new_size = 0;     // decompressed, when known
  std::uint64_t patch_bytes = 0;  // compressed patch, when one was made or found
  std::uint64_t full_bytes = 0;   // compressed full file, when shipped or compared
  double seconds = 0;
  double diff_seconds = 0;      // computing the patch here (0 on a cache hit)
  double compress_seconds = 0;  // compressing that patch
  std::string cache;  // "hit", "miss", or empty
};

struct PartialBuild {
  std::string mar;  // the archive's bytes
  Manifest manifest;
  mar::ProductInformation product_information;
  compress::Compression compression = compress::Compression::kXz;
  bool x86_bcj = false;
  std::vector<FileReport> files;  // shipped files in archive order, then unchanged, then removed
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::uint64_t diffs = 0;  // patches computed here
};

Result<PartialBuild> build_partial(const mar::MarArchive& from, const mar::MarArchive& to, const PartialOptions& options,
                                   Executor& executor);

// The JSON of a build's file reports (zero fields left out) and of its manifest's lines, as
// `partial --json` and GET /api/partials/<id> show them.
nlohmann::json file_reports_json(const std::vector<FileReport>& files);
nlohmann::json manifest_json(const Manifest& manifest);

// How patches are compressed for `compression` (the cache key's compression part).
std::string patch_compression_identity(compress::Compression compression, std::uint64_t xz_block_size);

}  // namespace bh::update
