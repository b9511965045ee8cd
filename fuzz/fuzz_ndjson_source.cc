// NDJSON streams: line splitting, over-long lines, missing final newline.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "ingest/sources.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd_create("ndjson", 0);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  lseek(fd, 0, SEEK_SET);
  // A small line limit exercises the skip-an-over-long-line path.
  bh::NdjsonSource source(fd, "fuzz", 64, /*owns_fd=*/true);
  std::size_t total = 0;
  while (auto item = source.next()) {
    if (item->bytes.size() > 64) __builtin_trap();
    total += item->bytes.size();
  }
  if (total > size) __builtin_trap();
  return 0;
}
