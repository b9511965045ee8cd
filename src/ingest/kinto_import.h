// `buildhub import-kinto`'s engine: Buildhub v1's records (a Kinto collection) into the store,
// as Buildhub2's kinto-migration and kinto-database-migration commands did (buildhub-reference
// §1.8), from either side of Kinto:
//   - its HTTP API: GET {server}/buckets/{bucket}/collections/{collection}/records?_limit=N,
//     then every Next-Page URL;
//   - its PostgreSQL database: the `records` table, rows of the collection's parent id, read in
//     id order, N at a time (keyset paging: no cursor held open, any page can be the first).
// One page is in memory at a time, so a million records never are. Each record's Kinto fields
// (id, last_modified, schema) are dropped from the document; the v1 id and last_modified are kept
// in the record's metadata ({"source": "kinto", "kinto_id": …}).
//
// Resume: after each page is stored, where the next page starts (the Next-Page URL, the last
// id) is written atomically to the state file; `resume` starts there. A crash loses at most the
// page in hand, which the next run reads again (its records are then already present).
// `max_records` stops a run after that many records (at a page boundary), for migrations done
// in pieces.
//
// Invalid records (no build, or failing the schema) are rejections recorded in the store with
// their v1 id and the reason, or, with `skip_invalid`, only counted (Buildhub2's --skip-invalid).
//
// Failure: the source failing (after the HTTP client's retries; PostgreSQL refusing) or the store
// failing stops the run with that Status; the state file then names the page to read again.
// A page that is not Kinto's shape is kUnavailable naming the URL.
//
// Ownership: borrows everything in KintoImportDeps. Thread safety: one run at a time per state
// file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/executor.h"
#include "ingest/pipeline.h"

namespace bh {

// One Kinto record as read, parsed once by the reader: its JSON value (an object, unless the
// source holds something else), with its id and last_modified either in it (HTTP) or given
// apart (the database keeps them in columns).
struct KintoRecord {
  std::string id = {};                            // "": in the JSON
  std::optional<std::int64_t> last_modified = {};  // nullopt: in the JSON, if anywhere
  nlohmann::json data = {};
};

// One page: its records, where the next page starts (an opaque resume point) and whether the
// collection ended with it. At the end, `next` is where new records would start (the last id of
// the database) or "" (HTTP: a later run starts over, finding what it has as already present).
struct KintoPage {
  std::vector<KintoRecord> records;
  std::string next;
  bool end = false;
};

class KintoPageReader {
 public:
  virtual ~KintoPageReader() = default;
  // The page that starts at `from` ("" for the first).
  virtual Result<KintoPage> read(const std::string& from) = 0;
  // For logs and the state file: which collection this reads.
  virtual std::string describe() const = 0;
};

// What an HTTP GET answered: status, the Next-Page header ("" when none), body.
struct KintoHttpAnswer {
  int status = 0;
  std::string next_page;
  std::string body;
};
using KintoHttpGet = std::function<Result<KintoHttpAnswer>(const std::string& url)>;

struct KintoCollection {
  std::string bucket = "build-hub";
  std::string collection = "releases";
};

// Kinto's HTTP API; `server` is the API root ("https://buildhub.prod.mozaws.net/v1").
std::unique_ptr<KintoPageReader> kinto_http_reader(KintoHttpGet get, std::string server, KintoCollection which,
                                                   unsigned page_size);
// Kinto's PostgreSQL database (libpq connection string).
Result<std::unique_ptr<KintoPageReader>> kinto_database_reader(const std::string& conninfo, KintoCollection which,
                                                               unsigned page_size);

struct KintoImportOptions {
  std::filesystem::path state_file = {};  // required
  bool resume = false;
  bool skip_invalid = false;
  std::uint64_t max_records = 0;     // 0: all
  RecordLimits limits = {};
  std::string metadata_version = "{}";  // a JSON object merged into every record's metadata
};

struct KintoImportCounts {
  std::uint64_t pages = 0;
  std::uint64_t read = 0;
  std::uint64_t inserted = 0;
  std::uint64_t already_present = 0;
  std::uint64_t rejected = 0;       // recorded as rejections
  std::uint64_t skipped_invalid = 0;  // with skip_invalid
  bool finished = false;            // the collection was read to its end
  bool resumed = false;
  double seconds = 0;
};

class KintoImportObserver {
 public:
  virtual ~KintoImportObserver() = default;
  virtual void on_page(const KintoImportCounts& /*so_far*/) {}
  virtual void on_invalid(const std::string& /*kinto_id*/, const Status& /*reason*/) {}
};

struct KintoImportDeps {
  KintoPageReader& reader;
  RecordStore& store;
  const SchemaValidator& validator;
  Executor& executor;
};

Result<KintoImportCounts> run_kinto_import(const KintoImportDeps& deps, const KintoImportOptions& options,
                                           KintoImportObserver& observer, std::stop_token stop = {});

}  // namespace bh
