#include "core/directory_blob_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "core/file_io.h"

namespace bh {
namespace {

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool is_part(std::string_view part, std::size_t min, std::size_t max) {
  if (part.size() < min || part.size() > max || part.front() == '.') return false;
  return std::all_of(part.begin(), part.end(), is_key_char);
}

// A writer's temporary file: "<name>.tmp.<pid>.<random>" (core/file_io.h).
bool is_temporary(std::string_view file_name) { return file_name.find(".tmp.") != std::string_view::npos; }

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

bool is_valid_blob_key(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return false;
  return is_part(key.substr(0, slash), 1, 32) && is_part(key.substr(slash + 1), 3, 200);
}

Result<std::shared_ptr<DirectoryBlobCache>> DirectoryBlobCache::open(const std::filesystem::path& directory,
                                                                     std::uint64_t max_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return fail(io_error(fmt::format("cache {}: {}", directory.string(), ec.message())));
  if (!std::filesystem::is_directory(directory, ec)) {
    return fail(io_error(fmt::format("cache {}: not a directory", directory.string())));
  }
  return std::shared_ptr<DirectoryBlobCache>(new DirectoryBlobCache(directory, max_bytes));
}

std::filesystem::path DirectoryBlobCache::path_of(std::string_view key) const {
  if (!is_valid_blob_key(key)) return {};
  const auto slash = key.find('/');
  const std::string_view name = key.substr(slash + 1);
  return directory_ / std::string(key.substr(0, slash)) / std::string(name.substr(0, 2)) /
         std::string(name.substr(2));
}

std::optional<std::string> DirectoryBlobCache::get(std::string_view key, std::uint64_t max_bytes) {
  const std::filesystem::path path = path_of(key);
  if (path.empty()) {
    ++misses_;
    return std::nullopt;
  }
  auto bytes = read_file(path, static_cast<std::size_t>(max_bytes));
  if (!bytes) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  bytes_read_ += bytes->size();
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // most recently used
  return std::move(*bytes);
}

bool DirectoryBlobCache::contains(std::string_view key) {
  const std::filesystem::path path = path_of(key);
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Status DirectoryBlobCache::put(std::string_view key, std::string_view bytes) {
  const std::filesystem::path path = path_of(key);
  if (path.empty()) return invalid_argument(fmt::format("not a cache key: {:?}", std::string(key.substr(0, 100))));
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return io_error(fmt::format("cache {}: {}", path.parent_path().string(), ec.message()));
  BH_RETURN_IF_ERROR(write_file_atomically(path, bytes));
  ++writes_;
  bytes_written_ += bytes.size();
  account(bytes.size());
  return {};
}

Result<bool> DirectoryBlobCache::remove(std::string_view key) {
  const std::filesystem::path path = path_of(key);
  if (path.empty()) return false;
  if (::unlink(path.c_str()) == 0) {
    MutexLock lock(evict_mutex_);
    known_bytes_.reset();  // counted again at the next scan
    return true;
  }
  if (errno == ENOENT) return false;
  return fail(io_error(fmt::format("cache {}: cannot remove: {}", path.string(), std::strerror(errno))));
}

Result<std::vector<std::string>> DirectoryBlobCache::list(std::string_view name_space) {
  std::vector<std::string> keys;
  if (!is_part(name_space, 1, 32)) return keys;
  const std::filesystem::path root = directory_ / std::string(name_space);
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return keys;
  for (auto shard = std::filesystem::directory_iterator(root, ec); !ec && shard != std::filesystem::directory_iterator();
       shard.increment(ec)) {
    const std::string prefix = shard->path().filename().string();
    std::error_code inner;
    for (auto it = std::filesystem::directory_iterator(shard->path(), inner);
         !inner && it != std::filesystem::directory_iterator(); it.increment(inner)) {
      const std::string rest = it->path().filename().string();
      if (is_temporary(rest)) continue;
      std::string key = fmt::format("{}/{}{}", name_space, prefix, rest);
      if (is_valid_blob_key(key)) keys.push_back(std::move(key));
    }
  }
  if (ec) return fail(io_error(fmt::format("cache {}: {}", root.string(), ec.message())));
  return keys;
}

Result<std::uint64_t> DirectoryBlobCache::clear() {
  std::uint64_t removed = 0;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(directory_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.push_back(it->path());
  }
  if (ec) return fail(io_error(fmt::format("cache {}: {}", directory_.string(), ec.message())));
  for (const auto& f : files) {
    if (::unlink(f.c_str()) == 0 && !is_temporary(f.filename().string())) ++removed;
  }
  MutexLock lock(evict_mutex_);
  known_bytes_ = 0;
  return removed;
}

Result<BlobUsage> DirectoryBlobCache::usage() {
  BlobUsage out;
  out.max_bytes = max_bytes_;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(directory_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (is_temporary(it->path().filename().string())) continue;
    ++out.blobs;
    out.bytes += static_cast<std::uint64_t>(st.st_size);
  }
  if (ec) return fail(io_error(fmt::format("cache {}: {}", directory_.string(), ec.message())));
  return out;
}

// The size is known from one scan, then kept up to date by this process's writes; the directory
// is scanned again only when that total passes the limit (other processes' writes are found
// then), not after every write.
void DirectoryBlobCache::account(std::uint64_t written) {
  if (max_bytes_ == 0) return;
  MutexLock lock(evict_mutex_);
  if (known_bytes_ && *known_bytes_ + written <= max_bytes_) {
    *known_bytes_ += written;
    return;
  }
  struct Entry {
    std::filesystem::path path;
    std::uint64_t size;
    std::int64_t mtime_ns;
  };
  std::vector<Entry> entries;
  std::uint64_t total = 0;
  const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  constexpr std::int64_t kAbandoned = std::int64_t{3600} * 1'000'000'000;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(directory_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (is_temporary(it->path().filename().string())) {
      // A write in progress is left alone; one untouched for an hour lost its writer.
      if (now_ns - mtime_ns(st) > kAbandoned) ::unlink(it->path().c_str());
      continue;
    }
    entries.push_back({it->path(), static_cast<std::uint64_t>(st.st_size), mtime_ns(st)});
    total += static_cast<std::uint64_t>(st.st_size);
  }
  if (total > max_bytes_) {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.mtime_ns < b.mtime_ns; });
    for (const Entry& e : entries) {
      if (total <= max_bytes_) break;
      // Another process may have evicted it already; either way it is gone.
      ::unlink(e.path.c_str());
      total -= e.size;
      ++evictions_;
    }
  }
  known_bytes_ = total;
}

BlobCacheStats DirectoryBlobCache::stats() const {
  return {hits_.load(), misses_.load(), writes_.load(), evictions_.load(), bytes_read_.load(), bytes_written_.load()};
}

std::string DirectoryBlobCache::describe() const { return "directory " + directory_.string(); }

}  // namespace bh
