// A read-only view of a whole file, memory-mapped.
//
// Ownership: MappedFile owns the mapping and unmaps it on destruction; it is move-only.
// Thread safety: the bytes are immutable once mapped; any number of threads may read them.
// Failure: open() returns kNotFound, kTooLarge (above `max_bytes`, checked before mapping) or
// kIoError. A file truncated by another process while mapped makes later reads fault (SIGBUS),
// as with every mmap reader; callers that need protection from that read the file instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/byte_view.h"
#include "core/status.h"

namespace bh {

class MappedFile {
 public:
  static Result<MappedFile> open(const std::filesystem::path& path, std::uint64_t max_bytes);
  // The whole file behind an open descriptor (which the caller keeps owning; the mapping does
  // not need it afterwards). kInvalidArgument when it is not a regular file; `name` is used in
  // errors.
  static Result<MappedFile> map(int fd, std::string_view name, std::uint64_t max_bytes);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  ByteView bytes() const { return {data_, size_}; }

 private:
  const std::uint8_t* data_ = nullptr;  // nullptr for an empty file (nothing is mapped)
  std::size_t size_ = 0;
};

}  // namespace bh
