// Buildhub v1's archive-path rules (buildhub-reference §2.3, §2.4): which archive files are
// builds, the record a path implies, its channel, id, mimetype and os, and the URLs v1 derives
// from a path (the en-US sibling whose metadata describes a build, a folder on the archive).
//
// The rules are v1's exactly, quirks included, because record ids and channels depend on them:
// `str.strip` removes a character set ("50.0-candidates" -> "50.0"), `replace('mac', 'macosx')`
// replaces every "mac", a nightly id takes the date from the URL's ninth segment, `.` in an
// extension pattern matches any character. Where v1's Python raised (an index past a path's
// end, an unknown platform) the functions return kInvalidArgument naming the path.
// Known differences: lower-casing and the `\s`/`\w` classes follow ASCII plus Unicode's
// letter/number/space categories (RE2), not Python's full Unicode tables; archive paths are
// ASCII in practice.
//
// Pure: no I/O. PathRules is immutable after construction and safe to share between threads;
// the free functions are thread-safe.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "v1/url_facts.h"

namespace re2 {
class RE2;
}

namespace bh::v1 {

inline constexpr std::string_view kArchiveUrl = "https://archive.mozilla.org/";

// v1's ALL_PRODUCTS: the archive folders under pub/ that hold builds.
const std::vector<std::string>& default_products();

// v1's FILE_EXTENSIONS: what a build file's name ends with.
inline constexpr std::array<std::string_view, 6> kFileExtensions = {"zip", "tar.gz", "tar.bz2", "dmg", "apk", "exe"};

// The product a build's file name starts with: mobile's files are fennec-*, devedition's
// firefox-*; the others are their own.
std::string_view file_name_product(std::string_view product);

// A record deduced from an archive URL, before any metadata: v1's record_from_url.
struct PathRecord {
  std::string id;
  std::string product;  // "mobile" becomes "fennec"; "devedition" stays
  std::string version;
  std::string platform;
  std::string os;
  std::string locale;
  std::string channel;  // guessed from the URL; metadata may override it later, the id keeps it
  std::string url;      // the URL as given (spaces kept)
  std::optional<std::string> mimetype;

  // v1's record shape: {id, source{product}, target{platform, os, locale, version, channel},
  // download{url, mimetype}}.
  nlohmann::json to_json() const;
};

class PathRules {
 public:
  PathRules();
  ~PathRules();
  PathRules(PathRules&&) noexcept;
  PathRules& operator=(PathRules&&) noexcept;

  // v1's is_build_url(product, url): `url` is an archive URL (key_to_archive_url's form).
  bool is_build_url(std::string_view product, std::string_view url) const;
  // The same with `facts` = scan_url(url), for a caller that asks several rules of one URL.
  bool is_build_url(std::string_view product, std::string_view url, const UrlFacts& facts) const;

  // v1's record_from_url; the URL becomes the record's download URL. kInvalidArgument where v1
  // raised.
  Result<PathRecord> record_from_url(std::string url) const;
  // The same with `facts` = scan_url(url).
  Result<PathRecord> record_from_url(std::string url, const UrlFacts& facts) const;

 private:
  struct Patterns;
  std::unique_ptr<Patterns> patterns_;
};

// Two of is_build_url's regexes on a build's file name (lower-cased, spaces made dashes), as
// plain code because they run once per inventory row; path_rules_test checks them against the
// regexes. `^.+(sdk|tests|crashreporter|stub|gtk2.+xft|source|asan)`:
bool has_excluded_suffix(std::string_view file_name);
// `^{name}-(.+)(zip|tar.gz|tar.bz2|dmg|apk|exe)\n?$` (zip only `with_zip`; the dots are regex
// dots, as v1 wrote them):
bool is_build_file_name(std::string_view file_name, std::string_view name, bool with_zip);

// ARCHIVE_URL + key with '+' read as a space (inventory keys are form-encoded; %xx is kept).
std::string key_to_archive_url(std::string_view key, std::string_view archive_url = kArchiveUrl);

// v1's archive_url(): the archive folder of a product, version, platform, locale, nightly
// month or candidates build.
struct ArchiveUrlRequest {
  std::string product;
  std::optional<std::string> version = {};
  std::optional<std::string> platform = {};
  std::optional<std::string> locale = {};
  std::optional<std::string> nightly = {};    // "2017/05"
  std::optional<std::string> candidate = {};  // "/" or "/build1/"
  std::string archive_url = std::string(kArchiveUrl);
};
std::string archive_url(const ArchiveUrlRequest& request);

// The en-US (or multi) sibling of a localized nightly build, and of a release candidate.
std::string localize_nightly_url(std::string_view nightly_url);
std::string localize_release_candidate_url(std::string_view rc_url);

std::string guess_channel(std::string_view url, std::string_view version);
// The same with `facts` = scan_url(url).
std::string guess_channel(const UrlFacts& facts, std::string_view version);
// "linux", "win", "mac", "android" or "maemo"; kInvalidArgument for an unknown platform.
Result<std::string> normalized_platform(std::string_view platform);
// By the last extension of the URL's file name; nullopt when unknown.
std::optional<std::string> guess_mimetype(std::string_view url);
// The v1 record id of a product/channel/version/platform/locale (and, for nightlies, the URL's
// date folder). kInvalidArgument when a nightly URL has no ninth segment.
Result<std::string> build_record_id(const PathRecord& record);

// Python's str.strip(chars): removes any of `chars` from both ends.
std::string_view strip_chars(std::string_view text, std::string_view chars);

// Metadata predicates and merging (metadata_rules.cc).

// v1's is_release_build_metadata(product, version, filename).
bool is_release_build_metadata(std::string_view product, std::string_view version, std::string_view filename);
// v1's is_nightly_build_metadata(product, url) and is_rc_build_metadata(product, url).
bool is_nightly_build_metadata(std::string_view product, std::string_view url);
bool is_rc_build_metadata(std::string_view product, std::string_view url);

// v1's check_record: a record with a build id and a plausible channel, platform, locale and
// version. kInvalidArgument naming what is suspicious.
Status check_record(const nlohmann::json& record);

// v1's merge_metadata: channel, revision, repository, tree, build id, date, number and the
// compiler fields from a build's metadata (null metadata leaves the record as it is).
// kInvalidArgument where v1 raised (no moz_source_repo, a build id that is not a date).
Result<nlohmann::json> merge_metadata(nlohmann::json record, const nlohmann::json& metadata);

// "YYYY-MM-DDTHH:MM:SSZ" from the first 14 characters of a build id, read the way Python's
// strptime(..., "%Y%m%d%H%M%S") reads them (fields of one or two digits where the digits allow:
// "201706121152" is 2017-06-12T11:05:02Z). kInvalidArgument where strptime raised.
Result<std::string> build_date_from_build_id(std::string_view build_id);

// A nightly's .txt metadata (the fallback when .json is missing): "BUILDID\nREPO/rev/STAMP" or
// the older "BUILDID STAMP". nullopt when it is neither.
std::optional<nlohmann::json> parse_nightly_txt_metadata(std::string_view text);

}  // namespace bh::v1
