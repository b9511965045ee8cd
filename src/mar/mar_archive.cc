#include "mar/mar_archive.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>

#include "core/byte_reader.h"
#include "core/byte_view.h"

namespace bh::mar {
namespace {

Status malformed(std::string message) { return invalid_argument("malformed MAR: " + std::move(message)); }

}  // namespace

Status validate_entry_name(std::string_view name) {
  if (name.empty()) return invalid_argument("an entry has an empty name");
  if (name.size() > kMaxEntryNameLength) {
    return invalid_argument(fmt::format("an entry name is {} bytes long (limit {})", name.size(), kMaxEntryNameLength));
  }
  if (name.front() == '/') return invalid_argument(fmt::format("entry name '{}' is an absolute path", name));
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') return invalid_argument(fmt::format("entry name '{}' contains a backslash", name));
    if (u < 0x20 || u == 0x7f) return invalid_argument("an entry name contains a control character");
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = name.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? name.size() : slash;
    const std::string_view component = name.substr(start, end - start);
    if (component.empty()) return invalid_argument(fmt::format("entry name '{}' has an empty path component", name));
    if (component == "..") return invalid_argument(fmt::format("entry name '{}' climbs out of its directory ('..')", name));
    if (component == ".") return invalid_argument(fmt::format("entry name '{}' has a '.' path component", name));
    if (component.size() > 255) return invalid_argument(fmt::format("entry name '{}' has a component over 255 bytes", name));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

Status validate_product_information(const ProductInformation& info) {
  if (info.channel.size() > kMaxChannelLength) {
    return invalid_argument(fmt::format("MAR channel id '{}' is {} bytes long (limit {})", info.channel,
                                        info.channel.size(), kMaxChannelLength));
  }
  if (info.version.size() > kMaxVersionLength) {
    return invalid_argument(fmt::format("product version '{}' is {} bytes long (limit {})", info.version,
                                        info.version.size(), kMaxVersionLength));
  }
  if (info.channel.find('\0') != std::string::npos || info.version.find('\0') != std::string::npos) {
    return invalid_argument("MAR channel id and product version may not contain NUL bytes");
  }
  return {};
}

Result<MarArchive> MarArchive::open_file(const std::filesystem::path& path, const MarOpenOptions& options) {
  auto mapped = MappedFile::open(path, options.max_file_size);
  if (!mapped) {
    if (mapped.error().code() == Code::kTooLarge) {
      return fail(too_large(mapped.error().message() + " (libmar refuses MARs over 500 MiB)"));
    }
    return fail(mapped.error());
  }
  auto owner = std::make_shared<const MappedFile>(std::move(*mapped));
  const ByteView view = owner->bytes();
  auto archive = parse(std::move(owner), view, options);
  if (!archive) return fail(archive.error().with_context(path.string()));
  return archive;
}

Result<MarArchive> MarArchive::from_bytes(std::string bytes, const MarOpenOptions& options) {
  auto owner = std::make_shared<const std::string>(std::move(bytes));
  const ByteView view = as_bytes(*owner);
  return parse(std::move(owner), view, options);
}

Result<MarArchive> MarArchive::parse(std::shared_ptr<const void> owner, ByteView view, const MarOpenOptions& options) {
  MarArchive a;
  a.owner_ = std::move(owner);
  a.view_ = view;
  const std::uint64_t size = view.size();
  if (size > options.max_file_size) {
    return fail(too_large(fmt::format("MAR of {} bytes is over the limit of {}", size, options.max_file_size)));
  }
  if (size > UINT32_MAX) return fail(malformed("larger than 4 GiB: MAR offsets are 32-bit"));
  if (size < 8) return fail(malformed(fmt::format("{} bytes is too short for a MAR header", size)));
  const ByteReader in(view, "malformed MAR");
  BH_ASSIGN_OR_RETURN(const ByteView magic, in.read_bytes(0, 4, "magic"));
  if (std::memcmp(magic.data(), kMagic, 4) != 0) return fail(malformed("no MAR1 magic at the start"));
  BH_ASSIGN_OR_RETURN(a.index_offset_, in.read_u32_be(4, "index offset"));
  BH_RETURN_IF_ERROR(a.parse_index(in, options.tolerate_for_listing));

  // Where content starts tells the old format (data at offset 8) from the new one.
  std::uint32_t content_start = a.index_offset_;
  for (const MarEntry& e : a.entries_) {
    if (e.size > 0) content_start = std::min(content_start, e.offset);
  }
  if (content_start == kOldFormatDataOffset) {
    a.data_offset_ = kOldFormatDataOffset;
  } else {
    BH_RETURN_IF_ERROR(a.parse_header_blocks(in, content_start, options.tolerate_for_listing));
  }
  if (a.index_offset_ < a.data_offset_) return fail(malformed("the index starts inside the header blocks"));
  BH_RETURN_IF_ERROR(a.check_entry_layout());
  return a;
}

// The index: its size, then entries up to exactly the end of the file.
Status MarArchive::parse_index(const ByteReader& in, bool tolerate) {
  const std::uint64_t size = in.size();
  BH_ASSIGN_OR_RETURN(const std::uint32_t index_size, in.read_u32_be(index_offset_, "index size (at the index offset)"));
  const std::uint64_t index_begin = std::uint64_t{index_offset_} + 4;
  if (!in.has(index_begin, index_size)) {
    return malformed(fmt::format("index of {} bytes at {} runs past the end of the {}-byte file", index_size,
                                 index_offset_, size));
  }
  if (index_begin + index_size != size) {
    return malformed(fmt::format("{} bytes follow the index (it must end the file)", size - index_begin - index_size));
  }
  BH_ASSIGN_OR_RETURN(const ByteView index_bytes, in.read_bytes(index_begin, index_size, "index"));
  ByteReader index(index_bytes, "malformed MAR index");
  while (index.position() < index.size()) {
    MarEntry entry;
    BH_ASSIGN_OR_RETURN(entry.offset, index.next_u32_be("entry offset"));
    BH_ASSIGN_OR_RETURN(entry.size, index.next_u32_be("entry size"));
    BH_ASSIGN_OR_RETURN(entry.flags, index.next_u32_be("entry flags"));
    BH_ASSIGN_OR_RETURN(const std::string_view name, index.read_c_string(index.position(), index.size(), "entry name"));
    index.seek(index.position() + name.size() + 1);
    if (Status s = validate_entry_name(name); !s) {
      if (!tolerate) return malformed(s.message());
      warnings_.push_back(s.message());
    }
    entry.name = std::string(name);
    entries_.push_back(std::move(entry));
  }
  std::unordered_set<std::string_view> names;
  for (const MarEntry& e : entries_) {
    if (names.insert(e.name).second) continue;
    const std::string problem = fmt::format("entry '{}' appears twice in the index", e.name);
    if (!tolerate) return malformed(problem);
    warnings_.push_back(problem);
  }
  return {};
}

// The new format's header blocks, between the file-size field and the first entry's data: the
// signature block, then optionally the additional sections. They must fill that space exactly.
Status MarArchive::parse_header_blocks(const ByteReader& in, std::uint32_t content_start, bool tolerate) {
  if (in.size() < kSignatureBlockOffset + 4 || content_start < kSignatureBlockOffset + 4) {
    return malformed(fmt::format("data starts at offset {}, inside the header", content_start));
  }
  BH_ASSIGN_OR_RETURN(const std::uint64_t size_field, in.read_u64_be(8, "file-size field"));
  if (size_field != in.size()) {
    return malformed(fmt::format("the file-size field says {} bytes but the file has {}", size_field, in.size()));
  }
  has_signature_block_ = true;
  // Everything below reads only the bytes before the data.
  BH_ASSIGN_OR_RETURN(const ByteView header_bytes, in.read_bytes(0, content_start, "header blocks"));
  ByteReader header(header_bytes, "malformed MAR");
  header.seek(kSignatureBlockOffset);
  BH_ASSIGN_OR_RETURN(const std::uint32_t count, header.next_u32_be("signature count"));
  if (count > kMaxSignatures) {
    return malformed(fmt::format("{} signatures (at most {} are allowed)", count, kMaxSignatures));
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    MarSignature sig;
    sig.header_offset = static_cast<std::uint32_t>(header.position());
    if (!header.has(header.position(), 8)) return malformed(fmt::format("signature {} header runs into the data", i));
    BH_ASSIGN_OR_RETURN(sig.algorithm_id, header.next_u32_be("signature algorithm"));
    BH_ASSIGN_OR_RETURN(sig.size, header.next_u32_be("signature size"));
    if (sig.size > kMaxSignatureSize) {
      return malformed(fmt::format("signature {} is {} bytes (at most {})", i, sig.size, kMaxSignatureSize));
    }
    if (!header.has(header.position(), sig.size)) return malformed(fmt::format("signature {} runs into the data", i));
    header.seek(header.position() + sig.size);
    signatures_.push_back(sig);
  }
  signature_block_end_ = static_cast<std::uint32_t>(header.position());
  if (header.position() < content_start) BH_RETURN_IF_ERROR(parse_additional_sections(header, tolerate));
  if (header.position() != content_start) {
    return malformed(fmt::format("{} unaccounted bytes between the header blocks and the first entry at {}",
                                 content_start - header.position(), content_start));
  }
  data_offset_ = content_start;
  return {};
}

// A count, then (size, id, payload) blocks; the product information block among them.
Status MarArchive::parse_additional_sections(ByteReader& header, bool tolerate) {
  if (!header.has(header.position(), 4)) return malformed("the additional-section count runs into the data");
  has_additional_sections_ = true;
  BH_ASSIGN_OR_RETURN(const std::uint32_t sections, header.next_u32_be("additional-section count"));
  if (std::uint64_t{sections} * 8 > header.size() - header.position()) {
    return malformed(fmt::format("{} additional sections cannot fit before the data", sections));
  }
  for (std::uint32_t i = 0; i < sections; ++i) {
    MarAdditionalSection section;
    section.offset = static_cast<std::uint32_t>(header.position());
    if (!header.has(header.position(), 8)) return malformed(fmt::format("additional section {} runs into the data", i));
    BH_ASSIGN_OR_RETURN(section.size, header.read_u32_be(section.offset, "section size"));
    BH_ASSIGN_OR_RETURN(section.id, header.read_u32_be(section.offset + 4, "section id"));
    if (section.size < 8) return malformed(fmt::format("additional section {} has size {}", i, section.size));
    if (!header.has(section.offset, section.size)) {
      return malformed(fmt::format("additional section {} ({} bytes) runs into the data", i, section.size));
    }
    if (section.id == kProductInfoBlockId) {
      BH_ASSIGN_OR_RETURN(const ByteView payload, header.read_bytes(section.offset + 8, section.size - 8, "product information"));
      BH_RETURN_IF_ERROR(parse_product_information(payload, tolerate));
    }
    sections_.push_back(section);
    header.seek(std::uint64_t{section.offset} + section.size);
  }
  return {};
}

Status MarArchive::parse_product_information(ByteView payload, bool tolerate) {
  if (product_information_) return malformed("two product information blocks");
  if (payload.size() > kMaxProductInfoPayload) {
    const std::string problem = fmt::format("product information block payload is {} bytes (at most {})",
                                            payload.size(), kMaxProductInfoPayload);
    if (!tolerate) return malformed(problem);
    warnings_.push_back(problem);
  }
  const ByteReader block(payload, "malformed MAR");
  auto channel = block.read_c_string(0, payload.size(), "channel");
  auto version = channel ? block.read_c_string(channel->size() + 1, payload.size(), "version") : channel;
  if (!channel || !version) return malformed("product information block: channel and version are not NUL-terminated");
  ProductInformation info{std::string(*channel), std::string(*version)};
  if (Status s = validate_product_information(info); !s) {
    if (!tolerate) return malformed(s.message());
    warnings_.push_back(s.message());
  }
  product_information_ = std::move(info);
  return {};
}

// Every entry inside the data area; non-empty entries never share bytes (libmar's rule).
Status MarArchive::check_entry_layout() const {
  std::vector<const MarEntry*> by_offset;
  by_offset.reserve(entries_.size());
  for (const MarEntry& e : entries_) {
    if (e.offset < data_offset_ || std::uint64_t{e.offset} + e.size > index_offset_) {
      return malformed(fmt::format("entry '{}' ({} bytes at {}) lies outside the data area [{}, {})", e.name, e.size,
                                   e.offset, data_offset_, index_offset_));
    }
    if (e.size > 0) by_offset.push_back(&e);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const MarEntry* x, const MarEntry* y) { return x->offset < y->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const MarEntry& prev = *by_offset[i - 1];
    if (std::uint64_t{prev.offset} + prev.size > by_offset[i]->offset) {
      return malformed(fmt::format("entries '{}' and '{}' overlap", prev.name, by_offset[i]->name));
    }
  }
  return {};
}

const MarAdditionalSection* MarArchive::product_information_block() const {
  for (const MarAdditionalSection& s : sections_) {
    if (s.id == kProductInfoBlockId) return &s;
  }
  return nullptr;
}

const MarEntry* MarArchive::find(std::string_view name) const {
  for (const MarEntry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

void MarArchive::for_each_signed_chunk(const std::function<void(ByteView)>& consume) const {
  consume(view_.subspan(0, kSignatureBlockOffset + 4));
  for (const MarSignature& sig : signatures_) consume(view_.subspan(sig.header_offset, 8));
  consume(view_.subspan(signature_block_end_));
}

}  // namespace bh::mar
