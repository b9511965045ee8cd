// Constants of the MAR container (Mozilla ARchive), as libmar and the updater define them.
// Layout and meaning: docs/formats.md ("MAR").
#pragma once

#include <cstdint>

namespace bh::mar {

inline constexpr char kMagic[4] = {'M', 'A', 'R', '1'};
inline constexpr std::uint32_t kOldFormatDataOffset = 8;     // "MAR1" + offset to index
inline constexpr std::uint32_t kSignatureBlockOffset = 16;   // "MAR1" + index offset + u64 file size
inline constexpr std::uint32_t kMaxSignatures = 8;           // MAX_SIGNATURES
inline constexpr std::uint32_t kMaxSignatureSize = 2048;     // MAX_SIGNATURE_LENGTH
inline constexpr std::uint32_t kProductInfoBlockId = 1;      // PRODUCT_INFO_BLOCK_ID
inline constexpr std::uint32_t kMaxChannelLength = 63;       // PIB_MAX_MAR_CHANNEL_ID_SIZE
inline constexpr std::uint32_t kMaxVersionLength = 31;       // PIB_MAX_PRODUCT_VERSION_SIZE
// The reader rejects a product information payload above 96 bytes (MAXADDITIONALBLOCKSIZE)...
inline constexpr std::uint32_t kMaxProductInfoPayload = 96;
// ...and the C writer always reserves 8 + 63 + 31 + 2 = 104 bytes so `mar -i` can rewrite it in place.
inline constexpr std::uint32_t kPaddedProductInfoBlockSize = 8 + kMaxChannelLength + kMaxVersionLength + 2;
inline constexpr std::uint64_t kDefaultMaxMarSize = 524288000;  // MAX_SIZE_OF_MAR_FILE: 500 MiB
inline constexpr std::uint32_t kIndexEntryFixedSize = 12;       // offset, size, flags; then the name + NUL
inline constexpr std::uint32_t kMaxEntryNameLength = 4096;

// Signature algorithm ids of the signature block.
enum class SignatureAlgorithm : std::uint32_t {
  kRsaPkcs1Sha1 = 1,    // legacy, 2048-bit keys
  kRsaPkcs1Sha384 = 2,  // what current updaters accept, 4096-bit keys
};

}  // namespace bh::mar
