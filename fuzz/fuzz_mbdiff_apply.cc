// libFuzzer target: the MBDIFF10 applier. The input is split into a source and a patch; in half
// of the runs the patch's source length and CRC are set to match the source, so the fuzzer gets
// past those checks into the triples. Oracle: success means a result of exactly the length the
// header promised; otherwise a Status, never a crash or an out-of-range access (ASan).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/byte_view.h"
#include "core/byte_order.h"
#include "diff/crc32_bzip2.h"
#include "diff/mbdiff_patch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool fix_header = (data[0] & 1) != 0;
  const std::size_t source_size = std::min<std::size_t>(data[1], size - 2);
  const std::string source(reinterpret_cast<const char*>(data + 2), source_size);
  std::string patch(reinterpret_cast<const char*>(data + 2 + source_size), size - 2 - source_size);
  const bh::ByteView source_view = bh::as_bytes(source);
  if (fix_header && patch.size() >= bh::diff::kMbdiffHeaderSize) {
    auto* header = reinterpret_cast<std::uint8_t*>(patch.data());
    bh::store_u32_be(header + 8, static_cast<std::uint32_t>(source.size()));
    bh::store_u32_be(header + 12, bh::diff::crc32_bzip2(source_view));
  }
  bh::diff::ApplyLimits limits;
  limits.max_result_bytes = 1 << 20;
  const bh::ByteView patch_view = bh::as_bytes(patch);
  auto result = bh::diff::apply_mbdiff(source_view, patch_view, limits);
  if (result) {
    auto header = bh::diff::read_mbdiff_header(patch_view);
    if (!header || result->size() != header->result_length) std::abort();
  }
  return 0;
}
