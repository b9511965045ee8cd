// Writing MAR files, byte for byte as Mozilla's C `mar` tool lays them out: header, signature
// block (possibly empty), one additional section (the product information block, padded to
// 104 bytes so it can be rewritten in place), entry data in the order given, then the index.
// Rewrites of an existing archive (new signatures, a new product information block) copy the
// entry data verbatim and only move offsets.
//
// Thread safety: pure functions over their arguments. Failure: kInvalidArgument for names,
// channel or version the reader would refuse, for zero-length entries (the updater rejects
// them) and for rewrites an old-format MAR cannot take; kTooLarge past the size limit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "mar/mar_archive.h"

namespace bh::mar {

struct MarWriterEntry {
  std::string name;
  ByteView data;             // stored as is (compress beforehand); must outlive the call
  std::uint32_t flags = 0644;
};

struct MarSignatureSlot {
  std::uint32_t algorithm_id = 0;
  std::string bytes;  // the signature, or zeros of the final length while it is computed
};

struct MarBuildRequest {
  ProductInformation product_information;
  // true: a 104-byte block like Mozilla's C tool; false: only as long as needed, like build-mar.
  bool pad_product_information = true;
  std::vector<MarSignatureSlot> signatures;
  std::vector<MarWriterEntry> entries;  // written in this order
  std::uint64_t max_file_size = kDefaultMaxMarSize;
};

// The whole archive in memory.
Result<std::string> build_mar(const MarBuildRequest& request);

// A copy of `archive` whose signature block holds exactly `signatures` (none: stripped).
// Everything after the signature block is copied; index offsets move by the size difference.
Result<std::string> rebuild_with_signatures(const MarArchive& archive, const std::vector<MarSignatureSlot>& signatures);

// What replacing the product information of `archive` writes. When the new block fits in the
// old one, only that block changes: `bytes` is the new block, to be written at `offset` over the
// existing file (Mozilla's `mar -i` rewrites in place). Otherwise the header blocks are rebuilt
// with a padded block and `bytes` is the whole new file (`whole_file`). Refuses signed archives
// (the signatures would no longer verify) and the old format.
struct ProductInformationRewrite {
  bool whole_file = false;
  std::uint32_t offset = 0;
  std::string bytes;
};
Result<ProductInformationRewrite> rewrite_product_information(const MarArchive& archive, const ProductInformation& info);

}  // namespace bh::mar
