// Backfill: the whole bucket (or a prefix of it) into the store, as Buildhub2's `backfill` did, and
// faster: listing pages are fetched ahead while the previous page's objects download, many at once.
//
// Per listing page (S3's 1,000 keys): keep keys whose file name ends with "buildhub.json"; skip
// those whose key and ETag the store already knows (stored or rejected before); download the rest
// (`jobs` in flight); ingest them through the pipeline in one transaction with their rejections;
// then write the resume state. A changed ETag with the same content moves the key to the new ETag
// (no new record); changed content is a new record.
//
// Resume (--resume): the state file (JSON, written atomically after every committed page) holds
// the last key of the last committed page; listing starts after it (StartAfter). A crash loses at
// most the page in flight, which the next run lists again; its records, if they were committed,
// are then known and skipped, so nothing is missed and nothing doubled.
//
// Stop: a stop request ends the run after the page in hand is stored (kCancelled); --resume goes on
// from there.
//
// Failure: S3 failing after the HTTP client's retries, or the store failing, stops the run with
// that Status (the counts so far are in the observer's last progress and the state file). An
// invalid document never stops it: it is a rejection.
//
// Ownership: borrows everything in BackfillDeps. Thread safety: one run at a time per state file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>

#include "core/executor.h"
#include "core/metrics.h"
#include "ingest/pipeline.h"
#include "net/s3_client.h"

namespace bh {

struct BackfillCounts {
  std::uint64_t pages = 0;
  std::uint64_t listed = 0;         // keys listed (backfill_listed)
  std::uint64_t matched = 0;        // ... ending with buildhub.json (backfill_matched)
  std::uint64_t unchanged = 0;      // ... whose key and ETag were already known
  std::uint64_t to_download = 0;    // matched keys new or changed (what a dry run reports)
  std::uint64_t downloaded = 0;
  std::uint64_t missing = 0;        // gone between listing and download (404)
  std::uint64_t inserted = 0;       // new records (backfill_inserted)
  std::uint64_t already_present = 0;  // content already stored (backfill_not_inserted)
  std::uint64_t rejected = 0;
  double seconds = 0;
  bool resumed = false;
  std::string resumed_after;        // the key the run started after
};

class BackfillObserver {
 public:
  virtual ~BackfillObserver() = default;
  virtual void on_page(const BackfillCounts& /*so_far*/) {}
  virtual void on_rejected(const std::string& /*origin*/, const Status& /*reason*/) {}
  virtual void on_missing(const std::string& /*key*/, const Status& /*reason*/) {}
};

struct BackfillOptions {
  unsigned jobs = 32;             // downloads in flight
  unsigned page_size = 1000;      // keys per listing request (S3's maximum)
  unsigned list_ahead = 8;        // listing pages fetched ahead of the one downloading (~300 KB each)
  bool resume = false;
  // List and compare with the store only: count what a run would download; nothing is fetched,
  // stored or written to the state file.
  bool dry_run = false;
  std::filesystem::path state_file;  // required: where the resume point is kept
  RecordLimits limits;
  std::string metadata = "{}";    // stored with every record
};

struct BackfillDeps {
  const net::S3Client& s3;
  RecordStore& store;
  const SchemaValidator& validator;
  Executor& executor;
  MetricsRegistry& metrics;
  const Clock& clock;
};

Result<BackfillCounts> run_backfill(const BackfillDeps& deps, const BackfillOptions& options,
                                    BackfillObserver& observer, std::stop_token stop = {});

// The default state file for a bucket and prefix inside a data directory:
// DATA_DIR/backfill/<hash of the bucket URL and prefix>.json, so runs over other buckets never mix.
std::filesystem::path default_backfill_state_file(const std::filesystem::path& data_dir,
                                                  const net::S3Location& location);

}  // namespace bh
