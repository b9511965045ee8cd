// A validated, read-only MAR file.
//
// MarArchive::open_file / from_bytes check everything before returning: the magic, the index
// (inside the file and ending exactly at its end), the file-size field, the signature block
// (at most 8 signatures of at most 2048 bytes), the additional sections and the product
// information block (channel at most 63 bytes, version at most 31), and every index entry
// (inside the data area, no two non-empty entries overlapping, names NUL-terminated, unique,
// relative, without "..", ".", empty components, backslashes or control characters). Old-format
// MARs (no signature block: data starts at offset 8) are read too. Nothing is trusted later:
// every accessor works on bounds checked at open. The bytes are read only through ByteReader
// (core/byte_reader.h), which checks every read.
//
// Ownership: the archive owns its bytes (a memory mapping or a string) through a shared pointer,
// so copies are cheap and views stay valid while any copy lives.
// Thread safety: immutable after open; any number of threads may read one archive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_reader.h"
#include "core/mapped_file.h"
#include "core/status.h"
#include "mar/mar_format.h"

namespace bh::mar {

struct MarOpenOptions {
  std::uint64_t max_file_size = kDefaultMaxMarSize;
  // For listing only (`mar -t`, `-T`): entry names that break the rules above (such as "./x"),
  // names that appear twice, and a product information block beyond its limits become
  // warnings() instead of errors, as Mozilla's tool lists such files. Bounds, offsets and
  // overlaps are checked as always. Such an archive reports safe_to_extract() false.
  bool tolerate_for_listing = false;
};

struct MarSignature {
  std::uint32_t algorithm_id = 0;
  std::uint32_t header_offset = 0;  // where the 8-byte (algorithm, size) header starts
  std::uint32_t size = 0;           // bytes of signature that follow the header
};

struct MarAdditionalSection {
  std::uint32_t id = 0;
  std::uint32_t offset = 0;  // where the 8-byte (size, id) header starts
  std::uint32_t size = 0;    // the whole block, header included
};

struct ProductInformation {
  std::string channel;  // MAR channel id, e.g. "firefox-mozilla-release"
  std::string version;  // product version, e.g. "153.7.0esr"
};

struct MarEntry {
  std::string name;
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
  std::uint32_t flags = 0;  // permission bits as stored
};

// Checks one entry name against the rules above; the writer uses it too, so nothing is written
// that the reader would refuse.
Status validate_entry_name(std::string_view name);
// Checks a channel id and product version against the PIB limits (and for NUL bytes).
Status validate_product_information(const ProductInformation& info);

class MarArchive {
 public:
  static Result<MarArchive> open_file(const std::filesystem::path& path, const MarOpenOptions& options = {});
  static Result<MarArchive> from_bytes(std::string bytes, const MarOpenOptions& options = {});

  ByteView bytes() const { return view_; }
  std::uint64_t file_size() const { return view_.size(); }
  std::uint32_t index_offset() const { return index_offset_; }

  // False for the old format (no signature block, no additional sections).
  bool has_signature_block() const { return has_signature_block_; }
  bool has_additional_sections() const { return has_additional_sections_; }
  const std::vector<MarSignature>& signatures() const { return signatures_; }
  ByteView signature_bytes(const MarSignature& signature) const {
    return view_.subspan(signature.header_offset + 8, signature.size);
  }
  // Where the signature block ends (the additional-section count or the data starts there).
  std::uint32_t signature_block_end() const { return signature_block_end_; }
  const std::vector<MarAdditionalSection>& additional_sections() const { return sections_; }
  const std::optional<ProductInformation>& product_information() const { return product_information_; }
  // The product information block, if present.
  const MarAdditionalSection* product_information_block() const;
  // First byte after the header blocks: entry data may start here.
  std::uint32_t data_offset() const { return data_offset_; }

  // What tolerate_for_listing let through, one sentence each; empty otherwise.
  const std::vector<std::string>& warnings() const { return warnings_; }
  bool safe_to_extract() const { return warnings_.empty(); }

  // Entries in index order.
  const std::vector<MarEntry>& entries() const { return entries_; }
  ByteView entry_bytes(const MarEntry& entry) const { return view_.subspan(entry.offset, entry.size); }
  const MarEntry* find(std::string_view name) const;

  // Feeds `consume` the bytes a MAR signature covers, in order: bytes 0..19, each signature's
  // algorithm id and size (not its bytes), then everything from the end of the signature block
  // to the end of the file. REQUIRES: has_signature_block().
  void for_each_signed_chunk(const std::function<void(ByteView)>& consume) const;

 private:
  static Result<MarArchive> parse(std::shared_ptr<const void> owner, ByteView view, const MarOpenOptions& options);
  Status parse_index(const ByteReader& in, bool tolerate);
  Status parse_header_blocks(const ByteReader& in, std::uint32_t content_start, bool tolerate);
  Status parse_additional_sections(ByteReader& header, bool tolerate);
  Status parse_product_information(ByteView payload, bool tolerate);
  Status check_entry_layout() const;

  std::shared_ptr<const void> owner_;  // keeps the mapping or string alive
  ByteView view_;
  std::uint32_t index_offset_ = 0;
  bool has_signature_block_ = false;
  bool has_additional_sections_ = false;
  std::vector<MarSignature> signatures_;
  std::uint32_t signature_block_end_ = 0;
  std::vector<MarAdditionalSection> sections_;
  std::optional<ProductInformation> product_information_;
  std::uint32_t data_offset_ = 0;
  std::vector<MarEntry> entries_;
  std::vector<std::string> warnings_;
};

}  // namespace bh::mar
