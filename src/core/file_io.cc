#include "core/file_io.h"

#include "core/file_descriptor.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace bh {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) return fail(not_found(fmt::format("{}: no such file", path.string())));
    return fail(io_error(fmt::format("{}: cannot open: {}", path.string(), errno_text(err))));
  }
  return read_fd(fd.get(), path.string(), max_bytes);
}

Result<std::string> read_fd(int fd, std::string_view what, std::size_t max_bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(io_error(fmt::format("{}: cannot stat: {}", what, errno_text(errno))));
  }
  if (!S_ISREG(st.st_mode)) return fail(invalid_argument(fmt::format("{}: not a regular file", what)));
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return fail(too_large(fmt::format("{}: {} bytes is larger than the limit of {} bytes", what, st.st_size,
                                      max_bytes)));
  }
  // Read to end of file rather than trusting st_size: files in /proc report 0, and a file may
  // grow while we read it. One byte past the limit is enough to know it is too large.
  std::string data;
  data.resize(std::min<std::size_t>(static_cast<std::size_t>(st.st_size), max_bytes) + 1);
  std::size_t done = 0;
  while (true) {
    if (done == data.size()) {
      if (done > max_bytes) {
        return fail(too_large(fmt::format("{}: larger than the limit of {} bytes", what, max_bytes)));
      }
      data.resize(std::min(data.size() * 2, max_bytes + 1));
    }
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(io_error(fmt::format("{}: read failed: {}", what, errno_text(errno))));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (done > max_bytes) {
    return fail(too_large(fmt::format("{}: larger than the limit of {} bytes", what, max_bytes)));
  }
  data.resize(done);
  return data;
}

Result<FileDescriptor> open_directory_beneath(int root, std::string_view dirs, const OpenBeneath& how) {
  FileDescriptor current(::dup(root));
  if (current.get() < 0) return fail(io_error(fmt::format("dup: {}", errno_text(errno))));
  std::size_t start = 0;
  while (start < dirs.size()) {
    std::size_t slash = dirs.find('/', start);
    if (slash == std::string_view::npos) slash = dirs.size();
    const std::string component(dirs.substr(start, slash - start));
    const std::string_view so_far = dirs.substr(0, slash);
    constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    FileDescriptor next(::openat(current.get(), component.c_str(), kFlags));
    if (next.get() < 0 && errno == ENOENT && how.create) {
      const bool made = ::mkdirat(current.get(), component.c_str(), 0755) == 0;
      if (!made && errno != EEXIST) {  // EEXIST: another thread made it first
        return fail(io_error(fmt::format("creating directory '{}': {}", so_far, errno_text(errno))));
      }
      if (made && how.created != nullptr) how.created->emplace_back(so_far);
      next = FileDescriptor(::openat(current.get(), component.c_str(), kFlags));
    }
    if (next.get() < 0) {
      const int err = errno;
      if (err == ENOENT) return fail(not_found(fmt::format("directory '{}' does not exist", so_far)));
      if (err == ELOOP || err == ENOTDIR) {
        return fail(invalid_argument(fmt::format("'{}' is a symlink or not a directory", so_far)));
      }
      return fail(io_error(fmt::format("opening directory '{}': {}", so_far, errno_text(err))));
    }
    current = std::move(next);
    start = slash + 1;
  }
  return current;
}

Status write_file_atomically(const std::filesystem::path& path, std::string_view data, std::optional<unsigned> mode) {
  // Unique per call, not only per process: two threads may write the same path at once (the
  // patch cache does); the last rename wins and neither sees the other's half-written file.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::filesystem::path tmp = fmt::format("{}.tmp.{}.{:016x}", path.string(), ::getpid(), rng());
  FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return io_error(fmt::format("{}: cannot create: {}", tmp.string(), errno_text(errno)));
  if (mode && ::fchmod(fd.get(), static_cast<mode_t>(*mode & 07777)) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_error(fmt::format("{}: cannot set mode {:o}: {}", tmp.string(), *mode, errno_text(err)));
  }
  if (Status written = write_all(fd.get(), data, tmp.string()); !written) {
    ::unlink(tmp.c_str());
    return written;
  }
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_error(fmt::format("{}: cannot flush: {}", tmp.string(), errno_text(err)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_error(fmt::format("{}: cannot rename into place: {}", path.string(), errno_text(err)));
  }
  return Status::ok();
}

}  // namespace bh
