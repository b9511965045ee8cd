#include "ingest/v1_metadata.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "core/json_nesting.h"
#include "core/version.h"

namespace bh::v1 {
namespace {

// v1's re.sub('\.(zip|tar.gz|tar.bz2|dmg|apk|exe)$', replacement, url): the '.' inside "tar.gz"
// is a regex dot, so "tarXgz" counts too.
std::string replace_archive_extension(std::string_view url, std::string_view replacement) {
  for (std::string_view ext : kFileExtensions) {
    if (url.size() < ext.size() + 1) continue;
    const std::string_view tail = url.substr(url.size() - ext.size());
    bool same = url[url.size() - ext.size() - 1] == '.';
    for (std::size_t i = 0; same && i < ext.size(); ++i) same = ext[i] == '.' || ext[i] == tail[i];
    if (same) return std::string(url.substr(0, url.size() - ext.size() - 1)) + std::string(replacement);
  }
  return std::string(url);
}

// The digits of a build folder zero-filled to three, v1's sort key ("build11/" -> "011").
std::string build_sort_key(std::string_view folder) {
  std::string digits;
  for (char c : folder) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  return digits;
}

// The buildN number in a URL ("/build3/" -> 3).
std::optional<long long> build_number_in(std::string_view url) {
  for (std::size_t at = url.find("/build"); at != std::string_view::npos; at = url.find("/build", at + 1)) {
    std::size_t end = at + 6;
    while (end < url.size() && url[end] >= '0' && url[end] <= '9') ++end;
    if (end > at + 6 && end < url.size() && url[end] == '/' && end - at - 6 <= 15) {
      return std::stoll(std::string(url.substr(at + 6, end - at - 6)));
    }
  }
  return std::nullopt;
}

std::string remove_repack_suffixes(std::string_view platform) {
  // re.sub('-(eme-free|sha1)', '', platform, flags=re.I)
  std::string out;
  for (std::size_t at = 0; at < platform.size();) {
    auto matches_at = [&](std::string_view word) {
      if (platform.size() - at < word.size()) return false;
      for (std::size_t i = 0; i < word.size(); ++i) {
        char c = platform[at + i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != word[i]) return false;
      }
      return true;
    };
    if (matches_at("-eme-free")) {
      at += 9;
    } else if (matches_at("-sha1")) {
      at += 5;
    } else {
      out += platform[at++];
    }
  }
  return out;
}

}  // namespace

ArchiveGet archive_get_over_http(net::HttpClient& http) {
  return [&http](const std::string& url) -> Result<ArchiveAnswer> {
    net::HttpCall call;
    call.url = url;
    call.headers = {{"Accept", "application/json"}, {"User-Agent", fmt::format("buildhub/{}", version_info().version)}};
    call.max_response_bytes = 16u << 20;
    BH_ASSIGN_OR_RETURN(net::HttpReply reply, http.send(call));
    return ArchiveAnswer{.status = reply.status, .body = std::move(reply.body)};
  };
}

ArchiveMetadata::ArchiveMetadata(ArchiveMetadataOptions options) : options_(std::move(options)) {}

Result<std::optional<nlohmann::json>> ArchiveMetadata::get_json(const std::string& url) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  auto answer = options_.get(url);
  if (!answer) return fail(answer.error());
  if (answer->status == 404) return std::optional<nlohmann::json>();
  if (answer->status < 200 || answer->status >= 300) {
    return fail(unavailable(fmt::format("the archive answered {} for {}", answer->status, url)));
  }
  if (!json_nesting_within(answer->body, 64)) return std::optional<nlohmann::json>();
  nlohmann::json doc = nlohmann::json::parse(answer->body, nullptr, false);
  if (doc.is_discarded()) return std::optional<nlohmann::json>();
  return std::optional<nlohmann::json>(std::move(doc));
}

Result<std::optional<ArchiveListing>> ArchiveMetadata::list_folder(const std::string& url) {
  BH_ASSIGN_OR_RETURN(auto doc, get_json(url));
  if (!doc || !doc->is_object()) return std::optional<ArchiveListing>();
  auto prefixes = doc->find("prefixes");
  auto files = doc->find("files");
  if (prefixes == doc->end() || files == doc->end() || !prefixes->is_array() || !files->is_array()) {
    return std::optional<ArchiveListing>();
  }
  ArchiveListing out;
  for (const auto& p : *prefixes) {
    if (p.is_string()) out.prefixes.push_back(p.get<std::string>());
  }
  for (const auto& f : *files) {
    if (!f.is_object()) continue;
    const auto name = f.find("name");
    if (name == f.end() || !name->is_string()) continue;
    ArchiveFile file{.name = name->get<std::string>()};
    if (const auto size = f.find("size"); size != f.end() && size->is_number_integer()) file.size = size->get<std::int64_t>();
    if (const auto date = f.find("last_modified"); date != f.end() && date->is_string()) file.last_modified = date->get<std::string>();
    out.files.push_back(std::move(file));
  }
  return std::optional<ArchiveListing>(std::move(out));
}

Result<std::optional<std::pair<std::vector<std::string>, std::vector<std::string>>>> ArchiveMetadata::listing(const std::string& url) {
  using Listing = std::pair<std::vector<std::string>, std::vector<std::string>>;
  BH_ASSIGN_OR_RETURN(auto folder, list_folder(url));
  if (!folder) return std::optional<Listing>();
  Listing out;
  out.first = std::move(folder->prefixes);
  for (ArchiveFile& f : folder->files) out.second.push_back(std::move(f.name));
  return std::optional<Listing>(std::move(out));
}

std::optional<std::optional<nlohmann::json>> ArchiveMetadata::memo_get(Kind kind, const std::string& key) {
  MutexLock lock(mutex_);
  auto& memo = memo_[static_cast<int>(kind)];
  if (auto it = memo.find(key); it != memo.end()) {
    memo_hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second;
  }
  return std::nullopt;
}

void ArchiveMetadata::memo_put(Kind kind, const std::string& key, const std::optional<nlohmann::json>& value) {
  (value ? found_ : missing_).fetch_add(1, std::memory_order_relaxed);
  MutexLock lock(mutex_);
  memo_[static_cast<int>(kind)][key] = value;
}

Result<std::optional<nlohmann::json>> ArchiveMetadata::fetch(const PathRecord& record) {
  if (record.channel.find("nightly") != std::string::npos) return nightly(record);
  if (record.version.find("rc") != std::string::npos) return release_candidate(record);
  return release(record);
}

Result<std::optional<nlohmann::json>> ArchiveMetadata::nightly(const PathRecord& record) {
  const std::string nightly_url = localize_nightly_url(record.url);
  if (auto known = memo_get(Kind::kNightly, nightly_url)) return *known;
  BH_ASSIGN_OR_RETURN(auto metadata, get_json(replace_archive_extension(nightly_url, ".json")));
  if (metadata && !metadata->is_object()) metadata.reset();
  if (!metadata) {
    // Very old nightlies published a .txt instead; any answer that is not one means none.
    requests_.fetch_add(1, std::memory_order_relaxed);
    auto txt = options_.get(replace_archive_extension(nightly_url, ".txt"));
    if (!txt) return fail(txt.error());
    if (txt->status >= 500) return fail(unavailable(fmt::format("the archive answered {} for {}", txt->status, nightly_url)));
    metadata = parse_nightly_txt_metadata(txt->body);
  }
  memo_put(Kind::kNightly, nightly_url, metadata);
  return metadata;
}

Result<std::optional<nlohmann::json>> ArchiveMetadata::release_candidate(const PathRecord& record) {
  const std::string rc_url = localize_release_candidate_url(record.url);
  if (auto known = memo_get(Kind::kRc, rc_url)) return *known;
  const std::string_view product = file_name_product(record.product);
  std::string metadata_url;
  if (product == "fennec") {
    metadata_url = replace_archive_extension(rc_url, ".json");
  } else {
    const std::string major = record.version.substr(0, record.version.find("rc"));
    metadata_url = rc_url.substr(0, rc_url.rfind('/') + 1) + fmt::format("{}-{}.json", product, major);
  }
  BH_ASSIGN_OR_RETURN(auto metadata, get_json(metadata_url));
  const auto number = build_number_in(record.url);
  if (metadata && (!metadata->is_object() || !number)) metadata.reset();
  if (metadata) (*metadata)["buildnumber"] = *number;
  memo_put(Kind::kRc, rc_url, metadata);
  return metadata;
}

Status ArchiveMetadata::scan_candidates(std::string_view product_name) {
  const std::string product = product_name == "mobile" ? std::string("fennec") : std::string(product_name);
  MutexLock scan_lock(scan_mutex_);
  {
    MutexLock lock(mutex_);
    if (candidates_.contains(product)) return {};
  }
  const std::string base = archive_url({.product = product, .candidate = "/", .archive_url = options_.archive_url});
  BH_ASSIGN_OR_RETURN(auto folders, listing(base));
  if (!folders) return unavailable(fmt::format("the archive has no candidates listing at {}", base));
  std::map<std::string, std::string> newest;
  for (const std::string& folder : folders->first) {
    if (folder.find("-candidates") == std::string::npos) continue;
    std::string version;  // folder.replace('-candidates/', ''), one left-to-right pass
    for (std::size_t at = 0; at < folder.size();) {
      if (folder.compare(at, 12, "-candidates/") == 0) {
        at += 12;
      } else {
        version += folder[at++];
      }
    }
    BH_ASSIGN_OR_RETURN(auto builds,
                        listing(archive_url({.product = product, .version = version, .candidate = "/", .archive_url = options_.archive_url})));
    if (!builds || builds->first.empty()) continue;  // v1 failed on an empty folder; it has no build to read
    // The last of the highest keys, as Python's stable sort then [-1] picks it.
    const std::string* best = &builds->first.front();
    for (const std::string& b : builds->first) {
      if (build_sort_key(b) >= build_sort_key(*best)) best = &b;
    }
    newest[version] = *best;
  }
  MutexLock lock(mutex_);
  candidates_[product] = std::move(newest);
  return {};
}

Status ArchiveMetadata::scan_candidates_of(std::string_view product_name, const std::string& version) {
  const std::string product = product_name == "mobile" ? std::string("fennec") : std::string(product_name);
  {
    MutexLock lock(mutex_);
    if (auto known = candidates_.find(product); known != candidates_.end() && known->second.contains(version)) return {};
  }
  BH_ASSIGN_OR_RETURN(auto builds,
                      listing(archive_url({.product = product, .version = version, .candidate = "/", .archive_url = options_.archive_url})));
  MutexLock lock(mutex_);
  auto& versions = candidates_[product];
  if (!builds || builds->first.empty()) return {};
  const std::string* best = &builds->first.front();
  for (const std::string& b : builds->first) {
    if (build_sort_key(b) >= build_sort_key(*best)) best = &b;
  }
  versions[version] = *best;
  return {};
}

Result<std::optional<nlohmann::json>> ArchiveMetadata::release(const PathRecord& record) {
  std::string latest;
  {
    MutexLock lock(mutex_);
    auto product = candidates_.find(record.product);
    if (product == candidates_.end()) {
      // scan_candidates did not run or did not succeed: the release's metadata cannot be found yet.
      return fail(unavailable(fmt::format("the candidates of {} could not be read, so a release's metadata cannot be found", record.product)));
    }
    auto version = product->second.find(record.version);
    if (version == product->second.end()) return std::optional<nlohmann::json>();  // not among the candidates: none
    latest = version->second;
  }
  const std::string_view trimmed = strip_chars(latest, "/");
  if (trimmed.empty() || trimmed.back() < '0' || trimmed.back() > '9') return std::optional<nlohmann::json>();
  const int build_number = trimmed.back() - '0';  // v1 kept only the last digit: build11 -> 1
  const std::string url = archive_url({.product = record.product, .version = record.version,
                                       .platform = remove_repack_suffixes(record.platform), .locale = std::string("en-US"),
                                       .candidate = "/" + latest, .archive_url = options_.archive_url});
  if (auto known = memo_get(Kind::kRelease, url)) return *known;
  BH_ASSIGN_OR_RETURN(auto files, listing(url));
  std::optional<nlohmann::json> metadata;
  if (files) {
    for (const std::string& name : files->second) {
      if (!is_release_build_metadata(record.product, record.version, name)) continue;
      BH_ASSIGN_OR_RETURN(auto doc, get_json(url + name));
      if (doc && doc->is_object()) {
        (*doc)["buildnumber"] = build_number;
        metadata = std::move(doc);
        break;
      }
    }
  }
  memo_put(Kind::kRelease, url, metadata);
  return metadata;
}

nlohmann::json ArchiveMetadata::memo_json() const {
  MutexLock lock(mutex_);
  nlohmann::json out = {{"rc", nlohmann::json::object()}, {"release", nlohmann::json::object()}, {"nightly", nlohmann::json::object()}};
  const std::array<const char*, 3> names = {"nightly", "rc", "release"};
  for (int kind = 0; kind < 3; ++kind) {
    for (const auto& [key, value] : memo_[kind]) out[names.at(static_cast<std::size_t>(kind))][key] = value ? *value : nlohmann::json(nullptr);
  }
  return out;
}

Status ArchiveMetadata::load_memo(const nlohmann::json& memo) {
  if (!memo.is_object()) return invalid_argument("a metadata memo must be a JSON object {\"rc\", \"release\", \"nightly\"}");
  const std::array<const char*, 3> names = {"nightly", "rc", "release"};
  MutexLock lock(mutex_);
  for (int kind = 0; kind < 3; ++kind) {
    auto section = memo.find(names.at(static_cast<std::size_t>(kind)));
    if (section == memo.end()) continue;
    if (!section->is_object()) return invalid_argument(fmt::format("the memo's \"{}\" must be an object", names.at(static_cast<std::size_t>(kind))));
    for (const auto& [key, value] : section->items()) {
      if (!value.is_null() && !value.is_object()) continue;  // not a metadata document: asked again
      memo_[kind].try_emplace(key, value.is_null() ? std::nullopt : std::optional<nlohmann::json>(value));
    }
  }
  return {};
}

ArchiveMetadataStats ArchiveMetadata::stats() const {
  return {.requests = requests_.load(), .memo_hits = memo_hits_.load(), .found = found_.load(), .missing = missing_.load()};
}

}  // namespace bh::v1
