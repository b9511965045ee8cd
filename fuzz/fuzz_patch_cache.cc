// libFuzzer target: the patch cache's readers of the files in its directory (another process, a
// full disk or a bucket may leave anything there): a patch entry and an entry-memo file. Oracles:
// nothing crashes; an entry that is not returned has been deleted (never left to be used); a
// returned entry carries the key it was asked for, re-encoded byte for byte.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "update/patch_cache.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

const std::filesystem::path& cache_dir() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "fuzz-cache-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return std::filesystem::path(pattern);
  }();
  return dir;
}

void write(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto cache = bh::update::BlobPatchCache::open_directory(cache_dir(), 0);
  check(cache.has_value());
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const bh::update::PatchKey key{"old", "new", "engine", "xz"};
  const std::filesystem::path entry = (*cache)->entry_path(key);
  write(entry, bytes);
  if (auto hit = (*cache)->get(key)) {
    check((*cache)->put(key, *hit).is_ok());
    std::ifstream in(entry, std::ios::binary);
    const std::string rewritten((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    check(rewritten == bytes);
  } else {
    check(!std::filesystem::exists(entry));
  }
  const std::string memo(64, 'a');
  write(cache_dir() / "entries" / "aa" / memo, bytes);
  if (auto id = (*cache)->lookup_entry(memo)) check(id->sha512.size() == 128);
  return 0;
}
