#include "server/web_assets.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "compress/http_encoding.h"
#include "core/digest.h"

namespace bh {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Result<WebAsset> make_asset(std::string name, std::string bytes) {
  WebAsset a;
  a.content_type = std::string(web_content_type(name));
  a.name = std::move(name);
  a.etag = fmt::format("\"{}\"", sha256_hex(bytes).substr(0, 20));
  auto gz = compress::gzip_compress(bytes);
  if (!gz) return fail(gz.error());
  auto br = compress::brotli_compress(bytes);
  if (!br) return fail(br.error());
  a.gzip = std::move(*gz);
  a.br = std::move(*br);
  a.identity = std::move(bytes);
  return a;
}

}  // namespace

std::string_view web_content_type(std::string_view name) {
  if (ends_with(name, ".html")) return "text/html; charset=utf-8";
  if (ends_with(name, ".js") || ends_with(name, ".mjs")) return "text/javascript; charset=utf-8";
  if (ends_with(name, ".css")) return "text/css; charset=utf-8";
  if (ends_with(name, ".svg")) return "image/svg+xml";
  if (ends_with(name, ".json")) return "application/json";
  if (ends_with(name, ".txt")) return "text/plain; charset=utf-8";
  if (ends_with(name, ".png")) return "image/png";
  if (ends_with(name, ".ico")) return "image/x-icon";
  return "application/octet-stream";
}

Result<WebAssets> WebAssets::embedded() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const EmbeddedWebFile& f : embedded_web_files()) files.emplace_back(f.name, f.bytes);
  return from_files(std::move(files));
}

Result<WebAssets> WebAssets::from_directory(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return fail(io_error(fmt::format("web directory {}: {}", dir.string(), ec.message())));
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || ends_with(name, "_test.mjs") || name == "package.json" || !entry.is_regular_file(ec)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in && !in.eof()) return fail(io_error(fmt::format("{}: cannot be read", entry.path().string())));
    files.emplace_back(name, bytes.str());
  }
  return from_files(std::move(files));
}

Result<WebAssets> WebAssets::from_files(std::vector<std::pair<std::string, std::string>> files) {
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& [name, bytes] : files) {
    all += name;
    all += '\0';
    all += sha256_hex(bytes);
  }
  WebAssets set;
  set.version_ = sha256_hex(all).substr(0, 12);
  bool have_index = false;
  for (auto& [name, bytes] : files) {
    if (name == "index.html") {
      std::string filled;
      const std::string prefix = "/assets/" + set.version_;
      std::string_view rest = bytes;
      for (auto at = rest.find("{{ASSETS}}"); at != std::string_view::npos; at = rest.find("{{ASSETS}}")) {
        filled.append(rest.substr(0, at)).append(prefix);
        rest.remove_prefix(at + 10);
      }
      filled.append(rest);
      bytes = std::move(filled);
      have_index = true;
    }
    auto asset = make_asset(name, std::move(bytes));
    if (!asset) return fail(asset.error());
    if (name == "index.html") set.index_ = set.assets_.size();
    set.assets_.push_back(std::move(*asset));
  }
  if (!have_index) return fail(not_found("the web page has no index.html"));
  return set;
}

const WebAsset* WebAssets::find(std::string_view name) const {
  for (const WebAsset& a : assets_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::size_t WebAssets::total_bytes(bool compressed) const {
  std::size_t total = 0;
  for (const WebAsset& a : assets_) total += compressed ? std::min(a.br.size(), a.gzip.size()) : a.identity.size();
  return total;
}

}  // namespace bh
