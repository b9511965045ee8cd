// The build metadata Buildhub v1 read from the archive to complete a record deduced from a path
// (buildhub-reference §2.4): a nightly's .json (or its .txt on older nightlies), a release
// candidate's {product}-{version}.json, a release's metadata in the newest candidates build of
// its version (found by scanning the product's candidates/ folders once).
//
// Results are memoised, "none" included, so each metadata file is asked for once; the memo can
// be saved and loaded in v1's shape ({"rc": …, "release": …, "nightly": …}) so a second run asks
// the archive nothing it already knows.
//
// Failure: an archive that answers 404 (or a file that is not v1's JSON) means "no metadata" for
// that build, as in v1; an archive that cannot be reached, or answers 5xx after the client's
// retries, is kUnavailable and nothing is memoised, so a later run asks again (v1 stopped its
// whole run there).
//
// Ownership: holds the `get` function, which must outlive the object. Thread safety: all methods
// may be called from several threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/sync.h"
#include "net/http_client.h"
#include "v1/path_rules.h"

namespace bh::v1 {

// What the archive answered for a GET: its status and body. An error when it did not answer.
struct ArchiveAnswer {
  int status = 0;
  std::string body;
};
using ArchiveGet = std::function<Result<ArchiveAnswer>(const std::string& url)>;

// A folder of the archive as its listing API gives it (GET <folder>/ with Accept:
// application/json): {"prefixes": [...], "files": [{"name", "size", "last_modified"}]}.
struct ArchiveFile {
  std::string name;
  std::optional<std::int64_t> size = {};  // absent from some listings
  std::string last_modified = {};         // "" when absent
};
struct ArchiveListing {
  std::vector<std::string> prefixes;  // sub-folders, "build1/"
  std::vector<ArchiveFile> files;
};

// The archive over HTTP, asked as v1's fetch_json asked it (Accept: application/json, our
// User-Agent, at most 16 MiB: a listing or a metadata file). Borrows `http`.
ArchiveGet archive_get_over_http(net::HttpClient& http);

struct ArchiveMetadataOptions {
  ArchiveGet get;
  std::string archive_url = std::string(kArchiveUrl);
};

struct ArchiveMetadataStats {
  std::uint64_t requests = 0;    // GETs sent to the archive
  std::uint64_t memo_hits = 0;   // metadata answered from the memo
  std::uint64_t found = 0;       // metadata files read
  std::uint64_t missing = 0;     // builds with no metadata on the archive
};

class ArchiveMetadata {
 public:
  explicit ArchiveMetadata(ArchiveMetadataOptions options);

  // v1's fetch_metadata: by the record's channel and version, a nightly's, a release
  // candidate's or a release's metadata; nullopt when the archive has none for it.
  Result<std::optional<nlohmann::json>> fetch(const PathRecord& record);

  // v1's scan_candidates: the newest buildN/ folder of every version under the product's
  // candidates/ (once per product; a release's metadata lives there).
  Status scan_candidates(std::string_view product);

  // The newest buildN/ folder of one version's candidates (one listing), for a caller that needs
  // one release's metadata without scanning every version (the S3-event path). A version with no
  // candidates folder is remembered as having none.
  Status scan_candidates_of(std::string_view product, const std::string& version);

  // The memo in v1's file shape, and loading one (entries already known are kept).
  nlohmann::json memo_json() const;
  Status load_memo(const nlohmann::json& memo);

  ArchiveMetadataStats stats() const;

  // A GET of JSON: the document, nullopt for a 404 or a body that is not JSON (or nests
  // absurdly deep), kUnavailable when the archive fails. Not memoised.
  Result<std::optional<nlohmann::json>> get_json(const std::string& url);
  // A folder's listing; nullopt for a 404 or an answer that is not a listing. Not memoised.
  Result<std::optional<ArchiveListing>> list_folder(const std::string& url);

 private:
  enum class Kind { kNightly, kRc, kRelease };
  Result<std::optional<std::pair<std::vector<std::string>, std::vector<std::string>>>> listing(const std::string& url);
  Result<std::optional<nlohmann::json>> nightly(const PathRecord& record);
  Result<std::optional<nlohmann::json>> release_candidate(const PathRecord& record);
  Result<std::optional<nlohmann::json>> release(const PathRecord& record);
  std::optional<std::optional<nlohmann::json>> memo_get(Kind kind, const std::string& key);
  void memo_put(Kind kind, const std::string& key, const std::optional<nlohmann::json>& value);

  ArchiveMetadataOptions options_;
  mutable Mutex mutex_;
  std::map<std::string, std::optional<nlohmann::json>> memo_[3] GUARDED_BY(mutex_);
  // product -> version -> newest build folder ("build3/")
  std::map<std::string, std::map<std::string, std::string>> candidates_ GUARDED_BY(mutex_);
  Mutex scan_mutex_;  // one scan of a product at a time
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> memo_hits_{0};
  std::atomic<std::uint64_t> found_{0};
  std::atomic<std::uint64_t> missing_{0};
};

}  // namespace bh::v1
