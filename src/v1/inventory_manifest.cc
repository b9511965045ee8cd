#include "v1/inventory_manifest.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/ascii.h"
#include "core/hex.h"
#include "core/json_nesting.h"

namespace bh::v1 {
namespace {

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool is_inventory_folder(std::string_view prefix) {
  if (prefix.ends_with('/')) prefix.remove_suffix(1);
  const std::size_t slash = prefix.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? prefix : prefix.substr(slash + 1);
  // YYYY-MM-DDTHH-MMZ
  if (name.size() != 17) return false;
  return all_digits(name.substr(0, 4)) && name[4] == '-' && all_digits(name.substr(5, 2)) && name[7] == '-' &&
         all_digits(name.substr(8, 2)) && name[10] == 'T' && all_digits(name.substr(11, 2)) && name[13] == '-' &&
         all_digits(name.substr(14, 2)) && name[16] == 'Z';
}

std::optional<std::string> newest_inventory_folder(const std::vector<std::string>& common_prefixes) {
  std::optional<std::string> newest;
  for (const std::string& prefix : common_prefixes) {
    if (is_inventory_folder(prefix) && (!newest || prefix > *newest)) newest = prefix;
  }
  return newest;
}

Result<InventoryManifest> parse_inventory_manifest(std::string_view text) {
  if (!json_nesting_within(text, 32)) return fail(invalid_argument("the manifest nests too deeply"));
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return fail(invalid_argument("the manifest is not JSON"));
  if (!doc.is_object()) return fail(invalid_argument("the manifest is not a JSON object"));
  InventoryManifest manifest;
  if (auto it = doc.find("sourceBucket"); it != doc.end() && it->is_string()) manifest.source_bucket = it->get<std::string>();
  if (auto it = doc.find("fileFormat"); it != doc.end()) {
    if (!it->is_string()) return fail(invalid_argument("the manifest's fileFormat is not a string"));
    manifest.file_format = it->get<std::string>();
    if (ascii_lowercase(manifest.file_format) != "csv") {
      return fail(invalid_argument(fmt::format("the inventory is {}, only CSV inventories are read", manifest.file_format)));
    }
  }
  const auto files = doc.find("files");
  if (files == doc.end() || !files->is_array()) return fail(invalid_argument("the manifest has no files array"));
  for (std::size_t i = 0; i < files->size(); ++i) {
    const nlohmann::json& file = (*files)[i];
    auto bad = [i](std::string_view what) { return fail(invalid_argument(fmt::format("manifest files[{}]: {}", i, what))); };
    if (!file.is_object()) return bad("not an object");
    InventoryPiece piece;
    const auto key = file.find("key");
    if (key == file.end() || !key->is_string() || key->get_ref<const std::string&>().empty()) return bad("no key");
    piece.key = key->get<std::string>();
    if (piece.key.starts_with('/') || piece.key == ".." || piece.key.starts_with("../") ||
        piece.key.find("/../") != std::string::npos || piece.key.ends_with("/..")) {
      return bad("a key with a .. segment or a leading /");
    }
    const auto size = file.find("size");
    if (size == file.end() || !size->is_number_integer() || (!size->is_number_unsigned() && size->get<std::int64_t>() < 0)) {
      return bad("no size, or one that is not a non-negative integer");
    }
    piece.size = size->is_number_unsigned() ? size->get<std::uint64_t>() : static_cast<std::uint64_t>(size->get<std::int64_t>());
    const auto md5 = file.find("MD5checksum");
    if (md5 == file.end() || !md5->is_string()) return bad("no MD5checksum");
    piece.md5 = md5->get<std::string>();
    if (piece.md5.size() != 32 || !std::all_of(piece.md5.begin(), piece.md5.end(), [](char c) { return hex_digit_value(c) >= 0; })) {
      return bad("MD5checksum is not 32 hex digits");
    }
    piece.md5 = ascii_lowercase(piece.md5);
    manifest.files.push_back(std::move(piece));
  }
  return manifest;
}

}  // namespace bh::v1
