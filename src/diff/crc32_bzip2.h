// CRC-32/BZIP2: polynomial 0x04C11DB7 processed most-significant bit first, initial value and
// final XOR 0xFFFFFFFF. MBDIFF10 patches carry it for their source file (what libbz2's
// BZ2_crc32Table computes, which Mozilla's mbsdiff and updater use).
//
// Slicing-by-8 tables, computed at compile time; about 8 bytes per table round.
// Thread safety: pure functions.
#pragma once

#include <cstdint>

#include "core/mapped_file.h"

namespace bh::diff {

class Crc32Bzip2 {
 public:
  void update(ByteView data);
  std::uint32_t value() const { return ~state_; }

 private:
  std::uint32_t state_ = 0xFFFFFFFFu;
};

std::uint32_t crc32_bzip2(ByteView data);

}  // namespace bh::diff
