// MAR archives to and from directories: extraction (raw or decompressed, entries in parallel)
// and creation from files (entries compressed in parallel, each stream single-threaded, so the
// bytes do not depend on the number of threads).
//
// Extraction never writes outside the target directory: entry names were validated when the
// archive was opened (relative, no ".."), every directory on the way is opened with O_NOFOLLOW
// relative to the one before it, and each file is written to a temporary name and renamed over
// the final one (so a symlink planted in the target is replaced, never followed, and a failed
// entry leaves no partial file and keeps what was there).
//
// Thread safety: both functions may run concurrently on different targets. Failure: the first
// failing entry's Status, naming the entry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/executor.h"
#include "core/status.h"
#include "compress/compression.h"
#include "mar/mar_archive.h"

namespace bh::mar {

struct ExtractRequest {
  std::filesystem::path directory;  // created if missing
  bool decompress = false;          // false: entry bytes as stored, like Mozilla's `mar -x`
  compress::DecompressLimits limits;
  unsigned jobs = 0;  // 0: the executor's CPU budget
};

struct ExtractSummary {
  std::size_t files = 0;
  std::uint64_t bytes_written = 0;
};

// Entries are written on the executor (up to request.jobs at once; 0: its CPU budget).
Result<ExtractSummary> extract_archive(const MarArchive& archive, const ExtractRequest& request, Executor& executor);

// One entry's decompressed content (compression detected by magic), within `limits`. A
// zero-length entry is refused (the updater rejects it: there is no stream to decode); errors
// name the entry.
Result<std::string> decompress_entry(const MarArchive& archive, const MarEntry& entry,
                                     const compress::DecompressLimits& limits);

struct CreateEntrySource {
  std::string name;             // the name stored in the archive
  std::filesystem::path path;   // the file read
};

struct CreateRequest {
  ProductInformation product_information;
  std::vector<CreateEntrySource> files;  // stored in this order
  compress::Compression compression = compress::Compression::kNone;  // kNone: as is, like Mozilla's `mar -c`
  compress::XzSettings xz;
  bool pad_product_information = true;
  unsigned jobs = 0;  // 0: the executor's CPU budget
  std::uint64_t max_file_size = kDefaultMaxMarSize;
};

// The archive's bytes. Each entry stores its file's permission bits (st_mode & 0777), as
// Mozilla's `mar -c` does; the partial builder normalises modes itself before it gets here.
Result<std::string> create_archive(const CreateRequest& request, Executor& executor);

}  // namespace bh::mar
