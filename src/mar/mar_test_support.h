// Test helpers for src/mar: fixture paths and a raw MAR builder that can write anything,
// including what the real writer refuses, for the malformed-input tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_view.h"
#include "core/byte_order.h"
#include "mar/mar_archive.h"
#include "mar/mar_files.h"
#include "test_support.h"

namespace bh::mar::testing {

inline std::filesystem::path fixture(const std::string& name) {
  return bh::testing::shared_dir() / "fixtures/mar" / name;
}

// The MAR file functions on a pool of two workers (the machine's cores), one pool per call.
inline Result<ExtractSummary> extract_with_two_workers(const MarArchive& archive, const ExtractRequest& request) {
  Executor executor({.cpu_budget = 2});
  return extract_archive(archive, request, executor);
}
inline Result<std::string> create_with_two_workers(const CreateRequest& request) {
  Executor executor({.cpu_budget = 2});
  return create_archive(request, executor);
}

inline ExtractRequest extract_to(const std::filesystem::path& dir, bool decompress = false) {
  ExtractRequest r;
  r.directory = dir;
  r.decompress = decompress;
  return r;
}

inline ByteView bytes_of(const std::string& s) { return as_bytes(s); }

struct RawEntry {
  std::uint32_t offset = 0;  // 0: placed automatically after the previous entry's data
  std::uint32_t size = 0;    // with `data`: its length unless overridden
  std::uint32_t flags = 0644;
  std::string name;
  bool terminate_name = true;
  std::string data;
  bool explicit_offset = false;
  bool explicit_size = false;
};

struct RawMar {
  std::string magic = "MAR1";
  bool old_format = false;
  std::vector<std::pair<std::uint32_t, std::string>> signatures;  // (algorithm, bytes)
  std::optional<std::uint32_t> signature_count;                   // overrides signatures.size()
  std::optional<std::uint32_t> section_count;                     // overrides the count of `sections`
  std::vector<std::string> sections;                              // whole blocks, header included
  std::string gap;                                                // bytes between sections and data
  std::vector<RawEntry> entries;
  std::optional<std::uint64_t> file_size;
  std::optional<std::uint32_t> index_offset;
  std::optional<std::uint32_t> index_size;
  std::string trailer;  // after the index

  static std::string block(std::uint32_t id, const std::string& payload, std::optional<std::uint32_t> size = {}) {
    std::string b;
    append_u32_be(b, size.value_or(static_cast<std::uint32_t>(payload.size() + 8)));
    append_u32_be(b, id);
    return b + payload;
  }
  static std::string pib(const std::string& channel, const std::string& version) {
    std::string payload = channel + '\0' + version + '\0';
    payload.resize(96, '\0');
    return block(1, payload);
  }

  std::string build() const {
    std::string out = magic.substr(0, 4);
    append_u32_be(out, 0);
    if (!old_format) {
      append_u64_be(out, 0);
      append_u32_be(out, signature_count.value_or(static_cast<std::uint32_t>(signatures.size())));
      for (const auto& [alg, bytes] : signatures) {
        append_u32_be(out, alg);
        append_u32_be(out, static_cast<std::uint32_t>(bytes.size()));
        out += bytes;
      }
      append_u32_be(out, section_count.value_or(static_cast<std::uint32_t>(sections.size())));
      for (const std::string& s : sections) out += s;
      out += gap;
    }
    std::string index;
    for (const RawEntry& e : entries) {
      const std::uint32_t at = e.explicit_offset ? e.offset : static_cast<std::uint32_t>(out.size());
      out += e.data;
      append_u32_be(index, at);
      append_u32_be(index, e.explicit_size ? e.size : static_cast<std::uint32_t>(e.data.size()));
      append_u32_be(index, e.flags);
      index += e.name;
      if (e.terminate_name) index.push_back('\0');
    }
    const auto at_index = static_cast<std::uint32_t>(out.size());
    append_u32_be(out, index_size.value_or(static_cast<std::uint32_t>(index.size())));
    out += index;
    out += trailer;
    store_u32_be(reinterpret_cast<std::uint8_t*>(out.data()) + 4, index_offset.value_or(at_index));
    if (!old_format && out.size() >= 16) {
      const std::uint64_t size = file_size.value_or(out.size());
      store_u32_be(reinterpret_cast<std::uint8_t*>(out.data()) + 8, static_cast<std::uint32_t>(size >> 32));
      store_u32_be(reinterpret_cast<std::uint8_t*>(out.data()) + 12, static_cast<std::uint32_t>(size));
    }
    return out;
  }
};

}  // namespace bh::mar::testing
