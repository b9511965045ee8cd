// `buildhub inventory`'s engine: the newest S3 inventory of an archive bucket, straight into the
// store (buildhub-reference §2.5), as v1's latest-inventory-to-kinto did.
//
// Per inventory prefix: list its folders (Delimiter "/"), take the newest dated one
// (YYYY-MM-DDTHH-MMZ), read its manifest.json. Then every CSV.gz piece the manifests name:
// taken from the piece cache when a file with its MD5 is there and still has that MD5, else
// downloaded (the next piece downloads while this one is read), checked against the manifest's
// size and MD5 and cached under that MD5. Each piece is decompressed as a stream and its rows go
// through the InventoryConverter (path rules, metadata, v1's checks); the documents go through the
// ingest pipeline (schema, hash, store) while the next rows are read. Cached pieces older than
// `piece_cache_max_age` are deleted at the end, as v1 deleted its downloads after two days.
//
// The object a manifest key names: AWS writes keys relative to the destination bucket; Mozilla's
// inventories are published under "public/", so the key is looked for in the listing prefix and
// whatever comes before it ("public/") is put in front, as v1's 'public/' + key.
//
// Failure: no dated folder (kNotFound), a manifest that is not one, or S3 failing after the
// client's retries while listing or reading manifests stops the run with that Status before
// anything is stored; S3 failing on a piece stops the run after the rows read before it are
// stored (kUnavailable); a piece whose download does not match its manifest, or whose gzip
// stream is damaged, is counted (bad_pieces) and the others go on; the store failing stops the
// run (what was committed stays). Rows, metadata and documents that fail
// are counted and reported to the observer, never the end of the run.
//
// Ownership: borrows everything in InventoryImportDeps. Thread safety: one run at a time per
// piece cache; observer callbacks come from two threads (rows and metadata on one, the store on
// the caller's), so the observer must be thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <stop_token>
#include <string>
#include <vector>

#include "core/executor.h"
#include "core/metrics.h"
#include "ingest/pipeline.h"
#include "ingest/v1_inventory.h"
#include "net/s3_client.h"

namespace bh {

struct InventoryImportOptions {
  std::vector<std::string> prefixes;  // destination prefixes, one per inventory, each ending in '/'
  std::filesystem::path piece_cache_dir;
  std::chrono::hours piece_cache_max_age{48};
  std::uint64_t max_piece_bytes = std::uint64_t{4} << 30;
  v1::InventoryConverterOptions converter;
  IngestOptions ingest;  // its rejection_source should be set ("inventory")
};

struct InventoryImportDeps {
  const net::S3Client& s3;
  v1::ArchiveMetadata* metadata;  // null when converter.fetch_metadata is false
  RecordStore& store;
  const SchemaValidator& validator;
  Executor& executor;
  MetricsRegistry& metrics;
};

struct InventoryImportCounts {
  std::vector<std::string> manifests;  // the manifest keys read, newest folder of each prefix
  std::uint64_t pieces = 0;
  std::uint64_t pieces_cached = 0;     // read from the piece cache
  std::uint64_t pieces_downloaded = 0;
  std::uint64_t bytes_downloaded = 0;
  std::uint64_t bad_pieces = 0;        // not as the manifest says, or a damaged gzip stream
  v1::InventoryCounts rows;
  IngestSummary ingest;
  double seconds = 0;
};

class InventoryImportObserver : public v1::InventoryConverterObserver {
 public:
  // After each piece is read (rows thread).
  virtual void on_piece(std::uint64_t /*done*/, std::uint64_t /*total*/, const v1::InventoryCounts& /*rows*/) {}
  virtual void on_bad_piece(const std::string& /*key*/, const Status& /*reason*/) {}
  // From the store (caller's thread).
  virtual void on_rejected(const std::string& /*origin*/, const Status& /*reason*/) {}
  virtual void on_stored(const IngestSummary& /*so_far*/) {}
};

Result<InventoryImportCounts> run_inventory_import(const InventoryImportDeps& deps, const InventoryImportOptions& options,
                                                   InventoryImportObserver& observer, std::stop_token stop = {});

// The object key of a manifest's piece: `key` with whatever precedes its first segment in the
// listing `prefix` put in front ("public/inventories/a/" and "inventories/a/x.csv.gz" give
// "public/inventories/a/x.csv.gz"); `key` itself when its first segment is not in the prefix.
std::string inventory_piece_object_key(std::string_view prefix, std::string_view key);

}  // namespace bh
