#include "ingest/v1_archive_events.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "core/json_nesting.h"
#include "v1/inventory_rows.h"

namespace bh::v1 {
namespace {

std::vector<std::string_view> split_path(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t at = 0;;) {
    const std::size_t slash = text.find('/', at);
    parts.push_back(text.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at));
    if (slash == std::string_view::npos) return parts;
    at = slash + 1;
  }
}

std::string join(const std::vector<std::string_view>& parts, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to && i < parts.size(); ++i) {
    if (i > from) out += '/';
    out += parts[i];
  }
  return out;
}

std::string without_l10n(std::string_view folder) {
  std::string out(folder);
  if (out.ends_with("-l10n")) out.resize(out.size() - 5);
  return out;
}

// /build(\d+)/ as re.search finds it.
std::optional<long long> build_number_of(std::string_view url) {
  for (std::size_t at = url.find("/build"); at != std::string_view::npos; at = url.find("/build", at + 1)) {
    std::size_t end = at + 6;
    long long n = 0;
    while (end < url.size() && url[end] >= '0' && url[end] <= '9' && end - at < 20) n = n * 10 + (url[end++] - '0');
    if (end > at + 6 && end < url.size() && url[end] == '/') return n;
  }
  return std::nullopt;
}

// A record ready to ingest: v1's check, then the buildhub.json document (no v1 id); a record that
// fails the check is a rejection of its own.
IngestItem document_item(nlohmann::json record, const std::string& url) {
  IngestItem item;
  item.origin = url;
  if (Status checked = check_record(record); !checked) {
    item.read_error = invalid_argument("v1's check_record: " + checked.message());
    return item;
  }
  record.erase("id");
  item.bytes = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return item;
}

IngestItem rejection(const std::string& url, const Status& why) {
  IngestItem item;
  item.origin = url;
  item.read_error = why;
  return item;
}

}  // namespace

std::string pending_build_key(std::string_view url, std::string_view archive_url) {
  if (!url.starts_with(archive_url)) return {};
  const auto parts = split_path(url.substr(archive_url.size()));  // pub/<product>/<area>/...
  if (parts.size() < 5 || parts[0] != "pub") return {};
  if (parts[2] == "nightly" && parts.size() > 5) {
    return "nightly:" + join(parts, 0, 5) + "/" + without_l10n(parts[5]);
  }
  if (parts[2] == "candidates" && parts.size() > 4) return "candidates:" + join(parts, 0, 5);
  if (parts[2] == "releases") return fmt::format("release:{}/{}", parts[1], parts[3]);
  return {};
}

std::vector<std::string> metadata_build_keys(std::string_view url, std::string_view archive_url) {
  std::vector<std::string> keys;
  if (!url.starts_with(archive_url)) return keys;
  const auto parts = split_path(url.substr(archive_url.size()));
  if (parts.size() < 5 || parts[0] != "pub") return keys;
  if (parts[2] == "nightly" && parts.size() > 5) {
    keys.push_back("nightly:" + join(parts, 0, 5) + "/" + without_l10n(parts[5]));
  } else if (parts[2] == "candidates") {
    keys.push_back("candidates:" + join(parts, 0, 5));
    std::string_view version = parts[3];
    if (version.ends_with("-candidates")) version.remove_suffix(11);
    keys.push_back(fmt::format("release:{}/{}", parts[1], version));
  }
  return keys;
}

ArchiveEvents::ArchiveEvents(ArchiveEventsOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

Status ArchiveEvents::load() {
  if (options_.pending_file.empty() || !std::filesystem::exists(options_.pending_file)) return {};
  BH_ASSIGN_OR_RETURN(const std::string text, read_file(options_.pending_file, std::size_t{256} << 20));
  auto damaged = [&](std::string_view why) { return corrupt(fmt::format("{}: {}", options_.pending_file.string(), why)); };
  if (!json_nesting_within(text, 8)) return damaged("nests too deeply");
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_array()) return damaged("not a JSON array");
  std::vector<Pending> loaded;
  for (const nlohmann::json& e : doc) {
    if (!e.is_object()) return damaged("an entry is not an object");
    Pending p;
    const auto key = e.find("key");
    const auto size = e.find("size");
    const auto date = e.find("date");
    const auto build = e.find("build");
    const auto since = e.find("since");
    if (key == e.end() || !key->is_string() || size == e.end() || !size->is_number_unsigned() || date == e.end() ||
        !date->is_string() || build == e.end() || !build->is_string() || since == e.end() || !since->is_number_integer()) {
      return damaged("an entry lacks key, size, date, build or since");
    }
    p.key = key->get<std::string>();
    p.size = size->get<std::uint64_t>();
    p.date = date->get<std::string>();
    p.build = build->get<std::string>();
    p.since = since->get<std::int64_t>();
    loaded.push_back(std::move(p));
  }
  MutexLock lock(mutex_);
  pending_ = std::move(loaded);
  return {};
}

std::size_t ArchiveEvents::pending_count() const {
  MutexLock lock(mutex_);
  return pending_.size();
}

Status ArchiveEvents::save_pending() {
  if (options_.pending_file.empty()) return {};
  nlohmann::json doc = nlohmann::json::array();
  for (const Pending& p : pending_) {
    doc.push_back({{"key", p.key}, {"size", p.size}, {"date", p.date}, {"build", p.build}, {"since", p.since}});
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.pending_file.parent_path(), ec);
  return write_file_atomically(options_.pending_file, doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void ArchiveEvents::remember(Pending pending) {
  MutexLock lock(mutex_);
  const std::int64_t cutoff = pending.since - options_.pending_max_age.count();
  std::erase_if(pending_, [&](const Pending& p) { return p.key == pending.key || p.since < cutoff; });
  pending_.push_back(std::move(pending));
  if (pending_.size() > options_.max_pending) pending_.erase(pending_.begin(), pending_.end() - static_cast<std::ptrdiff_t>(options_.max_pending));
  (void)save_pending();  // a lost write only loses the memory of a file the daily run covers
}

void ArchiveEvents::forget(const std::string& key) {
  MutexLock lock(mutex_);
  if (std::erase_if(pending_, [&](const Pending& p) { return p.key == key; }) > 0) (void)save_pending();
}

Result<std::optional<nlohmann::json>> ArchiveEvents::build_record(ArchiveMetadata& metadata, const PathRules& rules,
                                                                  const std::string& url, std::uint64_t size,
                                                                  const std::string& date) {
  BH_ASSIGN_OR_RETURN(PathRecord record, rules.record_from_url(url));
  if (record.channel.find("nightly") == std::string::npos && record.version.find("rc") == std::string::npos) {
    BH_RETURN_IF_ERROR(metadata.scan_candidates_of(record.product, record.version));
  }
  BH_ASSIGN_OR_RETURN(auto md, metadata.fetch(record));
  if (!md) return std::optional<nlohmann::json>();
  nlohmann::json json = record.to_json();
  json["download"]["size"] = size;
  json["download"]["date"] = date;
  BH_ASSIGN_OR_RETURN(nlohmann::json merged, merge_metadata(std::move(json), *md));
  return std::optional<nlohmann::json>(std::move(merged));
}

namespace {

// A record for a file the listing shows beside a metadata file.
IngestItem sibling_item(const PathRules& rules, const std::string& url, const ArchiveFile& file, const nlohmann::json& metadata) {
  auto record = rules.record_from_url(url);
  if (!record) return rejection(url, record.error());
  nlohmann::json json = record->to_json();
  json["download"]["size"] = file.size ? nlohmann::json(*file.size) : nlohmann::json(nullptr);
  json["download"]["date"] = file.last_modified;
  auto merged = merge_metadata(std::move(json), metadata);
  if (!merged) return rejection(url, merged.error());
  return document_item(std::move(*merged), url);
}

}  // namespace

Status ArchiveEvents::rc_metadata(ArchiveMetadata& metadata, const PathRules& rules, const std::string& product,
                                  const std::string& url, ArchiveEventOutcome& out) {
  BH_ASSIGN_OR_RETURN(auto md, metadata.get_json(url));
  // The event can come before the file is served (v1 retried on 404): keep the event for later.
  if (!md || !md->is_object()) return unavailable(fmt::format("the announced metadata {} cannot be read yet", url));
  const auto number = build_number_of(url);
  if (!number) return {};  // is_rc_build_metadata needs /candidates/, not /buildN/
  (*md)["buildnumber"] = *number;
  auto add_files = [&](const std::string& folder) -> Status {
    BH_ASSIGN_OR_RETURN(auto listing, metadata.list_folder(folder));
    if (!listing) return {};
    for (const ArchiveFile& f : listing->files) {
      const std::string file_url = folder + f.name;
      if (rules.is_build_url(product, file_url)) out.items.push_back(sibling_item(rules, file_url, f, *md));
    }
    return {};
  };
  if (url.find("multi") != std::string::npos) {
    // Only the multi build: its archive beside it.
    const std::size_t at = url.find("multi/");
    if (at == std::string::npos || at + 6 >= url.size()) return {};
    return add_files(url.substr(0, at + 6));
  }
  // Every locale folder beside en-US/.
  const std::size_t at = url.find("en-US/");
  if (at == std::string::npos || at + 6 >= url.size()) return {};
  const std::string parent = url.substr(0, at);
  BH_ASSIGN_OR_RETURN(auto locales, metadata.list_folder(parent));
  if (!locales) return {};
  for (const std::string& locale : locales->prefixes) BH_RETURN_IF_ERROR(add_files(parent + locale));
  return {};
}

Status ArchiveEvents::nightly_metadata(ArchiveMetadata& metadata, const PathRules& rules, const std::string& product,
                                       const std::string& url, ArchiveEventOutcome& out) {
  BH_ASSIGN_OR_RETURN(auto md, metadata.get_json(url));
  if (!md || !md->is_object()) return unavailable(fmt::format("the announced metadata {} cannot be read yet", url));
  const auto platform_field = md->find("moz_pkg_platform");
  if (platform_field == md->end() || !platform_field->is_string()) {
    out.items.push_back(rejection(url, invalid_argument("the nightly metadata has no moz_pkg_platform")));
    return {};
  }
  const std::string platform = "." + platform_field->get<std::string>() + ".";
  const std::string parent = url.substr(0, url.rfind('/') + 1);
  BH_ASSIGN_OR_RETURN(auto english, metadata.list_folder(parent));
  if (english) {
    for (const ArchiveFile& f : english->files) {
      if (f.name.find(platform) == std::string::npos) continue;  // metadata files are per platform
      const std::string file_url = parent + f.name;
      if (!rules.is_build_url(product, file_url)) continue;
      out.items.push_back(sibling_item(rules, file_url, f, *md));
      break;  // one English build
    }
  }
  // The -l10n sibling of the date folder: re.sub('-mozilla-central([^/]*)/([^/]+)$', ...).
  const std::size_t last_slash = url.rfind('/');
  const std::size_t folder_start = url.rfind('/', last_slash - 1) + 1;
  const std::size_t central = url.find("-mozilla-central", folder_start);
  if (central == std::string::npos || central > last_slash) return {};
  const std::string l10n = url.substr(0, last_slash) + "-l10n/";
  BH_ASSIGN_OR_RETURN(auto localized, metadata.list_folder(l10n));
  if (!localized) return {};  // no -l10n folder published yet
  for (const ArchiveFile& f : localized->files) {
    // Mobile's platforms are folders: every file of the folder belongs to this metadata.
    if (f.name.find(platform) == std::string::npos && product != "mobile") continue;
    const std::string file_url = l10n + f.name;
    if (rules.is_build_url(product, file_url)) out.items.push_back(sibling_item(rules, file_url, f, *md));
  }
  return {};
}

Status ArchiveEvents::retry_pending(const std::vector<std::string>& builds, ArchiveEventOutcome& out) {
  std::vector<Pending> waiting;
  {
    MutexLock lock(mutex_);
    for (const Pending& p : pending_) {
      if (std::find(builds.begin(), builds.end(), p.build) != builds.end()) waiting.push_back(p);
    }
  }
  if (waiting.empty()) return {};
  std::set<std::string> listed;
  for (const IngestItem& item : out.items) listed.insert(item.origin);
  ArchiveMetadata metadata({.get = options_.get, .archive_url = options_.archive_url});
  for (const Pending& p : waiting) {
    const std::string url = options_.archive_url + p.key;
    if (listed.contains(url)) {  // the listing gave its record already
      forget(p.key);
      continue;
    }
    ++out.retried;
    auto record = build_record(metadata, rules_, url, p.size, p.date);
    if (!record) {
      if (record.error().code() == Code::kUnavailable) return record.error();
      out.items.push_back(rejection(url, record.error()));
      forget(p.key);
      continue;
    }
    if (!*record) continue;  // still waiting
    out.items.push_back(document_item(std::move(**record), url));
    forget(p.key);
  }
  return {};
}

Result<ArchiveEventOutcome> ArchiveEvents::handle(const ArchiveEventFile& file) {
  ArchiveEventOutcome out;
  const auto parts = split_path(file.key);
  if (parts.size() < 2) return out;  // favicon.ico
  const std::string product(parts[1]);
  if (std::find(options_.products.begin(), options_.products.end(), product) == options_.products.end()) return out;
  const std::string url = options_.archive_url + file.key;
  ArchiveMetadata metadata({.get = options_.get, .archive_url = options_.archive_url});
  if (rules_.is_build_url(product, url)) {
    out.kind = ArchiveEventOutcome::Kind::kBuild;
    auto when = parse_iso8601(file.event_time);
    if (!when) {
      out.items.push_back(rejection(url, invalid_argument(fmt::format("the event's time [{}] is not a date", file.event_time))));
      return out;
    }
    auto record = build_record(metadata, rules_, url, file.size, when->text);
    if (!record) {
      if (record.error().code() == Code::kUnavailable) return fail(record.error());
      out.items.push_back(rejection(url, record.error()));
      return out;
    }
    if (!*record) {
      // Metadata not there yet: remembered until a metadata event of its build arrives.
      const std::string build = pending_build_key(url, options_.archive_url);
      if (!build.empty()) {
        remember({.key = file.key, .size = file.size, .date = when->text, .build = build,
                  .since = std::chrono::duration_cast<std::chrono::seconds>(clock_.wall_now().time_since_epoch()).count()});
        out.remembered = true;
      }
      return out;
    }
    out.items.push_back(document_item(std::move(**record), url));
    forget(file.key);
    return out;
  }
  if (is_rc_build_metadata(product, url)) {
    out.kind = ArchiveEventOutcome::Kind::kRcMetadata;
    BH_RETURN_IF_ERROR(rc_metadata(metadata, rules_, product, url, out));
  } else if (is_nightly_build_metadata(product, url)) {
    out.kind = ArchiveEventOutcome::Kind::kNightlyMetadata;
    BH_RETURN_IF_ERROR(nightly_metadata(metadata, rules_, product, url, out));
  } else {
    return out;
  }
  BH_RETURN_IF_ERROR(retry_pending(metadata_build_keys(url, options_.archive_url), out));
  return out;
}

}  // namespace bh::v1
