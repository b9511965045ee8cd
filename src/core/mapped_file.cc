#include "core/mapped_file.h"

#include "core/file_descriptor.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bh {

Result<MappedFile> MappedFile::open(const std::filesystem::path& path, std::uint64_t max_bytes) {
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ENOENT) return fail(not_found(path.string() + ": no such file"));
    return fail(io_error(path.string() + ": " + std::strerror(err)));
  }
  return map(fd.get(), path.string(), max_bytes);
}

Result<MappedFile> MappedFile::map(int fd, std::string_view name_view, std::uint64_t max_bytes) {
  const std::string name(name_view);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(io_error(name + ": " + std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return fail(invalid_argument(name + ": not a regular file"));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes) {
    return fail(too_large(name + ": " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(max_bytes)));
  }
  MappedFile file;
  if (size > 0) {
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) return fail(io_error(name + ": mmap: " + std::strerror(errno)));
    file.data_ = static_cast<const std::uint8_t*>(data);
    file.size_ = static_cast<std::size_t>(size);
  }
  return file;  // the mapping keeps the file alive after the descriptor closes
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

}  // namespace bh
