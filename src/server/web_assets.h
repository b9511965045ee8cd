// The web page's files (web/), as the server sends them: each with its content type, a strong
// ETag and gzip and br encodings made once, up front. index.html is a template: "{{ASSETS}}"
// becomes "/assets/<version>", where <version> is a digest of every file, so the other files
// can be cached for a year (a changed page gets new addresses) and only index.html is revalidated.
//
// Ownership: values. Thread safety: immutable after creation; share freely.
// Failure: from_directory() reports unreadable directories and files (read_file's codes, kTooLarge
// beyond 8 MiB) and a missing index.html (kNotFound); compression failures are kInternal.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace bh {

// One file of web/ compiled into the binary (cmake/embed_web.cmake generates the table).
struct EmbeddedWebFile {
  std::string_view name;
  std::string_view bytes;
};
std::span<const EmbeddedWebFile> embedded_web_files();

struct WebAsset {
  std::string name;          // "main.js"
  std::string content_type;  // "text/javascript; charset=utf-8"
  std::string identity;      // the bytes
  std::string gzip;          // the same, gzip-encoded (empty: not made)
  std::string br;            // the same, br-encoded (empty: not made)
  std::string etag;          // quoted strong validator of `identity`: "\"3f1c...\""
};

class WebAssets {
 public:
  // The files compiled into the binary.
  static Result<WebAssets> embedded();
  // The files of `dir` (one level; dot files, *_test.mjs and package.json skipped), for `serve --web-dir`.
  static Result<WebAssets> from_directory(const std::filesystem::path& dir);
  enum class Encodings { kCompressed, kIdentityOnly };
  // From (name, bytes) pairs; one of them must be index.html. kIdentityOnly leaves gzip and br
  // empty (the route then sends the bytes as they are).
  static Result<WebAssets> from_files(std::vector<std::pair<std::string, std::string>> files,
                                      Encodings encodings = Encodings::kCompressed);

  // The digest of every file that names this set: "/assets/<version>/main.js".
  const std::string& version() const { return version_; }
  // index.html with its asset addresses filled in.
  const WebAsset& index() const { return assets_[index_]; }
  // Any other file by name ("main.js"), or nullptr.
  const WebAsset* find(std::string_view name) const;
  // Bytes of every file (compressed: the smaller of its br and gzip forms): the page weight.
  std::size_t total_bytes(bool compressed) const;

 private:
  std::vector<WebAsset> assets_;  // sorted by name
  std::size_t index_ = 0;
  std::string version_;
};

// "text/css; charset=utf-8" and so on, by extension; application/octet-stream when unknown.
std::string_view web_content_type(std::string_view name);

}  // namespace bh
