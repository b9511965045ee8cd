#include "mar/mar_writer.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "core/byte_view.h"
#include "core/byte_order.h"

namespace bh::mar {
namespace {

std::string product_information_block(const ProductInformation& info, bool padded) {
  std::string payload = info.channel;
  payload.push_back('\0');
  payload += info.version;
  payload.push_back('\0');
  if (padded) payload.resize(kPaddedProductInfoBlockSize - 8, '\0');
  std::string block;
  append_u32_be(block, static_cast<std::uint32_t>(payload.size() + 8));
  append_u32_be(block, kProductInfoBlockId);
  block += payload;
  return block;
}

void append_signature_block(std::string& out, const std::vector<MarSignatureSlot>& signatures) {
  append_u32_be(out, static_cast<std::uint32_t>(signatures.size()));
  for (const MarSignatureSlot& s : signatures) {
    append_u32_be(out, s.algorithm_id);
    append_u32_be(out, static_cast<std::uint32_t>(s.bytes.size()));
    out += s.bytes;
  }
}

Status check_signatures(const std::vector<MarSignatureSlot>& signatures) {
  if (signatures.size() > kMaxSignatures) {
    return invalid_argument(fmt::format("{} signatures (at most {})", signatures.size(), kMaxSignatures));
  }
  for (const MarSignatureSlot& s : signatures) {
    if (s.bytes.empty() || s.bytes.size() > kMaxSignatureSize) {
      return invalid_argument(fmt::format("a signature of {} bytes (1 to {} allowed)", s.bytes.size(), kMaxSignatureSize));
    }
  }
  return {};
}

Status check_size(std::uint64_t size, std::uint64_t limit) {
  if (size > limit || size > UINT32_MAX) {
    return too_large(fmt::format("the MAR would be {} bytes, over the limit of {} (libmar refuses MARs over 500 MiB)",
                                 size, std::min<std::uint64_t>(limit, UINT32_MAX)));
  }
  return {};
}

// Header + signature block + the given header tail (additional sections), with the index
// offset and file size filled in later.
std::string start_archive(const std::vector<MarSignatureSlot>& signatures, std::string_view sections) {
  std::string out(kMagic, 4);
  append_u32_be(out, 0);  // offset to index, patched
  append_u64_be(out, 0);  // file size, patched
  append_signature_block(out, signatures);
  out += sections;
  return out;
}

void finish_header(std::string& out, std::uint32_t index_offset) {
  auto* p = reinterpret_cast<std::uint8_t*>(out.data());
  store_u32_be(p + 4, index_offset);
  store_u32_be(p + 8, static_cast<std::uint32_t>(static_cast<std::uint64_t>(out.size()) >> 32));
  store_u32_be(p + 12, static_cast<std::uint32_t>(out.size()));
}

void append_index_entry(std::string& index, const MarEntry& e) {
  append_u32_be(index, e.offset);
  append_u32_be(index, e.size);
  append_u32_be(index, e.flags);
  index += e.name;
  index.push_back('\0');
}

// Copies the data area of `archive` after a new header prefix and rewrites the index with
// offsets moved by the change in header length.
Result<std::string> rebuild_after_header(const MarArchive& archive, std::string prefix) {
  const std::int64_t delta = static_cast<std::int64_t>(prefix.size()) - static_cast<std::int64_t>(archive.data_offset());
  const ByteView data = archive.bytes().subspan(archive.data_offset(), archive.index_offset() - archive.data_offset());
  std::string index;
  for (const MarEntry& e : archive.entries()) {
    MarEntry moved = e;
    moved.offset = static_cast<std::uint32_t>(static_cast<std::int64_t>(e.offset) + delta);
    append_index_entry(index, moved);
  }
  BH_RETURN_IF_ERROR(check_size(prefix.size() + data.size() + 4 + index.size(), UINT32_MAX));
  std::string out = std::move(prefix);
  out.reserve(out.size() + data.size() + 4 + index.size());
  out += as_chars(data);
  const auto index_offset = static_cast<std::uint32_t>(out.size());
  append_u32_be(out, static_cast<std::uint32_t>(index.size()));
  out += index;
  finish_header(out, index_offset);
  return out;
}

// The additional sections of `archive` as bytes, with the product information block replaced
// by `pib` (or added when there was none).
std::string sections_with(const MarArchive& archive, const std::string& pib) {
  std::string sections;
  std::uint32_t count = 0;
  bool replaced = false;
  for (const MarAdditionalSection& s : archive.additional_sections()) {
    if (s.id == kProductInfoBlockId) {
      sections += pib;
      replaced = true;
    } else {
      sections += as_chars(archive.bytes().subspan(s.offset, s.size));
    }
    ++count;
  }
  if (!replaced) {
    sections += pib;
    ++count;
  }
  std::string out;
  append_u32_be(out, count);
  return out + sections;
}

}  // namespace

Result<std::string> build_mar(const MarBuildRequest& request) {
  BH_RETURN_IF_ERROR(validate_product_information(request.product_information));
  BH_RETURN_IF_ERROR(check_signatures(request.signatures));
  std::string sections;
  append_u32_be(sections, 1);
  sections += product_information_block(request.product_information, request.pad_product_information);
  std::string out = start_archive(request.signatures, sections);

  std::uint64_t total = out.size() + 4;
  for (const MarWriterEntry& e : request.entries) {
    BH_RETURN_IF_ERROR(validate_entry_name(e.name).with_context("cannot write the MAR"));
    if (e.data.empty()) {
      return fail(invalid_argument(fmt::format(
          "entry '{}' would be zero-length: the updater rejects empty entries (compress it: an empty file is a "
          "non-empty xz stream)", e.name)));
    }
    total += e.data.size() + kIndexEntryFixedSize + e.name.size() + 1;
  }
  BH_RETURN_IF_ERROR(check_size(total, request.max_file_size));
  std::unordered_map<std::string_view, int> seen;
  for (const MarWriterEntry& e : request.entries) {
    if (seen[e.name]++ > 0) return fail(invalid_argument(fmt::format("entry '{}' is given twice", e.name)));
  }

  out.reserve(total);
  std::string index;
  for (const MarWriterEntry& e : request.entries) {
    append_index_entry(index, MarEntry{e.name, static_cast<std::uint32_t>(out.size()),
                                       static_cast<std::uint32_t>(e.data.size()), e.flags});
    out += as_chars(e.data);
  }
  const auto index_offset = static_cast<std::uint32_t>(out.size());
  append_u32_be(out, static_cast<std::uint32_t>(index.size()));
  out += index;
  finish_header(out, index_offset);
  return out;
}

Result<std::string> rebuild_with_signatures(const MarArchive& archive, const std::vector<MarSignatureSlot>& signatures) {
  if (!archive.has_signature_block()) {
    return fail(invalid_argument("an old-format MAR has no signature block; re-create it with -c first"));
  }
  BH_RETURN_IF_ERROR(check_signatures(signatures));
  const std::uint32_t tail_begin = archive.signature_block_end();
  const std::string_view sections =
      as_chars(archive.bytes().subspan(tail_begin, archive.data_offset() - tail_begin));
  return rebuild_after_header(archive, start_archive(signatures, sections));
}

Result<ProductInformationRewrite> rewrite_product_information(const MarArchive& archive,
                                                              const ProductInformation& info) {
  BH_RETURN_IF_ERROR(validate_product_information(info));
  if (!archive.has_signature_block()) {
    return fail(invalid_argument("an old-format MAR has no product information block; re-create it with -c"));
  }
  if (!archive.signatures().empty()) {
    return fail(invalid_argument(
        "the MAR is signed: a new product information block would break its signatures (strip them with -r first)"));
  }
  const MarAdditionalSection* old_block = archive.product_information_block();
  std::string block = product_information_block(info, false);
  if (old_block != nullptr && block.size() <= old_block->size) {
    // In place: the old block's size, the payload zero-padded to it.
    block.resize(old_block->size, '\0');
    store_u32_be(reinterpret_cast<std::uint8_t*>(block.data()), old_block->size);
    return ProductInformationRewrite{false, old_block->offset, std::move(block)};
  }
  const std::vector<MarSignatureSlot> none;
  BH_ASSIGN_OR_RETURN(std::string file, rebuild_after_header(archive, start_archive(none, sections_with(
                                                                          archive, product_information_block(info, true)))));
  return ProductInformationRewrite{true, 0, std::move(file)};
}

}  // namespace bh::mar
