// v1's metadata predicates, record check and metadata merge (see path_rules.h).
#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>
#include <re2/re2.h>

#include "core/calendar.h"
#include "v1/path_rules.h"

namespace bh::v1 {
namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// re.match / re.search with a pattern built from outside text, as v1 builds them (unescaped):
// a pattern that does not compile matches nothing (v1 raised re.error).
bool matches(const std::string& pattern, std::string_view text) {
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(pattern, options);
  return re.ok() && RE2::PartialMatch(text, re);
}

// Python's `\d` for str patterns.
constexpr std::string_view kPyDigit = R"(\p{Nd})";

const RE2& fixed(int which) {
  static const std::array<RE2, 6> patterns = {
      RE2("^.+(latest-mozilla-central|test_packages|mozinfo)"),
      RE2("/candidates/(.+)-candidates"),
      RE2("^(release|aurora|beta|esr|nightly)(-old-id)?\\n?$"),
      RE2("^(win|mac|linux|android|maemo|eabi).{0,4}"),
      RE2("^([A-Za-z]{2,3}\\-?){1,3}\\n?$"),
      RE2(fmt::format("^({}+|\\.|\\-|esr|rc|b|a|pre|funnelcake|real|plugin)+\\n?$", kPyDigit)),
  };
  return patterns.at(static_cast<std::size_t>(which));
}
enum Fixed { kNightlyExclude, kCandidatesVersion, kChannel, kPlatform, kLocale, kVersion };

// One step of Python's strptime regex for %m, %d, %H, %M or %S: the alternatives in the order
// Python's pattern lists them, each as (first digit allowed, second digit allowed or none).
struct Alternative {
  const char* first;   // allowed first characters
  const char* second;  // allowed second characters; nullptr for a one-character alternative
};
constexpr const char* kAny = "0123456789";
const std::array<std::vector<Alternative>, 5> kFieldAlternatives = {{
    {{"1", "012"}, {"0", "123456789"}, {"123456789", nullptr}},                            // %m
    {{"3", "01"}, {"12", kAny}, {"0", "123456789"}, {"123456789", nullptr}, {" ", "123456789"}},  // %d
    {{"2", "0123"}, {"01", kAny}, {kAny, nullptr}},                                          // %H
    {{"012345", kAny}, {kAny, nullptr}},                                                     // %M
    {{"6", "01"}, {"012345", kAny}, {kAny, nullptr}},                                        // %S
}};

bool allowed(const char* set, char c) { return c != '\0' && std::string_view(set).find(c) != std::string_view::npos; }

// Backtracks through the fields like Python's regex engine; the first match wins, wherever it
// ends (strptime then rejects unconverted characters).
bool match_fields(std::string_view text, std::size_t at, std::size_t field, std::array<int, 5>& values, std::size_t& end) {
  if (field == kFieldAlternatives.size()) {
    end = at;
    return true;
  }
  for (const Alternative& alt : kFieldAlternatives[field]) {
    if (at >= text.size() || !allowed(alt.first, text[at])) continue;
    std::size_t width = 1;
    if (alt.second != nullptr) {
      if (at + 1 >= text.size() || !allowed(alt.second, text[at + 1])) continue;
      width = 2;
    }
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      if (text[at + i] != ' ') value = value * 10 + (text[at + i] - '0');
    }
    values[field] = value;
    if (match_fields(text, at + width, field + 1, values, end)) return true;
  }
  return false;
}

}  // namespace

bool is_release_build_metadata(std::string_view product, std::string_view version, std::string_view filename) {
  return matches(fmt::format("^{}-{}(.*).json", file_name_product(product), version), filename);
}

bool is_nightly_build_metadata(std::string_view product, std::string_view url) {
  if (!contains(url, "nightly") || !contains(url, "mozilla-central")) return false;
  const std::string name = product == "mobile" ? std::string("fennec") : std::string(product);
  if (RE2::PartialMatch(url, fixed(kNightlyExclude))) return false;
  return matches(fmt::format("^.+/{}-(.*)\\.(.*)\\.(.*)\\.json\\n?$", name), url);
}

bool is_rc_build_metadata(std::string_view product, std::string_view url) {
  const std::string_view name = file_name_product(product);
  std::string version;
  if (!RE2::PartialMatch(url, fixed(kCandidatesVersion), &version)) return false;
  if (name == "fennec") return matches(fmt::format("^.+/{}-{}\\.([^\\.]+)\\.([^\\.]+)\\.json\\n?$", name, version), url);
  return matches(fmt::format("^.+/{}-{}\\.json\\n?$", name, version), url);
}

Status check_record(const nlohmann::json& record) {
  if (!record.is_object()) return invalid_argument("a record must be a JSON object");
  bool has_build_id = false;
  if (auto build = record.find("build"); build != record.end()) {
    // v1 asked `'id' in build`: a key of an object, a member of a list, a substring of a string.
    if (build->is_object()) has_build_id = build->contains("id");
    else if (build->is_array()) has_build_id = std::find(build->begin(), build->end(), nlohmann::json("id")) != build->end();
    else if (build->is_string()) has_build_id = contains(build->get_ref<const std::string&>(), "id");
    else return invalid_argument("build must be an object");
  }
  if (!has_build_id) return invalid_argument("missing build id");
  const auto target = record.find("target");
  if (target == record.end() || !target->is_object()) return invalid_argument("missing target");
  auto field = [&](const char* name) -> const std::string* {
    auto it = target->find(name);
    return it != target->end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  struct Check {
    const char* name;
    Fixed pattern;
  };
  for (const Check& check : {Check{"channel", kChannel}, Check{"platform", kPlatform}, Check{"locale", kLocale},
                             Check{"version", kVersion}}) {
    const std::string* value = field(check.name);
    if (value == nullptr) return invalid_argument(fmt::format("missing target.{}", check.name));
    if (!RE2::PartialMatch(*value, fixed(check.pattern))) {
      return invalid_argument(fmt::format("suspicious {} '{}'", check.name, value->substr(0, 200)));
    }
  }
  return {};
}

Result<std::string> build_date_from_build_id(std::string_view build_id) {
  const std::string_view text = build_id.substr(0, 14);
  auto bad = [&] {
    return fail(invalid_argument(fmt::format("the build id '{}' is not a date (%Y%m%d%H%M%S)", build_id.substr(0, 100))));
  };
  if (text.size() < 4 || text.substr(0, 4).find_first_not_of(kAny) != std::string_view::npos) return bad();
  const int year = std::stoi(std::string(text.substr(0, 4)));
  std::array<int, 5> v{};
  std::size_t end = 0;
  if (!match_fields(text, 4, 0, v, end) || end != text.size()) return bad();
  const auto [month, day, hour, minute, second] = v;
  if (year < 1 || day < 1 || day > days_in_month(year, month) || second > 59) return bad();
  (void)hour;
  (void)minute;
  return fmt::format("{}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, month, day, hour, minute, second);
}

Result<nlohmann::json> merge_metadata(nlohmann::json record, const nlohmann::json& metadata) {
  if (metadata.is_null()) return record;
  if (!metadata.is_object()) return fail(invalid_argument("metadata must be a JSON object"));
  if (!record.is_object() || !record.contains("target") || !record["target"].is_object() ||
      !record["target"].contains("channel") || !record.contains("source") || !record["source"].is_object()) {
    return fail(invalid_argument("the record has no target.channel or no source"));
  }
  if (auto channel = metadata.find("moz_update_channel"); channel != metadata.end()) record["target"]["channel"] = *channel;
  const auto repo = metadata.find("moz_source_repo");
  const auto stamp = metadata.find("moz_source_stamp");
  const auto build_id = metadata.find("buildid");
  if (repo == metadata.end() || !repo->is_string()) return fail(invalid_argument("the metadata has no moz_source_repo"));
  if (stamp == metadata.end()) return fail(invalid_argument("the metadata has no moz_source_stamp"));
  if (build_id == metadata.end() || !build_id->is_string()) return fail(invalid_argument("the metadata has no buildid"));
  // One left-to-right pass, as str.replace does: removing one may not join a new one.
  std::string repository;
  {
    const std::string& raw = repo->get_ref<const std::string&>();
    constexpr std::string_view kPrefix = "MOZ_SOURCE_REPO=";
    for (std::size_t at = 0; at < raw.size();) {
      if (raw.compare(at, kPrefix.size(), kPrefix) == 0) {
        at += kPrefix.size();
      } else {
        repository += raw[at++];
      }
    }
  }
  const std::size_t host = repository.find("hg.mozilla.org/");
  record["source"]["revision"] = *stamp;
  record["source"]["repository"] = repository;
  record["source"]["tree"] = host == std::string::npos ? repository : repository.substr(host + 15);
  auto date = build_date_from_build_id(build_id->get_ref<const std::string&>());
  if (!date) return fail(date.error());
  nlohmann::json build = {{"id", *build_id}, {"date", *date}};
  for (const char* name : {"as", "cc", "cxx", "ld", "host_alias", "target_alias"}) {
    if (auto it = metadata.find(name); it != metadata.end()) {
      std::string key = name;
      if (key.ends_with("_alias")) key.resize(key.size() - 6);
      build[key] = *it;
    }
  }
  if (auto number = metadata.find("buildnumber"); number != metadata.end()) build["number"] = *number;
  record["build"] = std::move(build);
  return record;
}

std::optional<nlohmann::json> parse_nightly_txt_metadata(std::string_view text) {
  static const RE2 with_repo(fmt::format("^({}+)\\n(http.+)/rev/(.+)\\n?$", kPyDigit));
  static const RE2 stamp_only(fmt::format("^({}+) (.+)\\n?$", kPyDigit));
  std::string build_id, repo, stamp;
  if (RE2::FullMatch(text, with_repo, &build_id, &repo, &stamp)) {
    return nlohmann::json{{"buildid", build_id}, {"moz_source_repo", repo}, {"moz_source_stamp", stamp}};
  }
  if (RE2::FullMatch(text, stamp_only, &build_id, &stamp)) {
    return nlohmann::json{{"buildid", build_id}, {"moz_source_stamp", stamp}, {"moz_source_repo", "http://hg.mozilla.org/mozilla-central"}};
  }
  return std::nullopt;
}

}  // namespace bh::v1
