// Checked file I/O helpers. Failures come back as Status (kIoError, kNotFound, kTooLarge);
// nothing throws. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace bh {

// Reads a whole regular file. Fails with kTooLarge when it is larger than `max_bytes`
// (without reading it), kNotFound when it does not exist, kIoError otherwise.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes);

// Writes `data` to `path` through a temporary file and rename, so readers never see a
// partial file. The file gets `mode` exactly when given (umask does not apply), else 0644
// less the umask. A symlink at `path` is replaced by the file, not written through.
Status write_file_atomically(const std::filesystem::path& path, std::string_view data,
                             std::optional<unsigned> mode = std::nullopt);

}  // namespace bh
