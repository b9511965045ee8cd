#include "server/web_assets.h"

#include <algorithm>

#include <fmt/format.h>

#include "compress/http_encoding.h"
#include "core/digest.h"
#include "core/file_io.h"

namespace bh {
namespace {

// A page file larger than this is a mistake in web/, not something to serve.
constexpr std::size_t kMaxWebFileBytes = 8 << 20;

Result<WebAsset> make_asset(std::string name, std::string bytes, std::string_view digest, WebAssets::Encodings encodings) {
  WebAsset a;
  a.content_type = std::string(web_content_type(name));
  a.name = std::move(name);
  a.etag = fmt::format("\"{}\"", digest.substr(0, 20));
  if (encodings == WebAssets::Encodings::kCompressed) {
    auto gz = compress::gzip_compress(bytes);
    if (!gz) return fail(gz.error());
    auto br = compress::brotli_compress(bytes);
    if (!br) return fail(br.error());
    a.gzip = std::move(*gz);
    a.br = std::move(*br);
  }
  a.identity = std::move(bytes);
  return a;
}

}  // namespace

std::string_view web_content_type(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js") || name.ends_with(".mjs")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  if (name.ends_with(".json")) return "application/json";
  if (name.ends_with(".txt")) return "text/plain; charset=utf-8";
  if (name.ends_with(".png")) return "image/png";
  if (name.ends_with(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

Result<WebAssets> WebAssets::embedded() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const EmbeddedWebFile& f : embedded_web_files()) files.emplace_back(f.name, f.bytes);
  return from_files(std::move(files), Encodings::kCompressed);
}

Result<WebAssets> WebAssets::from_directory(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return fail(io_error(fmt::format("web directory {}: {}", dir.string(), ec.message())));
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || name.ends_with("_test.mjs") || name == "package.json" || !entry.is_regular_file(ec)) continue;
    auto bytes = read_file(entry.path(), kMaxWebFileBytes);
    if (!bytes) return fail(bytes.error());
    files.emplace_back(name, std::move(*bytes));
  }
  // Read again for every request: compressing (br at quality 11) each time would cost more than
  // the loopback transfer it saves.
  return from_files(std::move(files), Encodings::kIdentityOnly);
}

Result<WebAssets> WebAssets::from_files(std::vector<std::pair<std::string, std::string>> files, Encodings encodings) {
  std::sort(files.begin(), files.end());
  std::vector<std::string> digests;
  std::string all;
  for (const auto& [name, bytes] : files) {
    digests.push_back(sha256_hex(bytes));
    all += name;
    all += '\0';
    all += digests.back();
  }
  WebAssets set;
  const std::string set_digest = sha256_hex(all);
  set.version_ = set_digest.substr(0, 12);
  bool have_index = false;
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto& [name, bytes] = files[i];
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
    // index.html names the version, so it changes whenever any file does: its validator is the
    // digest of the whole set.
    auto asset = make_asset(name, std::move(bytes), name == "index.html" ? set_digest : digests[i], encodings);
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
