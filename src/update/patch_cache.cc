#include "update/patch_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/byte_order.h"
#include "core/byte_reader.h"
#include "core/digest.h"
#include "core/file_descriptor.h"
#include "core/file_io.h"

namespace bh::update {
namespace {

constexpr std::string_view kMagic = "BHPATCH1";
constexpr std::size_t kDigestHexSize = 64;
constexpr std::uint64_t kMaxEntryBytes = std::uint64_t{3} << 30;

void append_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}
void append_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

// magic | u32 key length | key | u64 compared full size | u8 patch won | u64 patch length | patch
// | SHA-256 hex of everything before it.
std::string encode_entry(const PatchKey& key, const CachedPatch& value) {
  const std::string key_text = key.text();
  std::string out;
  out.reserve(value.compressed_patch.size() + key_text.size() + 96);
  out += kMagic;
  append_u32(out, static_cast<std::uint32_t>(key_text.size()));
  out += key_text;
  append_u64(out, value.compared_full_size);
  out += static_cast<char>(value.patch_won ? 1 : 0);
  append_u64(out, value.compressed_patch.size());
  out += value.compressed_patch;
  out += sha256_hex(out);
  return out;
}

Result<CachedPatch> decode_entry(std::string_view bytes, const std::string& key_text) {
  if (bytes.size() < kMagic.size() + kDigestHexSize) return fail(corrupt("entry too short"));
  const std::string_view body = bytes.substr(0, bytes.size() - kDigestHexSize);
  if (sha256_hex(body) != bytes.substr(body.size())) return fail(corrupt("checksum mismatch"));
  ByteReader in(as_bytes(body), "patch cache entry");
  BH_ASSIGN_OR_RETURN(ByteView magic, in.next_bytes(kMagic.size(), "magic"));
  if (as_chars(magic) != kMagic) return fail(corrupt("not a patch cache entry"));
  BH_ASSIGN_OR_RETURN(std::uint32_t key_length, in.next_u32_be("key length"));
  BH_ASSIGN_OR_RETURN(ByteView stored_key, in.next_bytes(key_length, "key"));
  if (as_chars(stored_key) != key_text) return fail(corrupt("entry belongs to another key"));
  CachedPatch value;
  BH_ASSIGN_OR_RETURN(value.compared_full_size, in.next_u64_be("full size"));
  BH_ASSIGN_OR_RETURN(ByteView won, in.next_bytes(1, "decision"));
  if (won[0] > 1) return fail(corrupt("bad decision byte"));
  value.patch_won = won[0] == 1;
  BH_ASSIGN_OR_RETURN(std::uint64_t patch_length, in.next_u64_be("patch length"));
  BH_ASSIGN_OR_RETURN(ByteView patch, in.next_bytes(patch_length, "patch"));
  if (in.position() != in.size()) return fail(corrupt("trailing bytes"));
  value.compressed_patch.assign(as_chars(patch));
  return value;
}


}  // namespace

std::string PatchKey::text() const {
  return fmt::format("old={};new={};engine={};compression={}", old_digest, new_digest, engine, compression);
}

Result<std::unique_ptr<DirectoryPatchCache>> DirectoryPatchCache::open(const std::filesystem::path& directory,
                                                                       std::uint64_t max_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return fail(io_error(fmt::format("patch cache {}: {}", directory.string(), ec.message())));
  if (!std::filesystem::is_directory(directory, ec)) {
    return fail(io_error(fmt::format("patch cache {}: not a directory", directory.string())));
  }
  return std::unique_ptr<DirectoryPatchCache>(new DirectoryPatchCache(directory, max_bytes));
}

std::filesystem::path DirectoryPatchCache::entry_path(const PatchKey& key) const {
  const std::string name = sha256_hex(key.text());
  return directory_ / name.substr(0, 2) / (name.substr(2) + ".patch");
}

std::optional<CachedPatch> DirectoryPatchCache::get(const PatchKey& key) {
  const std::filesystem::path path = entry_path(key);
  auto bytes = read_file(path, kMaxEntryBytes);
  if (!bytes) {
    ++misses_;
    return std::nullopt;
  }
  auto value = decode_entry(*bytes, key.text());
  if (!value) {
    // Never use a damaged entry; remove it so the recomputed one replaces it.
    ++corrupt_;
    ++misses_;
    ::unlink(path.c_str());
    return std::nullopt;
  }
  ++hits_;
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // most recently used
  return std::move(*value);
}

Status DirectoryPatchCache::put(const PatchKey& key, const CachedPatch& value) {
  const std::filesystem::path path = entry_path(key);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return io_error(fmt::format("patch cache {}: {}", path.parent_path().string(), ec.message()));
  const std::string bytes = encode_entry(key, value);
  BH_RETURN_IF_ERROR(write_file_atomically(path, bytes));
  ++writes_;
  account(bytes.size());
  return {};
}

// The size is known from one scan, then kept up to date by this process's writes; the directory
// is scanned again only when that total passes the limit (other processes' writes are found
// then), not after every write.
void DirectoryPatchCache::account(std::uint64_t written) {
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
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(directory_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    entries.push_back({it->path(), static_cast<std::uint64_t>(st.st_size), mtime});
    total += static_cast<std::uint64_t>(st.st_size);
  }
  if (total > max_bytes_) {
    // Least recently used first: patches and entry memos alike (reads refresh both).
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

// entries/ab/<sha256>: "<sha512> <size> <sha256 of that text>\n"; anything else is a miss.
std::optional<ContentId> DirectoryPatchCache::lookup_entry(const std::string& entry_sha256) {
  if (entry_sha256.size() != kDigestHexSize) return std::nullopt;
  auto text = read_file(directory_ / "entries" / entry_sha256.substr(0, 2) / entry_sha256, 1024);
  if (!text) return std::nullopt;
  const std::size_t space = text->find(' ');
  const std::size_t last = text->rfind(' ');
  if (space == std::string::npos || last == space || text->size() < last + 1 + kDigestHexSize) return std::nullopt;
  const std::string body = text->substr(0, last);
  if (sha256_hex(body) != text->substr(last + 1, kDigestHexSize)) return std::nullopt;
  ContentId id;
  id.sha512 = body.substr(0, space);
  try {
    id.size = std::stoull(body.substr(space + 1));
  } catch (...) {
    return std::nullopt;
  }
  if (id.sha512.size() != 128) return std::nullopt;
  ::utimensat(AT_FDCWD, (directory_ / "entries" / entry_sha256.substr(0, 2) / entry_sha256).c_str(), nullptr, 0);
  return id;
}

void DirectoryPatchCache::remember_entry(const std::string& entry_sha256, const ContentId& content) {
  if (entry_sha256.size() != kDigestHexSize) return;
  const std::filesystem::path dir = directory_ / "entries" / entry_sha256.substr(0, 2);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string body = fmt::format("{} {}", content.sha512, content.size);
  const std::string text = body + " " + sha256_hex(body) + "\n";
  if (write_file_atomically(dir / entry_sha256, text)) account(text.size());
}

PatchCacheStats DirectoryPatchCache::stats() const {
  return {hits_.load(), misses_.load(), corrupt_.load(), writes_.load(), evictions_.load()};
}

std::string DirectoryPatchCache::describe() const { return "directory " + directory_.string(); }

}  // namespace bh::update
