#include "core/file_io.h"

#include "core/file_descriptor.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
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
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(io_error(fmt::format("{}: cannot stat: {}", path.string(), errno_text(errno))));
  }
  if (!S_ISREG(st.st_mode)) return fail(invalid_argument(fmt::format("{}: not a regular file", path.string())));
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return fail(too_large(fmt::format("{}: {} bytes is larger than the limit of {} bytes", path.string(),
                                      st.st_size, max_bytes)));
  }
  // Read to end of file rather than trusting st_size: files in /proc report 0, and a file may
  // grow while we read it. One byte past the limit is enough to know it is too large.
  std::string data;
  data.resize(std::min<std::size_t>(static_cast<std::size_t>(st.st_size), max_bytes) + 1);
  std::size_t done = 0;
  while (true) {
    if (done == data.size()) {
      if (done > max_bytes) {
        return fail(too_large(fmt::format("{}: larger than the limit of {} bytes", path.string(), max_bytes)));
      }
      data.resize(std::min(data.size() * 2, max_bytes + 1));
    }
    const ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(io_error(fmt::format("{}: read failed: {}", path.string(), errno_text(errno))));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (done > max_bytes) {
    return fail(too_large(fmt::format("{}: larger than the limit of {} bytes", path.string(), max_bytes)));
  }
  data.resize(done);
  return data;
}

Status write_file_atomically(const std::filesystem::path& path, std::string_view data, std::optional<unsigned> mode) {
  const std::filesystem::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
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
