// libFuzzer target: applying malformed update MARs (any bytes, read as a MAR) to a small
// installation directory. Oracles: nothing crashes, and a refused update leaves the directory
// exactly as it was (same files, bytes and modes). The directory is rebuilt for every input.
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "mar/mar_archive.h"
#include "update/applier.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

std::map<std::string, std::string> snapshot(const std::filesystem::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    struct stat st {};
    ::lstat(e.path().c_str(), &st);
    std::string what = std::to_string(st.st_mode);
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      what += ss.str();
    }
    out[std::filesystem::relative(e.path(), root).string()] = what;
  }
  return out;
}

const std::filesystem::path& install_dir() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "fuzz-apply-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return std::filesystem::path(pattern);
  }();
  return dir;
}

void reset(const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "lib");
  std::ofstream(dir / "app") << "application bytes";
  std::ofstream(dir / "lib/a.so") << "library";
  std::ofstream(dir / "precomplete") << "remove \"lib/a.so\"\nrmdir \"lib/\"\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto mar = bh::mar::MarArchive::from_bytes(std::string(reinterpret_cast<const char*>(data), size));
  if (!mar) return 0;
  const std::filesystem::path& dir = install_dir();
  reset(dir);
  const auto before = snapshot(dir);
  bh::update::ApplyRequest request;
  request.directory = dir;
  request.limits.max_output_bytes = 1 << 20;
  auto result = bh::update::apply_update(*mar, request);
  if (!result) check(snapshot(dir) == before);
  return 0;
}
