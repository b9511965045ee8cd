// Making binary patches: MBDIFF10 (what Mozilla's updater applies) or BSDIFF40 (what Debian's
// bspatch applies, for checking our matching independently).
//
// The matcher is bsdiff's (approximate matches extended forward and backward, overlaps split at
// the best point, Mozilla's 2018 scoring) over an index built differently:
//   - a sparse suffix array: the old file's suffixes at every 4th position (files of 1 MiB and
//     more), sorted by libdivsufsort in 8 slices on all cores and merged. A match starting at any
//     old position is found within 3 bytes, where it reaches a sampled position; the backward
//     extension takes back those bytes. It costs n bytes instead of 4n;
//   - a Bloom filter of the sampled 16-byte windows: a position whose next 16 bytes (24 or 32
//     when only a longer match would matter) occur at no sampled position is not searched; bsdiff
//     searches there byte after byte and finds nothing worth a cover;
//   - each search starts from the entries that share the first two bytes (a 256 KiB table);
//   - where the current alignment keeps matching for 8 bytes, it is taken without a search;
// and the new file is scanned in fixed 4 MiB chunks on all cores. Slices, steps and chunks
// depend only on the sizes, so the patch never depends on the number of threads.
//
// Memory beyond the inputs (old n, new m, read-only, usually mapped): while sorting, the slices
// being sorted (4n/8 each, as many at once as threads) and the sorted lists (n); then the sparse
// array (n), the filter (n/4 to n/2) and the covers; the index is freed before the patch (about
// m) is written. estimate_diff_memory gives the peak. Inputs of 2 GiB and more are refused
// (32-bit indexes, and the format's limit).
//
// Ownership: make_patch borrows the inputs for the call and returns the patch by value.
// Thread safety: make_patch may run concurrently with itself; its parallel work runs on the
// executor passed in, and it holds a reservation of its estimated memory on that executor's
// budget for the whole call (waiting for room when other work holds it).
// Failure: kTooLarge for inputs of 2 GiB or more, or when the estimate exceeds the request's
// max_memory or the executor's whole memory budget; kInvalidArgument for a bad sample step.
#pragma once

#include <cstdint>
#include <string>

#include "core/byte_view.h"
#include "core/executor.h"
#include "core/status.h"

namespace bh::diff {

// Changes whenever make_patch's bytes for the same inputs and DiffParams can change (matcher,
// scoring, cover filtering, block layout). Caches of patches key on it: see output_identity.
inline constexpr std::uint32_t kEngineVersion = 1;

enum class PatchFormat { kMbdiff10, kBsdiff40 };

// What the patch's bytes depend on, besides the two inputs.
struct DiffParams {
  PatchFormat format = PatchFormat::kMbdiff10;
  unsigned sample_step = 0;  // 0: by size (4 from 1 MiB of old file, else 1); or 1, 2, 4, 8
};

// What the diff may use. Never changes the bytes.
struct DiffResources {
  unsigned threads = 0;          // 0: the executor's CPU budget
  std::uint64_t max_memory = 0;  // 0: only the executor's memory budget; else kTooLarge above it
};

struct DiffRequest {
  ByteView old_data;
  ByteView new_data;
  DiffParams params;
  DiffResources resources;
};

// The engine version and every output-changing parameter, as one stable string
// ("mbdiff-engine-1;format=mbdiff10;step=auto"): with the inputs' digests, a complete cache key.
std::string output_identity(const DiffParams& params);

// The most memory the diff needs beyond the two inputs (index, filter, covers, the patch) when
// `threads` threads sort at once.
std::uint64_t estimate_diff_memory(std::uint64_t old_size, std::uint64_t new_size, const DiffParams& params,
                                   unsigned threads);

Result<std::string> make_patch(const DiffRequest& request, Executor& executor);

}  // namespace bh::diff
