#include "ingest/demo_data.h"

#include "core/calendar.h"

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

constexpr std::array<std::string_view, 90> kLocales{
    "ach", "af", "an", "ar", "ast", "az", "be", "bg", "bn", "br", "bs", "ca", "cak", "cs", "cy", "da", "de", "dsb",
    "el", "en-CA", "en-GB", "en-US", "eo", "es-AR", "es-CL", "es-ES", "es-MX", "et", "eu", "fa", "ff", "fi", "fr",
    "fy-NL", "ga-IE", "gd", "gl", "gn", "gu-IN", "he", "hi-IN", "hr", "hsb", "hu", "hy-AM", "ia", "id", "is", "it",
    "ja", "ka", "kab", "kk", "km", "kn", "ko", "lij", "lt", "lv", "mk", "mr", "ms", "my", "nb-NO", "ne-NP", "nl",
    "nn-NO", "oc", "pa-IN", "pl", "pt-BR", "pt-PT", "rm", "ro", "ru", "si", "sk", "sl", "son", "sq", "sr", "sv-SE",
    "ta", "te", "th", "tl", "tr", "uk", "ur", "uz"};

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

// Firefox 51 shipped on 2017-01-24; a release every six weeks (close enough for demo data).
constexpr std::int64_t kFirstDay = 17190;  // 2017-01-24
int release_major_on(std::int64_t day) { return 51 + static_cast<int>((day - kFirstDay) / 42); }

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

std::string DemoDataGenerator::next_document() {
  ++counter_;
  // Product and channel.
  const double p = unit();
  std::string product = p < 0.6 ? "firefox" : p < 0.7 ? "devedition" : p < 0.85 ? "thunderbird" : "fennec";
  std::string channel;
  const double c = unit();
  if (product == "devedition") channel = "aurora";
  else if (product == "fennec") channel = c < 0.5 ? "nightly" : c < 0.8 ? "beta" : "release";
  else channel = c < 0.45 ? "nightly" : c < 0.65 ? "beta" : c < 0.88 ? "release" : c < 0.96 ? "esr" : "aurora";

  // Date: 2017-01-24 .. 2024-12-31 (fennec ended with 68 in 2019).
  const std::int64_t last_day = product == "fennec" ? days_from_civil(2019, 12, 31) : days_from_civil(2024, 12, 31);
  const std::int64_t day = kFirstDay + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(last_day - kFirstDay + 1)));
  const int major = release_major_on(day);
  // Nightlies are built twice a day at fixed-ish times; others any time.
  std::int64_t seconds = day * 86400;
  if (channel == "nightly") seconds += (below(2) == 0 ? 3 * 3600 : 15 * 3600) + static_cast<std::int64_t>(below(3600));
  else seconds += static_cast<std::int64_t>(below(86400));
  const Moment built = moment_from_seconds(seconds);
  const Moment published = moment_from_seconds(seconds + 1800 + static_cast<std::int64_t>(below(6 * 3600)));

  std::string version;
  int build_number = 1 + static_cast<int>(below(3));
  if (channel == "nightly") {
    version = fmt::format("{}.0a1", major + 2);
  } else if (channel == "aurora") {
    version = product == "devedition" ? fmt::format("{}.0b{}", major + 1, 1 + below(14))
                                      : fmt::format("{}.0a2", major + 1);
  } else if (channel == "beta") {
    version = fmt::format("{}.0b{}", major + 1, 1 + below(14));
  } else if (channel == "release") {
    const auto dot = below(4);
    version = dot == 0 || dot == 1 ? fmt::format("{}.0", major) : fmt::format("{}.0.{}", major, dot - 1);
    if (product == "fennec") version = fmt::format("{}.{}", std::min(major, 68), below(3));
  } else {  // esr
    int esr = kEsrMajors[0];
    for (int m : kEsrMajors) {
      if (m <= major) esr = m;
    }
    version = fmt::format("{}.{}.{}esr", esr, below(12), below(3));
  }

  // Platform and locale.
  const Platform* platform = nullptr;
  if (product == "fennec") platform = &kPlatforms[10 + below(5)];
  else platform = &kPlatforms[below(10)];
  std::string locale = "en-US";
  if (unit() >= (channel == "nightly" ? 0.85 : 0.3)) locale = std::string(kLocales[below(kLocales.size())]);

  // Repository and tree.
  std::string tree;
  const bool comm = product == "thunderbird";
  if (channel == "nightly") tree = comm ? "comm-central" : "mozilla-central";
  else if (channel == "aurora") tree = product == "devedition" ? "releases/mozilla-beta" : "releases/mozilla-aurora";
  else if (channel == "beta") tree = comm ? "releases/comm-beta" : "releases/mozilla-beta";
  else if (channel == "release") tree = comm ? "releases/comm-release" : "releases/mozilla-release";
  else tree = fmt::format("releases/{}-esr{}", comm ? "comm" : "mozilla", version.substr(0, version.find('.')));
  std::string revision;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) revision += kHex[below(16)];

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
