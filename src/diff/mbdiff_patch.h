// MBDIFF10, the binary patch format of Mozilla's updater (mbsdiff/mbspatch): a 32-byte
// big-endian header ("MBDIFF10", source length, source CRC-32/BZIP2, result length, control,
// diff and extra block lengths), then control triples (u32 x, u32 y, i32 z), the diff block and
// the extra block, all uncompressed (the MAR entry's xz compresses them).
//
// Applying: for each triple, x bytes of result = diff bytes + source bytes (mod 256) from the
// current source position, which then advances by x; y literal bytes from the extra block; then
// the source position moves by z. Everything is checked before memory is touched: the patch's
// size against its header, the source's length and CRC, and for every triple that its reads stay
// inside the diff block, the extra block and the source, that the source position never goes
// before the start or past the end, and that it writes only inside the result; the result must
// come out exactly as long as the header says. A malformed patch is kInvalidArgument naming the
// defect; a result over the limit is kTooLarge.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "core/mapped_file.h"
#include "core/status.h"

namespace bh::diff {

inline constexpr std::size_t kMbdiffHeaderSize = 32;
// The updater refuses files over INT_MAX; the format's arithmetic is 32-bit signed.
inline constexpr std::uint64_t kMbdiffMaxFileSize = 0x7FFFFFFFu;

struct MbdiffHeader {
  std::uint32_t source_length = 0;
  std::uint32_t source_crc32 = 0;
  std::uint32_t result_length = 0;
  std::uint32_t control_length = 0;
  std::uint32_t diff_length = 0;
  std::uint32_t extra_length = 0;
};

// Reads and checks the header: magic, block lengths adding up to exactly the patch's size,
// whole triples, lengths within the format's limit.
Result<MbdiffHeader> read_mbdiff_header(ByteView patch);

struct ApplyLimits {
  std::uint64_t max_result_bytes = kMbdiffMaxFileSize;
};

Result<std::string> apply_mbdiff(ByteView source, ByteView patch, const ApplyLimits& limits = {});

}  // namespace bh::diff
