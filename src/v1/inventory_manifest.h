// What an S3 inventory delivers besides its CSV rows (buildhub-reference §2.5): the dated
// folders a destination prefix holds ("2017-08-01T00-11Z/", one per daily run) and each run's
// manifest.json, which names the CSV.gz pieces with their sizes and MD5 checksums.
//
// Pure functions over untrusted bytes (the manifest comes from a bucket); fuzzed in
// fuzz/fuzz_v1_metadata.cc. Failure: kInvalidArgument naming what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bh::v1 {

// Whether a listing's common prefix is a dated inventory folder: its last segment is
// YYYY-MM-DDTHH-MMZ (AWS's name for a daily run; "hive/" and "data/" are not).
bool is_inventory_folder(std::string_view common_prefix);

// The newest dated folder among a listing's common prefixes (the names sort by date), as v1's
// sorted(...)[-1]; nullopt when there is none.
std::optional<std::string> newest_inventory_folder(const std::vector<std::string>& common_prefixes);

struct InventoryPiece {
  std::string key;           // as the manifest names it ("inventories/…/data/<uuid>.csv.gz")
  std::uint64_t size = 0;    // bytes of the .csv.gz
  std::string md5;           // lower-case hex of the .csv.gz's MD5
};

struct InventoryManifest {
  std::string source_bucket;  // sourceBucket, "" when absent
  std::string file_format;    // fileFormat ("CSV"), "" when absent
  std::vector<InventoryPiece> files;
};

// An AWS S3 inventory manifest.json. Needs `files`, an array of {key, size, MD5checksum}: a
// non-empty key, a non-negative integer size, a 32-hex-digit checksum. A fileFormat other than
// CSV is refused (ORC and Parquet inventories are not read), and so is a key with a ".." segment.
Result<InventoryManifest> parse_inventory_manifest(std::string_view json);

}  // namespace bh::v1
