#include "diff/mbdiff_patch.h"

#include <cstring>

#include <fmt/format.h>

#include "core/byte_reader.h"
#include "diff/crc32_bzip2.h"

namespace bh::diff {
namespace {

Status malformed(std::string message) { return invalid_argument("malformed MBDIFF10 patch: " + std::move(message)); }

}  // namespace

Result<MbdiffHeader> read_mbdiff_header(ByteView patch) {
  if (patch.size() < kMbdiffHeaderSize) {
    return fail(malformed(fmt::format("{} bytes is shorter than the 32-byte header", patch.size())));
  }
  const ByteReader in(patch, "malformed MBDIFF10 patch");
  BH_ASSIGN_OR_RETURN(const ByteView magic, in.read_bytes(0, 8, "magic"));
  if (as_chars(magic) != "MBDIFF10") {
    if (as_chars(magic) == "BSDIFF40") return fail(malformed("this is a BSDIFF40 patch (bsdiff's format), not MBDIFF10"));
    return fail(malformed("no MBDIFF10 magic at the start"));
  }
  MbdiffHeader h;
  BH_ASSIGN_OR_RETURN(h.source_length, in.read_u32_be(8, "source length"));
  BH_ASSIGN_OR_RETURN(h.source_crc32, in.read_u32_be(12, "source CRC"));
  BH_ASSIGN_OR_RETURN(h.result_length, in.read_u32_be(16, "result length"));
  BH_ASSIGN_OR_RETURN(h.control_length, in.read_u32_be(20, "control block length"));
  BH_ASSIGN_OR_RETURN(h.diff_length, in.read_u32_be(24, "diff block length"));
  BH_ASSIGN_OR_RETURN(h.extra_length, in.read_u32_be(28, "extra block length"));
  const std::uint64_t described =
      kMbdiffHeaderSize + std::uint64_t{h.control_length} + h.diff_length + h.extra_length;
  if (described != patch.size()) {
    return fail(malformed(fmt::format("the header describes {} bytes (control {}, diff {}, extra {}) but the patch has {}",
                                      described, h.control_length, h.diff_length, h.extra_length, patch.size())));
  }
  if (h.control_length % 12 != 0) {
    return fail(malformed(fmt::format("the control block ({} bytes) is not whole 12-byte triples", h.control_length)));
  }
  if (h.source_length > kMbdiffMaxFileSize || h.result_length > kMbdiffMaxFileSize) {
    return fail(malformed("source or result length over 2 GiB - 1, the format's limit"));
  }
  return h;
}

Result<std::string> apply_mbdiff(ByteView source, ByteView patch, const ApplyLimits& limits) {
  BH_ASSIGN_OR_RETURN(const MbdiffHeader h, read_mbdiff_header(patch));
  if (source.size() != h.source_length) {
    return fail(invalid_argument(fmt::format("the source is {} bytes but the patch was made for a {}-byte source",
                                             source.size(), h.source_length)));
  }
  const std::uint32_t crc = crc32_bzip2(source);
  if (crc != h.source_crc32) {
    return fail(invalid_argument(fmt::format("the source's CRC-32 is {:08x} but the patch was made for {:08x}: "
                                             "wrong source file", crc, h.source_crc32)));
  }
  if (h.result_length > limits.max_result_bytes) {
    return fail(too_large(fmt::format("the result would be {} bytes, over the limit of {}", h.result_length,
                                      limits.max_result_bytes)));
  }
  // The header's lengths add up to the patch's size (read_mbdiff_header), so these cannot fail.
  const ByteReader in(patch, "malformed MBDIFF10 patch");
  BH_ASSIGN_OR_RETURN(const ByteView control_block, in.read_bytes(kMbdiffHeaderSize, h.control_length, "control block"));
  BH_ASSIGN_OR_RETURN(const ByteView diff_block,
                      in.read_bytes(kMbdiffHeaderSize + std::uint64_t{h.control_length}, h.diff_length, "diff block"));
  BH_ASSIGN_OR_RETURN(const ByteView extra_block,
                      in.read_bytes(kMbdiffHeaderSize + std::uint64_t{h.control_length} + h.diff_length, h.extra_length,
                                    "extra block"));
  ByteReader control(control_block, "malformed MBDIFF10 patch");
  const std::uint8_t* diff = diff_block.data();
  const std::uint8_t* extra = extra_block.data();
  std::uint64_t diff_at = 0;
  std::uint64_t extra_at = 0;
  std::uint64_t out_at = 0;
  std::int64_t source_at = 0;
  std::string out(h.result_length, '\0');
  auto* result = reinterpret_cast<std::uint8_t*>(out.data());
  const std::size_t triples = h.control_length / 12;
  for (std::size_t t = 0; t < triples; ++t) {
    BH_ASSIGN_OR_RETURN(const std::uint32_t x, control.next_u32_be("triple x"));
    BH_ASSIGN_OR_RETURN(const std::uint32_t y, control.next_u32_be("triple y"));
    BH_ASSIGN_OR_RETURN(const std::uint32_t z_bits, control.next_u32_be("triple z"));
    const auto z = static_cast<std::int32_t>(z_bits);
    // The checks below keep every raw access of this triple inside its block (checked reads of
    // single bytes would cost more than the patch).
    if (x > h.result_length - out_at) return fail(malformed(fmt::format("triple {} writes past the end of the result", t)));
    if (x > h.diff_length - diff_at) return fail(malformed(fmt::format("triple {} reads past the diff block", t)));
    if (source_at + std::int64_t{x} > std::int64_t{h.source_length}) {
      return fail(malformed(fmt::format("triple {} reads past the end of the source", t)));
    }
    const std::uint8_t* from = source.data() + source_at;
    const std::uint8_t* delta = diff + diff_at;
    std::uint8_t* to = result + out_at;
    for (std::uint32_t i = 0; i < x; ++i) to[i] = static_cast<std::uint8_t>(delta[i] + from[i]);
    diff_at += x;
    out_at += x;
    source_at += x;
    if (y > h.result_length - out_at) return fail(malformed(fmt::format("triple {} writes past the end of the result", t)));
    if (y > h.extra_length - extra_at) return fail(malformed(fmt::format("triple {} reads past the extra block", t)));
    if (y > 0) std::memcpy(result + out_at, extra + extra_at, y);
    extra_at += y;
    out_at += y;
    source_at += z;
    if (source_at < 0) return fail(malformed(fmt::format("triple {} seeks before the start of the source", t)));
    if (source_at > std::int64_t{h.source_length}) {
      return fail(malformed(fmt::format("triple {} seeks past the end of the source", t)));
    }
  }
  if (out_at != h.result_length) {
    return fail(malformed(fmt::format("the triples produce {} bytes but the header says {}", out_at, h.result_length)));
  }
  return out;
}

}  // namespace bh::diff
