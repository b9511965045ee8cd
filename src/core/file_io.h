// Checked file I/O helpers. Failures come back as Status (kIoError, kNotFound, kTooLarge);
// nothing throws. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/file_descriptor.h"
#include "core/status.h"

namespace bh {

// Reads a whole regular file. Fails with kTooLarge when it is larger than `max_bytes`
// (without reading it), kNotFound when it does not exist, kIoError otherwise.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes);
// The same from an open descriptor (`what` names it in errors); kInvalidArgument if it is not a
// regular file.
Result<std::string> read_fd(int fd, std::string_view what, std::size_t max_bytes);

// Opens the directory `dirs` ("a/b/c"; empty: `root` itself) below the open directory `root`, one
// component at a time, never following a symlink, so nothing outside `root` can be reached
// through one. With `create`, missing directories are made (0755) and, when `created` is given,
// appended to it as they are made. Failure: kNotFound for a missing directory (without
// `create`), kInvalidArgument when one on the way is a symlink or not a directory, kIoError.
struct OpenBeneath {
  bool create = false;
  std::vector<std::string>* created = nullptr;
};
Result<FileDescriptor> open_directory_beneath(int root, std::string_view dirs, const OpenBeneath& how = {});

// Writes `data` to `path` through a temporary file and rename, so readers never see a
// partial file (the temporary name is unique per call). The file gets `mode` exactly when given (umask does not apply), else 0644
// less the umask. A symlink at `path` is replaced by the file, not written through.
Status write_file_atomically(const std::filesystem::path& path, std::string_view data,
                             std::optional<unsigned> mode = std::nullopt);

}  // namespace bh
