#include "v1/path_rules.h"

#include <array>
#include <cstring>

#include <fmt/format.h>
#include <re2/re2.h>

namespace bh::v1 {
namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t hit = text.find(from, at);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(at, hit - at));
    out.append(to);
    at = hit + from.size();
  }
  out.append(text.substr(at));
  return out;
}

// The pieces of `text` between separators: how many there are, and the first kKept of them (v1's
// rules read no piece past the eleventh). With `spaces_too`, a space separates as well.
struct Pieces {
  static constexpr std::size_t kKept = 16;
  std::array<std::string_view, kKept> at{};
  std::size_t count = 0;
  std::size_t size() const { return count; }
  std::string_view operator[](std::size_t i) const { return i < kKept ? at[i] : std::string_view(); }
};

Pieces split_pieces(std::string_view text, char separator, bool spaces_too) {
  Pieces out;
  if (!spaces_too) {  // one separator: memchr finds each
    std::size_t start = 0;
    while (true) {
      const void* hit = text.size() > start ? std::memchr(text.data() + start, separator, text.size() - start) : nullptr;
      const std::size_t end = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - text.data()) : text.size();
      if (out.count < Pieces::kKept) out.at[out.count] = text.substr(start, end - start);
      ++out.count;
      if (!hit) break;
      start = end + 1;
    }
    return out;
  }
  std::size_t start = 0;
  for (std::size_t i = 0;; ++i) {
    if (i == text.size() || text[i] == separator || (spaces_too && text[i] == ' ')) {
      if (out.count < Pieces::kKept) out.at[out.count] = text.substr(start, i - start);
      ++out.count;
      if (i == text.size()) break;
      start = i + 1;
    }
  }
  return out;
}

std::string join(const Pieces& parts, std::size_t begin, std::size_t end, std::string_view glue) {
  std::string out;
  for (std::size_t i = begin; i < end && i < std::min(parts.size(), Pieces::kKept); ++i) {
    if (i > begin) out.append(glue);
    out.append(parts[i]);
  }
  return out;
}

// v1's normalisation of a URL (spaces to dashes, lower case), on one piece.
std::string lower_dashed(std::string_view piece) {
  std::string out(piece);
  for (char& c : out) {
    if (c == ' ') c = '-';
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view basename(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Python's `\s` and `\w` for str patterns, as near as RE2's Unicode classes come.
constexpr std::string_view kPySpace = R"([\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}])";
constexpr std::string_view kPyWord = R"([\p{L}\p{N}_])";

std::unique_ptr<RE2> compile(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  return std::make_unique<RE2>(pattern, options);
}

// re.match(pattern, text): anchored at the start only.
bool python_match(const RE2& re, std::string_view text) { return re.ok() && RE2::PartialMatch(text, re); }

std::string build_name_pattern(std::string_view product, bool with_zip) {
  std::string alternatives;
  for (std::string_view ext : kFileExtensions) {
    if (!with_zip && ext == "zip") continue;
    if (!alternatives.empty()) alternatives += '|';
    alternatives += ext;  // as v1 does: the '.' of "tar.gz" is a regex dot
  }
  // Python's `$` also matches before a final newline.
  return fmt::format("^{}-(.+)({})\\n?$", product, alternatives);
}

}  // namespace

bool has_excluded_suffix(std::string_view file_name) {
  // `.` stops at a newline: only the first line can match, and `.+` needs one character first.
  const std::string_view line = file_name.substr(0, file_name.find('\n'));
  if (line.size() < 2) return false;
  const std::string_view after_first = line.substr(1);
  for (std::string_view word : {"sdk", "tests", "crashreporter", "stub", "source", "asan"}) {
    if (after_first.find(word) != std::string_view::npos) return true;
  }
  const std::size_t gtk = after_first.find("gtk2");
  return gtk != std::string_view::npos && after_first.find("xft", gtk + 5) != std::string_view::npos;
}

bool is_build_file_name(std::string_view file_name, std::string_view name, bool with_zip) {
  if (file_name.size() <= name.size() || !file_name.starts_with(name) || file_name[name.size()] != '-') return false;
  std::string_view body = file_name.substr(name.size() + 1);
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);  // `\n?$`
  if (body.find('\n') != std::string_view::npos) return false;     // `.` never takes one
  for (std::string_view ext : kFileExtensions) {
    if (!with_zip && ext == "zip") continue;
    if (body.size() <= ext.size()) continue;  // `.+` takes at least one character
    const std::string_view tail = body.substr(body.size() - ext.size());
    bool same = true;
    for (std::size_t i = 0; i < ext.size() && same; ++i) same = ext[i] == '.' || ext[i] == tail[i];
    if (same) return true;
  }
  return false;
}

struct PathRules::Patterns {
  std::unique_ptr<RE2> exclude_names;
};

std::string_view file_name_product(std::string_view product) {
  if (product == "mobile") return "fennec";
  if (product == "devedition") return "firefox";
  return product;
}

const std::vector<std::string>& default_products() {
  static const std::vector<std::string> products = {"firefox", "thunderbird", "mobile", "devedition"};
  return products;
}

PathRules::PathRules() : patterns_(std::make_unique<Patterns>()) {
  patterns_->exclude_names = compile(fmt::format(
      "^.+(tinderbox|try-builds|partner-repacks|latest|contrib|/0\\.|experimental|namoroka|debug|sha1-installers|"
      "candidates/archived|stylo-bindings|/1.0rc/|/releases/win../|dominspector|/test/|testing|%28.+%29|"
      "{}Installer\\.({}{{2,3}}\\-?{}{{0,3}})\\.exe)",
      kPySpace, kPyWord, kPyWord));
}

PathRules::~PathRules() = default;
PathRules::PathRules(PathRules&&) noexcept = default;
PathRules& PathRules::operator=(PathRules&&) noexcept = default;

bool PathRules::is_build_url(std::string_view product, std::string_view url) const {
  return is_build_url(product, url, scan_url(url));
}

bool PathRules::is_build_url(std::string_view product, std::string_view url, const UrlFacts& facts) const {
  if (facts.has(UrlWord::kNightly) && !facts.has(UrlWord::kMozillaCentral) && !facts.has(UrlWord::kCommCentral)) return false;
  if (facts.has(UrlWord::kExcludedNameHint) && python_match(*patterns_->exclude_names, url)) return false;
  const bool with_zip = !facts.has(UrlWord::kWin);  // "Only .exe for Windows"
  const std::string_view name = file_name_product(product);
  const std::string match_filename = lower_dashed(basename(url));
  if (has_excluded_suffix(match_filename)) return false;
  if (name == "firefox" || name == "thunderbird" || name == "fennec") {
    return is_build_file_name(match_filename, name, with_zip);
  }
  // A product outside v1's list goes into the pattern as v1 puts it, unescaped.
  const auto pattern = compile(build_name_pattern(name, with_zip));
  return python_match(*pattern, match_filename);
}

Result<PathRecord> PathRules::record_from_url(std::string url_text) const {
  const UrlFacts facts = scan_url(url_text);
  return record_from_url(std::move(url_text), facts);
}

Result<PathRecord> PathRules::record_from_url(std::string url_text, const UrlFacts& facts) const {
  PathRecord record;
  record.url = std::move(url_text);
  const std::string_view url = record.url;  // the pieces below are views into the record's URL
  // v1 split the lower-cased URL with spaces made dashes; splitting the URL as it is and
  // normalising only the pieces used gives the same pieces without copying the whole URL
  // (a '-' split also splits at spaces, which normalising turns into dashes).
  const Pieces parts = split_pieces(url, '/', false);
  const Pieces name_parts = split_pieces(basename(url), '.', false);
  auto missing = [&](std::string_view what) {
    return fail(invalid_argument(fmt::format("the archive path {} has no {}", url.substr(0, 500), what)));
  };
  if (parts.size() < 5) return missing("product folder (its fifth segment)");
  record.product = lower_dashed(parts[4]);
  if (record.product == "mobile") record.product = "fennec";
  std::string version, platform, locale;
  // The version, locale and platform of a flat file name: "firefox-55.0a1.en-US.linux-x86_64.tar.bz2".
  auto from_file_name = [&]() -> bool {
    if (name_parts.size() < 4) return false;
    const Pieces dashed = split_pieces(name_parts[0], '-', true);
    if (dashed.size() < 2) return false;
    version = lower_dashed(dashed[1]).append(".").append(lower_dashed(name_parts[1]));
    locale = lower_dashed(name_parts[2]);
    platform = lower_dashed(name_parts[3]);
    return true;
  };
  if (facts.has(UrlWord::kNightly)) {
    if (!from_file_name()) return missing("version, locale and platform in its file name");
    if (parts.size() < 9) return missing("ninth segment (the nightly's folder)");
    const std::string folder = lower_dashed(parts[8]);
    if (contains(folder, "android-api")) platform = join(split_pieces(folder, '-', true), 8, 11, "-");
  } else if (facts.has(UrlWord::kCandidates)) {
    if (parts.size() < 10) return missing("platform and locale folders after the candidates build");
    version.assign(strip_chars(lower_dashed(parts[6]), "-candidates")).append("rc").append(strip_chars(lower_dashed(parts[7]), "build"));
    platform = lower_dashed(parts[8]);
    locale = lower_dashed(parts[9]);
    if (contains(platform, "funnelcake")) {
      if (parts.size() < 11) return missing("locale folder after the funnelcake platform");
      version.append("-").append(platform);
      platform = lower_dashed(parts[9]);
      locale = lower_dashed(parts[10]);
    }
  } else if (parts.size() < 9) {
    if (!from_file_name()) return missing("version, locale and platform in its file name");
  } else if (facts.has(UrlWord::kFunnelcake) && parts.size() == 11) {
    version = lower_dashed(parts[6]);
    locale = lower_dashed(parts[9]);
    platform = lower_dashed(parts[8]);
  } else {
    version = lower_dashed(parts[6]);
    locale = lower_dashed(parts[8]);
    platform = lower_dashed(parts[7]);
  }
  if (platform.starts_with("mac")) platform = replace_all(platform, "mac", "macosx");
  record.channel = guess_channel(facts, version);
  if (const std::size_t dash = locale.find('-'); dash != std::string::npos) {
    const std::size_t end = locale.find('-', dash + 1);
    for (std::size_t i = dash + 1; i < (end == std::string::npos ? locale.size() : end); ++i) {
      if (locale[i] >= 'a' && locale[i] <= 'z') locale[i] = static_cast<char>(locale[i] - 'a' + 'A');
    }
  }
  auto os = normalized_platform(platform);
  if (!os) return fail(invalid_argument(fmt::format("{} (from {})", os.error().message(), url.substr(0, 500))));
  record.os = std::move(*os);
  record.version = std::move(version);
  record.platform = std::move(platform);
  record.locale = std::move(locale);
  record.mimetype = guess_mimetype(url);
  auto id = build_record_id(record);
  if (!id) return fail(id.error());
  record.id = std::move(*id);
  return record;
}

nlohmann::json PathRecord::to_json() const {
  return {{"id", id},
          {"source", {{"product", product}}},
          {"target", {{"platform", platform}, {"os", os}, {"locale", locale}, {"version", version}, {"channel", channel}}},
          {"download", {{"url", url}, {"mimetype", mimetype ? nlohmann::json(*mimetype) : nlohmann::json(nullptr)}}}};
}

std::string key_to_archive_url(std::string_view key, std::string_view archive_url) {
  std::string url;
  url.reserve(archive_url.size() + key.size());
  url.append(archive_url).append(key);
  for (std::size_t i = archive_url.size(); i < url.size(); ++i) {
    if (url[i] == '+') url[i] = ' ';
  }
  return url;
}

std::string archive_url(const ArchiveUrlRequest& request) {
  const std::string product = request.product == "fennec" ? std::string("mobile") : request.product;
  std::optional<std::string> platform = request.platform;
  if (platform) {
    platform = replace_all(*platform, "eme", "EME");
    if (platform->starts_with("macosx")) platform = replace_all(*platform, "macosx", "mac");
  }
  std::string url = request.archive_url + "pub/" + product;
  const bool truthy_nightly = request.nightly && !request.nightly->empty();
  const bool truthy_candidate = request.candidate && !request.candidate->empty();
  auto add_folder = [&](const std::optional<std::string>& part) {
    if (part && !part->empty()) url += *part + "/";
  };
  if (truthy_nightly) {
    url += "/nightly/" + *request.nightly + "/";
  } else if (truthy_candidate) {
    url += "/candidates";
    if (request.version && !request.version->empty()) url += "/" + *request.version + "-candidates";
    url += *request.candidate;
    add_folder(platform);
    add_folder(request.locale);
  } else {
    url += "/releases/";
    add_folder(request.version);
    add_folder(platform);
    add_folder(request.locale);
  }
  return url;
}

std::string localize_nightly_url(std::string_view nightly_url) {
  std::string url = replace_all(replace_all(nightly_url, "-l10n", ""), ".installer", "");
  std::string_view locale = "en-US";
  // The locale is the third '.'-piece from the end (the fourth when the name ends in .tar.*).
  const std::size_t back = contains(url, "tar") ? 4 : 3;
  if (contains(url, "/mobile/") && !contains(url, "/en-US/") && !contains(url, "macosx")) locale = "multi";
  std::size_t end = url.size();  // the piece runs up to the (back-1)th dot from the end
  for (std::size_t i = 1; i < back; ++i) {
    end = end == 0 ? std::string::npos : url.rfind('.', end - 1);
    // v1 raised IndexError for a name with too few dots; such a URL has no localized sibling.
    if (end == std::string::npos) return url;
  }
  const std::size_t dot = end == 0 ? std::string::npos : url.rfind('.', end - 1);
  const std::size_t begin = dot == std::string::npos ? 0 : dot + 1;
  return url.replace(begin, end - begin, locale);
}

std::string localize_release_candidate_url(std::string_view rc_url) {
  // The locale is the URL's second '/'-piece from the end.
  const std::size_t last = rc_url.rfind('/');
  if (last == std::string_view::npos) return std::string(rc_url);  // v1 raised IndexError: no locale folder to swap
  const std::size_t before = last == 0 ? std::string_view::npos : rc_url.rfind('/', last - 1);
  const std::size_t begin = before == std::string_view::npos ? 0 : before + 1;
  const std::string lang(rc_url.substr(begin, last - begin));
  std::string out = replace_all(rc_url, "." + lang + ".", ".en-US.");
  out = replace_all(out, "/" + lang + "/", "/en-US/");
  return replace_all(out, "-EME-free", "");
}

std::string guess_channel(std::string_view url, std::string_view version) { return guess_channel(scan_url(url), version); }

std::string guess_channel(const UrlFacts& facts, std::string_view version) {
  std::string channel = "release";
  if (facts.has(UrlWord::kNightly)) {
    channel = facts.has(UrlWord::kAurora) ? "aurora" : "nightly";
  } else if (contains(version, "b")) {
    channel = facts.has(UrlWord::kDevedition) ? "aurora" : "beta";
  } else if (version.ends_with("esr")) {
    channel = "esr";
  }
  if (facts.has(UrlWord::kOldId)) channel += "-old-id";  // Fennec's other app-store ids
  return channel;
}

Result<std::string> normalized_platform(std::string_view platform) {
  if (contains(platform, "eabi")) return std::string("android");
  for (std::string_view os : {"linux", "win", "mac", "android", "maemo"}) {
    if (contains(platform, os)) return std::string(os);
  }
  return fail(invalid_argument(fmt::format("unknown platform '{}'", platform.substr(0, 200))));
}

std::optional<std::string> guess_mimetype(std::string_view url) {
  // os.path.splitext: the last dot of the file name, unless the name is only leading dots.
  const std::size_t slash = url.rfind('/');
  const std::size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
  const std::size_t dot = url.rfind('.');
  if (dot == std::string_view::npos || dot < name_start) return std::nullopt;
  if (url.substr(name_start, dot - name_start).find_first_not_of('.') == std::string_view::npos) return std::nullopt;
  const std::string_view ext = strip_chars(url.substr(dot), ".");
  if (ext == "apk") return "application/vnd.android.package-archive";
  if (ext == "bz2") return "application/x-bzip2";
  if (ext == "zip") return "application/zip";
  if (ext == "dmg") return "application/x-apple-diskimage";
  if (ext == "gz") return "application/x-gzip";
  if (ext == "exe") return "application/msdos-windows";
  return std::nullopt;
}

Result<std::string> build_record_id(const PathRecord& record) {
  std::string version = record.version;
  if (contains(record.channel, "nightly")) {
    const Pieces parts = split_pieces(record.url, '/', false);
    if (parts.size() < 9) {
      return fail(invalid_argument(fmt::format("the nightly URL {} has no date folder", record.url.substr(0, 500))));
    }
    version = join(split_pieces(parts[8], '-', false), 0, 6, "-").append("_").append(version);
  }
  std::string id;
  id.reserve(record.product.size() + record.channel.size() + version.size() + record.platform.size() + record.locale.size() + 5);
  id.append(record.product).append("_");
  if (record.channel != "release") id.append(record.channel).append("_");
  id.append(version).append("_").append(record.platform).append("_").append(record.locale);
  for (char& c : id) {
    if (c == '.') c = '-';
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return id;
}

std::string_view strip_chars(std::string_view text, std::string_view chars) {
  const std::size_t first = text.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(chars) - first + 1);
}

}  // namespace bh::v1
