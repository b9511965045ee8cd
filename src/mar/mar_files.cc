#include "mar/mar_files.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/byte_view.h"
#include "core/byte_order.h"
#include "core/file_descriptor.h"
#include "core/file_io.h"
#include "core/mapped_file.h"
#include "mar/mar_writer.h"

namespace bh::mar {
namespace {

using compress::Compression;
using compress::compress_bzip2;
using compress::compress_xz;
using compress::decompress;
using compress::detect_compression;

Status errno_status(const std::string& what) {
  const int err = errno;
  return io_error(fmt::format("{}: {}", what, std::strerror(err)));
}

std::string temporary_name(std::string_view leaf) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format(".{}.bh-tmp-{:016x}", leaf.substr(0, 200), rng());
}

Result<std::uint64_t> extract_one(int root, const MarArchive& archive, const MarEntry& entry,
                                  const ExtractRequest& request) {
  const std::size_t slash = entry.name.rfind('/');
  const std::string_view dirs = slash == std::string::npos ? std::string_view{} : std::string_view(entry.name).substr(0, slash);
  const std::string leaf = slash == std::string::npos ? entry.name : entry.name.substr(slash + 1);
  BH_ASSIGN_OR_RETURN(FileDescriptor parent, open_directory_beneath(root, dirs, {.create = true, .created = nullptr}));
  const std::string tmp = temporary_name(leaf);
  FileDescriptor out(::openat(parent.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (out.get() < 0) return fail(errno_status("creating a file"));

  const ByteView stored = archive.entry_bytes(entry);
  Result<std::uint64_t> written = std::uint64_t{0};
  if (request.decompress) {
    if (stored.empty()) {
      written = fail(invalid_argument("zero-length entry: there is no compressed stream to decode (the updater "
                                      "rejects such entries)"));
    } else {
      written = decompress(stored, detect_compression(stored), request.limits,
                           [&](ByteView piece) { return write_all(out.get(), as_chars(piece), entry.name); });
    }
  } else {
    Status s = write_all(out.get(), as_chars(stored), entry.name);
    if (s) {
      written = stored.size();
    } else {
      written = fail(std::move(s));
    }
  }
  Status finish = written ? Status{} : written.error();
  if (finish && ::fchmod(out.get(), entry.flags & 0777) != 0) finish = errno_status("chmod");
  out.reset();
  if (finish && ::renameat(parent.get(), tmp.c_str(), parent.get(), leaf.c_str()) != 0) {
    finish = errno_status("renaming into place");
  }
  if (!finish) {
    ::unlinkat(parent.get(), tmp.c_str(), 0);
    return fail(finish);
  }
  return *written;
}

}  // namespace

Result<std::string> decompress_entry(const MarArchive& archive, const MarEntry& entry,
                                     const compress::DecompressLimits& limits) {
  const ByteView bytes = archive.entry_bytes(entry);
  if (bytes.empty()) {
    return fail(invalid_argument(fmt::format("entry '{}' is empty: there is no compressed stream to decode (the "
                                             "updater rejects such entries)", entry.name)));
  }
  auto out = compress::decompress_to_string(bytes, detect_compression(bytes), limits);
  if (!out) return fail(out.error().with_context(fmt::format("entry '{}'", entry.name)));
  return out;
}

Result<ExtractSummary> extract_archive(const MarArchive& archive, const ExtractRequest& request, Executor& executor) {
  if (!archive.safe_to_extract()) {
    return fail(invalid_argument("refusing to extract a MAR opened for listing only: " + archive.warnings().front()));
  }
  std::error_code ec;
  std::filesystem::create_directories(request.directory, ec);
  if (ec) return fail(io_error(fmt::format("creating {}: {}", request.directory.string(), ec.message())));
  FileDescriptor root(::open(request.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return fail(errno_status(fmt::format("opening {}", request.directory.string())));

  // Largest entries first, so one big file does not start last and finish alone.
  const auto& entries = archive.entries();
  std::vector<std::size_t> order(entries.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return entries[a].size > entries[b].size; });
  std::atomic<std::uint64_t> total{0};
  Status status = executor.parallel_for(order.size(), request.jobs, [&](std::size_t k) -> Status {
    const MarEntry& entry = entries[order[k]];
    auto n = extract_one(root.get(), archive, entry, request);
    if (!n) return n.error().with_context(fmt::format("extracting '{}'", entry.name));
    total += *n;
    return {};
  });
  BH_RETURN_IF_ERROR(status);
  return ExtractSummary{entries.size(), total.load()};
}

Result<std::string> create_archive(const CreateRequest& request, Executor& executor) {
  const std::size_t n = request.files.size();
  std::vector<MappedFile> inputs(n);
  std::vector<std::uint32_t> modes(n);
  std::vector<std::string> compressed(n);
  // One stat per file gives the stored mode and the size; largest files are compressed first,
  // so a big binary late in the list does not finish alone.
  std::vector<std::pair<std::uint64_t, std::size_t>> order;
  for (std::size_t i = 0; i < n; ++i) {
    const std::filesystem::path& path = request.files[i].path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fail(errno_status(path.string()));
    if (!S_ISREG(st.st_mode)) return fail(invalid_argument(path.string() + ": not a regular file"));
    modes[i] = st.st_mode & 0777;  // as Mozilla's `mar -c` stores it
    order.emplace_back(static_cast<std::uint64_t>(st.st_size), i);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  Status status = executor.parallel_for(n, request.jobs, [&](std::size_t k) -> Status {
    const std::size_t i = order[k].second;
    const CreateEntrySource& source = request.files[i];
    auto mapped = MappedFile::open(source.path, request.max_file_size);
    if (!mapped) return mapped.error();
    inputs[i] = std::move(*mapped);
    Result<std::string> packed = std::string{};
    switch (request.compression) {
      case Compression::kXz: packed = compress_xz(inputs[i].bytes(), request.xz); break;
      case Compression::kBzip2: packed = compress_bzip2(inputs[i].bytes()); break;
      case Compression::kNone: return {};
    }
    if (!packed) return packed.error().with_context(source.path.string());
    compressed[i] = std::move(*packed);
    inputs[i] = MappedFile();  // the compressed copy is all that is needed now
    return {};
  });
  BH_RETURN_IF_ERROR(status);

  MarBuildRequest build;
  build.product_information = request.product_information;
  build.pad_product_information = request.pad_product_information;
  build.max_file_size = request.max_file_size;
  for (std::size_t i = 0; i < n; ++i) {
    const ByteView data = request.compression == Compression::kNone
                              ? inputs[i].bytes()
                              : as_bytes(compressed[i]);
    build.entries.push_back({request.files[i].name, data, modes[i]});
  }
  return build_mar(build);
}

}  // namespace bh::mar
