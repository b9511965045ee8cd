#include "mar/mar_archive.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>

#include "core/byte_order.h"

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
  const std::uint8_t* base = view.data();
  if (size > options.max_file_size) {
    return fail(too_large(fmt::format("MAR of {} bytes is over the limit of {}", size, options.max_file_size)));
  }
  if (size > UINT32_MAX) return fail(malformed("larger than 4 GiB: MAR offsets are 32-bit"));
  if (size < 8) return fail(malformed(fmt::format("{} bytes is too short for a MAR header", size)));
  if (std::memcmp(base, kMagic, 4) != 0) return fail(malformed("no MAR1 magic at the start"));

  // The index: offset, size, then entries up to exactly the end of the file.
  a.index_offset_ = load_u32_be(base + 4);
  if (std::uint64_t{a.index_offset_} + 4 > size) {
    return fail(malformed(fmt::format("index offset {} is past the end of the {}-byte file", a.index_offset_, size)));
  }
  const std::uint32_t index_size = load_u32_be(base + a.index_offset_);
  const std::uint64_t index_begin = std::uint64_t{a.index_offset_} + 4;
  const std::uint64_t index_end = index_begin + index_size;
  if (index_end > size) {
    return fail(malformed(fmt::format("index of {} bytes at {} runs past the end of the {}-byte file", index_size,
                                      a.index_offset_, size)));
  }
  if (index_end != size) {
    return fail(malformed(fmt::format("{} bytes follow the index (it must end the file)", size - index_end)));
  }
  std::unordered_set<std::string_view> names;
  for (std::uint64_t p = index_begin; p < index_end;) {
    if (p + kIndexEntryFixedSize > index_end) return fail(malformed("the index ends inside an entry"));
    MarEntry entry;
    entry.offset = load_u32_be(base + p);
    entry.size = load_u32_be(base + p + 4);
    entry.flags = load_u32_be(base + p + 8);
    p += kIndexEntryFixedSize;
    const auto* name_begin = base + p;
    const auto* nul = static_cast<const std::uint8_t*>(std::memchr(name_begin, 0, index_end - p));
    if (nul == nullptr) return fail(malformed("an entry name in the index is not NUL-terminated"));
    entry.name.assign(reinterpret_cast<const char*>(name_begin), static_cast<std::size_t>(nul - name_begin));
    p += entry.name.size() + 1;
    if (Status s = validate_entry_name(entry.name); !s) return fail(malformed(s.message()));
    a.entries_.push_back(std::move(entry));
  }
  for (const MarEntry& e : a.entries_) {
    if (!names.insert(e.name).second) return fail(malformed(fmt::format("entry '{}' appears twice in the index", e.name)));
  }

  // Where content starts tells the old format (data at offset 8) from the new one.
  std::uint32_t content_start = a.index_offset_;
  for (const MarEntry& e : a.entries_) {
    if (e.size > 0) content_start = std::min(content_start, e.offset);
  }
  if (content_start == kOldFormatDataOffset) {
    a.data_offset_ = kOldFormatDataOffset;
  } else {
    if (size < kSignatureBlockOffset + 4 || content_start < kSignatureBlockOffset + 4) {
      return fail(malformed(fmt::format("data starts at offset {}, inside the header", content_start)));
    }
    const std::uint64_t size_field = load_u64_be(base + 8);
    if (size_field != size) {
      return fail(malformed(fmt::format("the file-size field says {} bytes but the file has {}", size_field, size)));
    }
    a.has_signature_block_ = true;
    const std::uint32_t count = load_u32_be(base + kSignatureBlockOffset);
    if (count > kMaxSignatures) {
      return fail(malformed(fmt::format("{} signatures (at most {} are allowed)", count, kMaxSignatures)));
    }
    std::uint64_t p = kSignatureBlockOffset + 4;
    for (std::uint32_t i = 0; i < count; ++i) {
      if (p + 8 > content_start) return fail(malformed(fmt::format("signature {} header runs into the data", i)));
      MarSignature sig;
      sig.header_offset = static_cast<std::uint32_t>(p);
      sig.algorithm_id = load_u32_be(base + p);
      sig.size = load_u32_be(base + p + 4);
      if (sig.size > kMaxSignatureSize) {
        return fail(malformed(fmt::format("signature {} is {} bytes (at most {})", i, sig.size, kMaxSignatureSize)));
      }
      p += 8 + std::uint64_t{sig.size};
      if (p > content_start) return fail(malformed(fmt::format("signature {} runs into the data", i)));
      a.signatures_.push_back(sig);
    }
    a.signature_block_end_ = static_cast<std::uint32_t>(p);
    if (p < content_start) {
      // Additional sections: a count, then (size, id, payload) blocks.
      if (p + 4 > content_start) return fail(malformed("the additional-section count runs into the data"));
      a.has_additional_sections_ = true;
      const std::uint32_t sections = load_u32_be(base + p);
      p += 4;
      if (std::uint64_t{sections} * 8 > content_start - p) {
        return fail(malformed(fmt::format("{} additional sections cannot fit before the data", sections)));
      }
      for (std::uint32_t i = 0; i < sections; ++i) {
        if (p + 8 > content_start) return fail(malformed(fmt::format("additional section {} runs into the data", i)));
        MarAdditionalSection section;
        section.offset = static_cast<std::uint32_t>(p);
        section.size = load_u32_be(base + p);
        section.id = load_u32_be(base + p + 4);
        if (section.size < 8) return fail(malformed(fmt::format("additional section {} has size {}", i, section.size)));
        if (p + section.size > content_start) {
          return fail(malformed(fmt::format("additional section {} ({} bytes) runs into the data", i, section.size)));
        }
        if (section.id == kProductInfoBlockId) {
          if (a.product_information_) return fail(malformed("two product information blocks"));
          const std::uint32_t payload_size = section.size - 8;
          if (payload_size > kMaxProductInfoPayload) {
            return fail(malformed(fmt::format("product information block payload is {} bytes (at most {})",
                                              payload_size, kMaxProductInfoPayload)));
          }
          const std::string_view payload(reinterpret_cast<const char*>(base + p + 8), payload_size);
          const std::size_t nul1 = payload.find('\0');
          const std::size_t nul2 = nul1 == std::string_view::npos ? nul1 : payload.find('\0', nul1 + 1);
          if (nul2 == std::string_view::npos) {
            return fail(malformed("product information block: channel and version are not NUL-terminated"));
          }
          ProductInformation info{std::string(payload.substr(0, nul1)),
                                  std::string(payload.substr(nul1 + 1, nul2 - nul1 - 1))};
          if (Status s = validate_product_information(info); !s) return fail(malformed(s.message()));
          a.product_information_ = std::move(info);
        }
        a.sections_.push_back(section);
        p += section.size;
      }
    }
    if (p != content_start) {
      return fail(malformed(fmt::format("{} unaccounted bytes between the header blocks and the first entry at {}",
                                        content_start - p, content_start)));
    }
    a.data_offset_ = static_cast<std::uint32_t>(p);
  }
  if (a.index_offset_ < a.data_offset_) return fail(malformed("the index starts inside the header blocks"));

  // Every entry inside the data area; non-empty entries never share bytes (libmar's rule).
  std::vector<const MarEntry*> by_offset;
  by_offset.reserve(a.entries_.size());
  for (const MarEntry& e : a.entries_) {
    if (e.offset < a.data_offset_ || std::uint64_t{e.offset} + e.size > a.index_offset_) {
      return fail(malformed(fmt::format("entry '{}' ({} bytes at {}) lies outside the data area [{}, {})", e.name,
                                        e.size, e.offset, a.data_offset_, a.index_offset_)));
    }
    if (e.size > 0) by_offset.push_back(&e);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const MarEntry* x, const MarEntry* y) { return x->offset < y->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const MarEntry& prev = *by_offset[i - 1];
    if (std::uint64_t{prev.offset} + prev.size > by_offset[i]->offset) {
      return fail(malformed(fmt::format("entries '{}' and '{}' overlap", prev.name, by_offset[i]->name)));
    }
  }
  return a;
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
