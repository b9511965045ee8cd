// Buildhub v1's archive events (buildhub-reference §2.7): S3 notifications of the archive bucket
// itself (not of buildhub.json files) turned into records, as v1's Lambda did, for the daemon.
//
// Per announced file, by its key (pub/<product>/...; other products are ignored):
//   - a build file: its record from the path, the event's size and time, and its metadata from
//     the archive. When the metadata is not there yet, the file is remembered (a pending list
//     kept on disk) instead of dropped as v1 did;
//   - a release candidate's metadata file ({product}-{version}.json in en-US/ or multi/): a
//     record for every build file of every locale folder beside it (or of multi/), with the
//     listing's sizes and dates, and the build number from /buildN/;
//   - a nightly's metadata file (.json of a mozilla-central en-US build): a record for the en-US
//     build of its platform and for every locale of the -l10n folder beside it (every file for
//     mobile, whose platforms are folders).
// A metadata event also retries the remembered files of the same build (the nightly's date
// folder, the candidates build, the release of that version), so a file announced before its
// metadata gets its record when the metadata arrives, even when the archive's listing does not
// show it yet. Remembered files older than `pending_max_age` are dropped (the daily inventory
// run covers them).
//
// Unlike v1, a record that fails v1's check_record is a rejection of its own (an IngestItem with
// a read error) and the other records of the event are kept.
//
// Failure: the archive failing (after the client's retries) is kUnavailable: the caller keeps
// the event for a later attempt. A missing metadata file is not a failure.
//
// Ownership: holds the archive getter, which must outlive the object. Thread safety: handle()
// and pending_count() may be called from several threads (one mutex around the pending list).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/sync.h"
#include "ingest/sources.h"
#include "ingest/v1_metadata.h"
#include "v1/path_rules.h"

namespace bh::v1 {

struct ArchiveEventsOptions {
  ArchiveGet get;
  std::string archive_url = std::string(kArchiveUrl);
  std::vector<std::string> products = default_products();
  std::filesystem::path pending_file;  // "": remembered in memory only
  std::chrono::seconds pending_max_age{std::chrono::hours(24 * 7)};
  std::size_t max_pending = 100'000;   // the oldest go first beyond this
};

// One announced archive file.
struct ArchiveEventFile {
  std::string key;         // decoded
  std::uint64_t size = 0;
  std::string event_time;  // S3's "2017-08-08T17:06:52.030Z"
};

struct ArchiveEventOutcome {
  enum class Kind { kIgnored, kBuild, kRcMetadata, kNightlyMetadata };
  Kind kind = Kind::kIgnored;
  std::vector<IngestItem> items;  // documents to ingest, or rejections (read_error set)
  bool remembered = false;        // a build file waiting for its metadata
  std::size_t retried = 0;        // remembered files this metadata event tried again
};

class ArchiveEvents {
 public:
  ArchiveEvents(ArchiveEventsOptions options, const Clock& clock = system_clock());

  // Reads the pending list; a missing file is an empty list, a damaged one is kCorrupt.
  Status load();

  Result<ArchiveEventOutcome> handle(const ArchiveEventFile& file);

  std::size_t pending_count() const;

 private:
  struct Pending {
    std::string key;
    std::uint64_t size = 0;
    std::string date;        // the record's download.date
    std::string build;       // which metadata completes it (pending_build_key)
    std::int64_t since = 0;  // unix seconds
  };
  Result<std::optional<nlohmann::json>> build_record(ArchiveMetadata& metadata, const PathRules& rules,
                                                     const std::string& url, std::uint64_t size, const std::string& date);
  Status rc_metadata(ArchiveMetadata& metadata, const PathRules& rules, const std::string& product,
                     const std::string& url, ArchiveEventOutcome& out);
  Status nightly_metadata(ArchiveMetadata& metadata, const PathRules& rules, const std::string& product,
                          const std::string& url, ArchiveEventOutcome& out);
  Status retry_pending(const std::vector<std::string>& builds, ArchiveEventOutcome& out);
  void remember(Pending pending);
  void forget(const std::string& key);
  Status save_pending() REQUIRES(mutex_);

  ArchiveEventsOptions options_;
  const Clock& clock_;
  PathRules rules_;  // immutable, shared by every handle()
  mutable Mutex mutex_;
  std::vector<Pending> pending_ GUARDED_BY(mutex_);
};

// Which metadata completes a build file ("nightly:pub/firefox/nightly/2017/08/2017-08-05-10-03-34-
// mozilla-central", "candidates:pub/firefox/candidates/56.0b1-candidates/build4",
// "release:firefox/54.0"); and the builds a metadata file completes. "" / empty when none.
std::string pending_build_key(std::string_view archive_url_of_file, std::string_view archive_url);
std::vector<std::string> metadata_build_keys(std::string_view archive_url_of_metadata, std::string_view archive_url);

}  // namespace bh::v1
