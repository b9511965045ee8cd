// ByteReader: checked reads of big-endian integers and byte ranges from untrusted input.
//
// Every read checks that the bytes exist and reads them in one call, returning a Result:
// kInvalidArgument naming what was being read, where, and how many bytes were missing. Parsers
// of outside bytes (MAR files, MBDIFF10 patches, update manifests) read through this instead of
// bounds-checking before raw loads, so a forgotten check cannot become an out-of-bounds read.
//
// Offsets are 64-bit and overflow-safe: `pos + n` is never computed where it could wrap.
//
// Ownership: borrows the bytes (they must outlive the reader). Thread safety: const reads may
// run concurrently; the cursor functions (next_*) mutate the reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/byte_order.h"
#include "core/byte_view.h"
#include "core/status.h"

namespace bh {

class ByteReader {
 public:
  // `what` names the input in messages ("MAR", "MBDIFF10 patch").
  explicit ByteReader(ByteView bytes, std::string_view what = "input") : bytes_(bytes), what_(what) {}

  std::uint64_t size() const { return bytes_.size(); }
  ByteView bytes() const { return bytes_; }

  // True when [pos, pos + n) lies inside the input.
  bool has(std::uint64_t pos, std::uint64_t n) const { return pos <= bytes_.size() && n <= bytes_.size() - pos; }

  // `field` names what is read ("index offset"); it appears in the error.
  Result<std::uint32_t> read_u32_be(std::uint64_t pos, std::string_view field) const {
    BH_RETURN_IF_ERROR(check(pos, 4, field));
    return load_u32_be(bytes_.data() + pos);
  }
  Result<std::uint64_t> read_u64_be(std::uint64_t pos, std::string_view field) const {
    BH_RETURN_IF_ERROR(check(pos, 8, field));
    return load_u64_be(bytes_.data() + pos);
  }
  Result<ByteView> read_bytes(std::uint64_t pos, std::uint64_t n, std::string_view field) const {
    BH_RETURN_IF_ERROR(check(pos, n, field));
    return bytes_.subspan(static_cast<std::size_t>(pos), static_cast<std::size_t>(n));
  }
  // Bytes from `pos` up to (not including) the next NUL at or before `limit`; the NUL must exist.
  Result<std::string_view> read_c_string(std::uint64_t pos, std::uint64_t limit, std::string_view field) const;

  // Cursor reads: from position(), which they advance.
  std::uint64_t position() const { return cursor_; }
  void seek(std::uint64_t pos) { cursor_ = pos; }
  Result<std::uint32_t> next_u32_be(std::string_view field) {
    BH_ASSIGN_OR_RETURN(std::uint32_t v, read_u32_be(cursor_, field));
    cursor_ += 4;
    return v;
  }
  Result<std::uint64_t> next_u64_be(std::string_view field) {
    BH_ASSIGN_OR_RETURN(std::uint64_t v, read_u64_be(cursor_, field));
    cursor_ += 8;
    return v;
  }
  Result<ByteView> next_bytes(std::uint64_t n, std::string_view field) {
    BH_ASSIGN_OR_RETURN(ByteView v, read_bytes(cursor_, n, field));
    cursor_ += n;
    return v;
  }

 private:
  Status check(std::uint64_t pos, std::uint64_t n, std::string_view field) const;

  ByteView bytes_;
  std::string_view what_;
  std::uint64_t cursor_ = 0;
};

}  // namespace bh
