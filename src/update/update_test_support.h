// Test helpers for src/update: complete MARs made in memory from a file map, and snapshots of a
// directory (every file's bytes and mode, every directory, every symlink) to prove "unchanged".
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>

#include "compress/compression.h"
#include "mar/mar_writer.h"
#include "update/applier.h"
#include "test_support.h"

namespace bh::update::testing {

struct TestFile {
  std::string content;
  std::uint32_t mode = 0644;
};
using FileMap = std::map<std::string, TestFile>;

// What apply_update needs to apply to `dir`, nothing else asked.
inline ApplyRequest apply_request(const std::filesystem::path& dir) {
  ApplyRequest request;
  request.directory = dir;
  return request;
}

// A complete MAR as make_full_update.sh packs one: a `type "complete"` manifest, then the files
// in reverse order, each xz'd (with BCJ when `x86`).
inline std::string complete_mar(const FileMap& files, const std::string& version, bool x86 = true,
                                const std::string& channel = "test-channel") {
  std::string manifest = "type \"complete\"\n";
  for (auto it = files.rbegin(); it != files.rend(); ++it) manifest += "add \"" + it->first + "\"\n";
  std::vector<std::string> packed;
  packed.push_back(*compress::compress_xz(as_bytes(manifest), {.x86_bcj = x86}));
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    packed.push_back(*compress::compress_xz(as_bytes(it->second.content), {.x86_bcj = x86}));
  }
  mar::MarBuildRequest request;
  request.product_information = {channel, version};
  request.entries.push_back({"updatev3.manifest", as_bytes(packed[0]), 0644});
  std::size_t i = 1;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    request.entries.push_back({it->first, as_bytes(packed[i++]), it->second.mode});
  }
  return *mar::build_mar(request);
}

inline void write_tree(const std::filesystem::path& root, const FileMap& files) {
  for (const auto& [path, f] : files) {
    bh::testing::write_text(root / path, f.content);
    std::filesystem::permissions(root / path, static_cast<std::filesystem::perms>(f.mode));
  }
}

// path -> "f <mode> <bytes>", "d", or "l <target>".
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = std::filesystem::recursive_directory_iterator(root); it != std::filesystem::recursive_directory_iterator();
       ++it) {
    const std::string rel = std::filesystem::relative(it->path(), root).generic_string();
    struct stat st {};
    ::lstat(it->path().c_str(), &st);
    if (S_ISLNK(st.st_mode)) {
      out[rel] = "l " + std::filesystem::read_symlink(it->path()).string();
    } else if (S_ISDIR(st.st_mode)) {
      out[rel] = "d";
    } else {
      out[rel] = "f " + std::to_string(st.st_mode & 07777) + " " + bh::testing::read_text(it->path());
    }
  }
  return out;
}

inline FileMap read_tree(const std::filesystem::path& root) {
  FileMap out;
  for (const auto& [path, what] : snapshot(root)) {
    if (what.rfind("f ", 0) != 0) continue;
    struct stat st {};
    ::stat((root / path).c_str(), &st);
    out[path] = {bh::testing::read_text(root / path), static_cast<std::uint32_t>(st.st_mode & 0777)};
  }
  return out;
}

}  // namespace bh::update::testing
