#include "ingest/demo_data.h"

#include "core/calendar.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace bh {
namespace {

struct Platform {
  std::string_view name;
  std::string_view os;
  std::string_view triple;  // compiler target
  bool mobile;
};

constexpr std::array<Platform, 15> kPlatforms{{
    {"linux-i686", "linux", "i686-pc-linux-gnu", false},
    {"linux-x86_64", "linux", "x86_64-pc-linux-gnu", false},
    {"linux-aarch64", "linux", "aarch64-unknown-linux-gnu", false},
    {"mac", "mac", "x86_64-apple-darwin", false},
    {"macosx64", "mac", "x86_64-apple-darwin", false},
    {"win32", "win", "i686-pc-mingw32", false},
    {"win64", "win", "x86_64-pc-mingw32", false},
    {"win64-aarch64", "win", "aarch64-windows-mingw32", false},
    {"mac-EME-free", "mac", "x86_64-apple-darwin", false},
    {"win64-EME-free", "win", "x86_64-pc-mingw32", false},
    {"android-arm", "android", "arm-unknown-linux-androideabi", true},
    {"android-api-16", "android", "arm-unknown-linux-androideabi", true},
    {"android-aarch64", "android", "aarch64-unknown-linux-android", true},
    {"android-x86", "android", "i686-unknown-linux-android", true},
    {"android-x86_64", "android", "x86_64-unknown-linux-android", true},
}};

constexpr std::array<std::string_view, 91> kLocales{
    "ach", "af", "an", "ar", "ast", "az", "be", "bg", "bn", "br", "bs", "ca", "cak", "cs", "cy", "da", "de", "dsb",
    "el", "en-CA", "en-GB", "en-US", "eo", "es-AR", "es-CL", "es-ES", "es-MX", "et", "eu", "fa", "ff", "fi", "fr",
    "fy-NL", "ga-IE", "gd", "gl", "gn", "gu-IN", "he", "hi-IN", "hr", "hsb", "hu", "hy-AM", "ia", "id", "is", "it",
    "ja", "ka", "kab", "kk", "km", "kn", "ko", "lij", "lt", "lv", "mk", "mr", "ms", "my", "nb-NO", "ne-NP", "nl",
    "nn-NO", "oc", "pa-IN", "pl", "pt-BR", "pt-PT", "rm", "ro", "ru", "si", "sk", "sl", "son", "sq", "sr", "sv-SE",
    "ta", "te", "th", "tl", "tr", "uk", "ur", "uz", "multi"};
constexpr std::size_t kEnUs = 21;
constexpr std::size_t kMulti = 90;  // fennec's multi-locale APK
static_assert(kLocales[kEnUs] == "en-US" && kLocales[kMulti] == "multi");

constexpr std::array<int, 8> kEsrMajors{45, 52, 60, 68, 78, 91, 102, 115};

struct Moment {
  int year, month, day, hour, minute, second;
};

Moment moment_from_seconds(std::int64_t s) {
  Moment m{};
  civil_from_days(s / 86400, m.year, m.month, m.day);
  const std::int64_t rem = s % 86400;
  m.hour = static_cast<int>(rem / 3600);
  m.minute = static_cast<int>(rem % 3600 / 60);
  m.second = static_cast<int>(rem % 60);
  return m;
}

std::string build_id(const Moment& m) {
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", m.year, m.month, m.day, m.hour, m.minute, m.second);
}

std::string iso(const Moment& m) {
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", m.year, m.month, m.day, m.hour, m.minute, m.second);
}

// Days some Firefox majors shipped. Between two of them the cycles are taken as equally long
// (about six weeks until 2019, four since), which keeps every demo version within a cycle of
// what really shipped that day.
struct ReleaseAnchor {
  int major;
  int year, month, day;
};
constexpr std::array<ReleaseAnchor, 7> kReleaseAnchors{{
    {51, 2017, 1, 24}, {57, 2017, 11, 14}, {65, 2019, 1, 29}, {71, 2019, 12, 3},
    {100, 2022, 5, 3}, {122, 2024, 1, 23}, {134, 2025, 1, 7},
}};
constexpr std::int64_t kFirstDay = 17190;  // 2017-01-24, the first anchor

struct TrainDay {
  int major;         // on the release channel that day
  int cycle_day;     // days since it shipped
  int cycle_length;  // days until the next major
};

TrainDay train_on(std::int64_t day) {
  for (std::size_t i = 0; i + 1 < kReleaseAnchors.size(); ++i) {
    const ReleaseAnchor& a = kReleaseAnchors[i];
    const ReleaseAnchor& b = kReleaseAnchors[i + 1];
    const std::int64_t from = days_from_civil(a.year, a.month, a.day);
    const std::int64_t to = days_from_civil(b.year, b.month, b.day);
    if (day >= to && i + 2 < kReleaseAnchors.size()) continue;
    const std::int64_t span = to - from;
    const int majors = b.major - a.major;
    // Cycle k starts on from + floor(k * span / majors).
    const int k = static_cast<int>((day - from) * majors / span);
    const std::int64_t start = from + static_cast<std::int64_t>(k) * span / majors;
    const std::int64_t next = from + static_cast<std::int64_t>(k + 1) * span / majors;
    return TrainDay{a.major + k, static_cast<int>(day - start), static_cast<int>(next - start)};
  }
  return TrainDay{kReleaseAnchors.back().major, 0, 28};  // not reached: the last span is open-ended
}

}  // namespace

DemoDataGenerator::DemoDataGenerator(std::uint64_t seed) : state_(seed ^ 0x9E3779B97F4A7C15ull) {}

std::uint64_t DemoDataGenerator::next_u64() {
  // splitmix64: tiny, fast, and identical everywhere.
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t DemoDataGenerator::below(std::uint64_t n) {
  __extension__ using U128 = unsigned __int128;  // Lemire's multiply-shift: no modulo bias to speak of
  return static_cast<std::uint64_t>((static_cast<U128>(next_u64()) * n) >> 64);
}

double DemoDataGenerator::unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

DemoDataGenerator::Build DemoDataGenerator::new_build() {
  Build b;
  const double p = unit();
  b.product = p < 0.6 ? "firefox" : p < 0.7 ? "devedition" : p < 0.85 ? "thunderbird" : "fennec";
  const double c = unit();
  if (b.product == "devedition") b.channel = "aurora";
  else if (b.product == "fennec") b.channel = c < 0.5 ? "nightly" : c < 0.8 ? "beta" : "release";
  else b.channel = c < 0.45 ? "nightly" : c < 0.65 ? "beta" : c < 0.88 ? "release" : c < 0.96 ? "esr" : "aurora";

  // The day decides the train: on any day one major is on release, the next on beta and the
  // one after on nightly, as the release calendar runs them (fennec ended with 68 in 2019).
  const std::int64_t last_day = b.product == "fennec" ? days_from_civil(2019, 12, 31) : days_from_civil(2024, 12, 31);
  const std::int64_t day = kFirstDay + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(last_day - kFirstDay + 1)));
  const TrainDay train = train_on(day);
  const int major = train.major;
  const int cycle_day = train.cycle_day;
  std::int64_t seconds = day * 86400;
  if (b.channel == "nightly") seconds += (below(2) == 0 ? 3 * 3600 : 15 * 3600) + static_cast<std::int64_t>(below(3600));
  else seconds += static_cast<std::int64_t>(below(86400));
  b.built_seconds = seconds;
  b.build_number = 1 + static_cast<int>(below(3));

  const int beta_number = 1 + cycle_day * 14 / train.cycle_length;  // b1 at the start of the cycle, b14 at its end
  if (b.channel == "nightly") {
    b.version = fmt::format("{}.0a1", major + 2);
  } else if (b.channel == "aurora") {
    b.version = b.product == "devedition" ? fmt::format("{}.0b{}", major + 1, beta_number) : fmt::format("{}.0a2", major + 1);
  } else if (b.channel == "beta") {
    b.version = fmt::format("{}.0b{}", b.product == "fennec" ? std::min(major + 1, 68) : major + 1, beta_number);
  } else if (b.channel == "release") {
    const int dot = cycle_day * 3 / train.cycle_length;  // dot releases follow in the cycle
    const int shipped = b.product == "fennec" ? std::min(major, 68) : major;
    b.version = dot == 0 ? fmt::format("{}.0", shipped) : fmt::format("{}.0.{}", shipped, dot);
  } else {  // esr: the latest ESR major, its minor counting the release cycles since it started
    int esr = kEsrMajors[0];
    for (int m : kEsrMajors) {
      if (m <= major) esr = m;
    }
    const int minor = major - esr;
    b.version = minor == 0 ? (cycle_day * 2 < train.cycle_length ? fmt::format("{}.0esr", esr) : fmt::format("{}.0.1esr", esr))
                           : fmt::format("{}.{}.0esr", esr, minor);
  }

  const bool comm = b.product == "thunderbird";
  if (b.channel == "nightly") b.tree = comm ? "comm-central" : "mozilla-central";
  else if (b.channel == "aurora") b.tree = b.product == "devedition" ? "releases/mozilla-beta" : "releases/mozilla-aurora";
  else if (b.channel == "beta") b.tree = comm ? "releases/comm-beta" : "releases/mozilla-beta";
  else if (b.channel == "release") b.tree = comm ? "releases/comm-release" : "releases/mozilla-release";
  else b.tree = fmt::format("releases/{}-esr{}", comm ? "comm" : "mozilla", b.version.substr(0, b.version.find('.')));
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) b.revision += kHex[below(16)];

  // Platforms: what that product shipped on that day.
  std::vector<std::uint8_t> platforms;
  auto add = [&](std::string_view name) {
    for (std::size_t i = 0; i < kPlatforms.size(); ++i) {
      if (kPlatforms[i].name == name) platforms.push_back(static_cast<std::uint8_t>(i));
    }
  };
  if (b.product == "fennec") {
    add(day < days_from_civil(2017, 9, 1) ? "android-arm" : "android-api-16");
    add("android-x86");
    if (day >= days_from_civil(2018, 6, 1)) {
      add("android-aarch64");
      add("android-x86_64");
    }
  } else {
    add("linux-i686");
    add("linux-x86_64");
    add(b.channel == "nightly" && day < days_from_civil(2018, 1, 1) ? "macosx64" : "mac");
    add("win32");
    add("win64");
    if (b.product == "firefox" && day >= days_from_civil(2019, 12, 1)) add("win64-aarch64");
    if (b.product == "firefox" && b.channel == "nightly" && day >= days_from_civil(2024, 1, 1)) add("linux-aarch64");
    if (b.product == "firefox" && b.channel == "release") {
      add("mac-EME-free");
      add("win64-EME-free");
    }
  }

  // Locales: en-US first, then the repacks that share the build id. Nightly repacks are
  // published for some builds only; releases and betas come in most locales.
  std::vector<std::uint8_t> locales{static_cast<std::uint8_t>(kEnUs)};
  std::size_t repacks = 0;
  if (b.product == "fennec") {
    locales.push_back(static_cast<std::uint8_t>(kMulti));
    if (b.channel != "nightly") repacks = below(30);
  } else if (b.channel == "nightly") {
    repacks = unit() < 0.3 ? 20 + below(70) : 0;
  } else {
    repacks = 10 + below(80);
  }
  std::vector<std::uint8_t> pool;
  for (std::size_t i = 0; i < kLocales.size(); ++i) {
    if (i != kEnUs && i != kMulti) pool.push_back(static_cast<std::uint8_t>(i));
  }
  repacks = std::min(repacks, pool.size());
  for (std::size_t i = 0; i < repacks; ++i) {  // partial Fisher-Yates
    std::swap(pool[i], pool[i + below(pool.size() - i)]);
  }
  std::sort(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(repacks));
  locales.insert(locales.end(), pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(repacks));

  for (std::uint8_t locale : locales) {
    for (std::uint8_t platform : platforms) b.combos.emplace_back(platform, locale);
  }
  return b;
}

std::string DemoDataGenerator::next_document() {
  ++counter_;
  // A few builds are open at once and each document comes from one of them, so any stretch of
  // the stream mixes products and channels while every build id still gathers its platforms
  // and locales.
  if (open_.empty()) {
    for (std::size_t i = 0; i < kOpenBuilds; ++i) open_.push_back(new_build());
  }
  const std::size_t slot = below(open_.size());
  if (open_[slot].next == open_[slot].combos.size()) open_[slot] = new_build();
  Build& b = open_[slot];
  const auto [platform_index, locale_index] = b.combos[b.next++];
  const Platform* platform = &kPlatforms[platform_index];
  const std::string locale(kLocales[locale_index]);
  const std::string& product = b.product;
  const std::string& channel = b.channel;
  const std::string& version = b.version;
  const std::string& tree = b.tree;
  const std::string& revision = b.revision;
  const int build_number = b.build_number;
  const bool comm = product == "thunderbird";
  const Moment built = moment_from_seconds(b.built_seconds);
  const std::int64_t repack_delay = locale == "en-US" ? 0 : 3600 + static_cast<std::int64_t>(below(6 * 3600));
  const Moment published = moment_from_seconds(b.built_seconds + 1800 + repack_delay + static_cast<std::int64_t>(below(6 * 3600)));

  // Download: archive layout, extension and MIME type by OS.
  std::string ext;
  std::string mimetype;
  std::string_view os = platform->os;
  if (os == "linux") { ext = "tar.bz2"; mimetype = "application/x-bzip2"; }
  else if (os == "mac") { ext = "dmg"; mimetype = "application/x-apple-diskimage"; }
  else if (os == "win") { ext = "exe"; mimetype = unit() < 0.5 ? "application/msdos-windows" : "application/octet-stream"; }
  else { ext = "apk"; mimetype = "application/vnd.android.package-archive"; }
  const std::string archive_product = product == "fennec" ? "mobile" : product;
  const std::string file_product = product == "devedition" ? "firefox" : product;
  std::string url;
  if (channel == "nightly") {
    url = fmt::format("https://archive.mozilla.org/pub/{}/nightly/{:04}/{:02}/{:04}-{:02}-{:02}-{:02}-{:02}-{:02}-{}{}/{}-{}.{}.{}.{}",
                      archive_product, built.year, built.month, built.year, built.month, built.day, built.hour,
                      built.minute, built.second, comm ? "comm-central" : "mozilla-central",
                      locale == "en-US" ? "" : "-l10n", file_product, version, locale, platform->name, ext);
  } else {
    std::string file;
    if (os == "win") file = fmt::format("{}%20Setup%20{}.exe", product == "thunderbird" ? "Thunderbird" : "Firefox", version);
    else if (os == "mac") file = fmt::format("{}%20{}.dmg", product == "thunderbird" ? "Thunderbird" : "Firefox", version);
    else file = fmt::format("{}-{}.{}", file_product, version, ext);
    url = fmt::format("https://archive.mozilla.org/pub/{}/candidates/{}-candidates/build{}/{}/{}/{}", archive_product,
                      version, build_number, platform->name, locale, file);
  }
  const std::uint64_t base_size = os == "android" ? 42'000'000 : os == "linux" ? 60'000'000 : os == "mac" ? 85'000'000 : 50'000'000;
  const std::uint64_t size = base_size + below(20'000'000);

  // The compiler block differs by OS, as real records do.
  nlohmann::ordered_json build;
  if (os == "win") {
    build["as"] = "z:/task_1571244707/build/src/vs2017_15.8.4/VC/bin/HostX64/x64/ml64.exe";
    build["cc"] = "z:/task_1571244707/fetches/clang/bin/clang-cl.exe -Xclang -std=gnu99";
    build["cxx"] = "z:/task_1571244707/fetches/clang/bin/clang-cl.exe";
    build["host"] = "x86_64-pc-mingw32";
  } else {
    build["as"] = fmt::format("/builds/worker/fetches/clang/bin/clang -std=gnu99 --target={}", platform->triple);
    build["cc"] = fmt::format("/builds/worker/fetches/clang/bin/clang -std=gnu99 --target={}", platform->triple);
    build["cxx"] = fmt::format("/builds/worker/fetches/clang/bin/clang++ --target={}", platform->triple);
    build["host"] = "x86_64-pc-linux-gnu";
  }
  build["date"] = iso(built);
  build["id"] = build_id(built);
  if (channel != "nightly") build["number"] = build_number;
  build["target"] = platform->triple;

  nlohmann::ordered_json doc;
  doc["build"] = std::move(build);
  // Half of the publication dates carry microseconds and an offset, as Taskcluster writes them.
  std::string published_at = iso(published);
  if (below(2) == 0) {
    published_at.pop_back();
    published_at += fmt::format(".{:06}+00:00", below(1'000'000));
  }
  doc["download"] = {{"date", published_at}, {"mimetype", mimetype}, {"size", size}, {"url", url}};
  doc["source"] = {{"product", product},
                   {"repository", "https://hg.mozilla.org/" + tree},
                   {"revision", revision},
                   {"tree", tree}};
  doc["target"] = {{"channel", channel},
                   {"locale", locale},
                   {"os", std::string(os)},
                   {"platform", std::string(platform->name)},
                   {"version", version}};
  return doc.dump();
}

}  // namespace bh
