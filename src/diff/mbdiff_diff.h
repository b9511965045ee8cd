// Making binary patches: MBDIFF10 (what Mozilla's updater applies) or BSDIFF40 (what Debian's
// bspatch applies, for checking our matching independently).
//
// The matcher is bsdiff's (a suffix array of the old file, approximate matches extended forward
// and backward, overlaps split at the best point) with three changes that make it fast without
// changing the format:
//   - the suffix array comes from libdivsufsort with 32-bit indexes (4n bytes, a few seconds
//     for 180 MB) instead of qsufsort's 8n-byte doubling;
//   - each search starts from the range of suffixes that share the first two bytes (a 256 KiB
//     table) and skips the prefix already known to match at both ends of the range;
//   - a position whose next 8 bytes occur nowhere in the old file (a bit set of hashed 8-byte
//     windows says so) is not searched at all: bsdiff would search there byte after byte and find
//     nothing long enough to use;
// and the new file is scanned in fixed 4 MiB chunks on all cores, so the output depends only on
// the inputs, never on the number of threads.
//
// Memory: old n + new m (read-only, usually mapped) + suffix array 4n + bit set ≤ n/8; the
// suffix array is freed before the patch (about m) is written.
// Inputs of 2 GiB and more are refused (32-bit indexes, and the format's limit).
//
// Thread safety: make_patch may run concurrently with itself; it starts its own threads.
#pragma once

#include <cstdint>
#include <string>

#include "core/mapped_file.h"
#include "core/status.h"

namespace bh::diff {

enum class PatchFormat { kMbdiff10, kBsdiff40 };

struct DiffOptions {
  unsigned threads = 0;             // 0: one per core
  std::uint64_t max_memory = 0;     // 0: no limit; otherwise kTooLarge when the estimate exceeds it
  PatchFormat format = PatchFormat::kMbdiff10;
};

// The bytes the diff needs beyond the two inputs (suffix array, bit set, working buffers).
std::uint64_t estimate_diff_memory(std::uint64_t old_size, std::uint64_t new_size);

Result<std::string> make_patch(ByteView old_data, ByteView new_data, const DiffOptions& options = {});

}  // namespace bh::diff
