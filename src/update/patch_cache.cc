#include "update/patch_cache.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/byte_order.h"
#include "core/byte_reader.h"
#include "core/digest.h"
#include "core/directory_blob_cache.h"

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

Result<std::unique_ptr<BlobPatchCache>> BlobPatchCache::open_directory(const std::filesystem::path& directory,
                                                                       std::uint64_t max_bytes) {
  BH_ASSIGN_OR_RETURN(auto blobs, DirectoryBlobCache::open(directory, max_bytes));
  return std::make_unique<BlobPatchCache>(std::move(blobs));
}

std::string BlobPatchCache::blob_key(const PatchKey& key) { return "patches/" + sha256_hex(key.text()) + ".patch"; }

std::filesystem::path BlobPatchCache::entry_path(const PatchKey& key) const {
  const auto* directory = dynamic_cast<const DirectoryBlobCache*>(blobs_.get());
  return directory != nullptr ? directory->path_of(blob_key(key)) : std::filesystem::path();
}

std::optional<CachedPatch> BlobPatchCache::get(const PatchKey& key) {
  const std::string name = blob_key(key);
  auto bytes = blobs_->get(name, kMaxEntryBytes);
  if (!bytes) {
    ++misses_;
    return std::nullopt;
  }
  auto value = decode_entry(*bytes, key.text());
  if (!value) {
    // Never use a damaged entry; remove it so the recomputed one replaces it.
    ++corrupt_;
    ++misses_;
    (void)blobs_->remove(name);
    return std::nullopt;
  }
  ++hits_;
  return std::move(*value);
}

Status BlobPatchCache::put(const PatchKey& key, const CachedPatch& value) {
  BH_RETURN_IF_ERROR(blobs_->put(blob_key(key), encode_entry(key, value)));
  ++writes_;
  return {};
}

// entries/<sha256>: "<sha512> <size> <sha256 of that text>\n"; anything else is a miss.
std::optional<ContentId> BlobPatchCache::lookup_entry(const std::string& entry_sha256) {
  if (entry_sha256.size() != kDigestHexSize) return std::nullopt;
  auto text = blobs_->get("entries/" + entry_sha256, 1024);
  if (!text) return std::nullopt;
  const std::size_t space = text->find(' ');
  const std::size_t last = text->rfind(' ');
  if (space == std::string::npos || last == space || text->size() < last + 1 + kDigestHexSize) return std::nullopt;
  const std::string body = text->substr(0, last);
  if (sha256_hex(body) != text->substr(last + 1, kDigestHexSize)) return std::nullopt;
  ContentId id;
  id.sha512 = body.substr(0, space);
  const std::string size_text = body.substr(space + 1);
  if (size_text.empty() || size_text.size() > 19 ||
      !std::all_of(size_text.begin(), size_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  id.size = std::stoull(size_text);
  if (id.sha512.size() != 128) return std::nullopt;
  return id;
}

void BlobPatchCache::remember_entry(const std::string& entry_sha256, const ContentId& content) {
  if (entry_sha256.size() != kDigestHexSize) return;
  const std::string body = fmt::format("{} {}", content.sha512, content.size);
  (void)blobs_->put("entries/" + entry_sha256, body + " " + sha256_hex(body) + "\n");
}

PatchCacheStats BlobPatchCache::stats() const {
  return {hits_.load(), misses_.load(), corrupt_.load(), writes_.load(), blobs_->stats().evictions};
}

std::string BlobPatchCache::describe() const { return blobs_->describe(); }

}  // namespace bh::update
