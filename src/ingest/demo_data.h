// Realistic synthetic buildhub.json records, deterministic by seed: the same seed gives the
// same documents, byte for byte, on every machine (own PRNG, no std:: distributions).
//
// Shaped like the archive: documents come in builds. A build (one build id, revision, version
// and tree) has a record for each platform its product shipped on that day and each locale it
// was repacked in: en-US always, most locales for betas and releases, some nightlies with their
// l10n repacks, fennec with "multi". Versions follow the release trains of the build date's
// six-week cycle (nightly N+2.0a1, beta N+1.0bK, release N.0 and dot releases, the current ESR);
// products firefox, devedition, thunderbird and fennec; 15 platforms, 90 locales plus "multi";
// archive.mozilla.org-shaped URLs, sizes, repositories and 40-hex revisions. A few builds are
// open at once and their records interleave, so even a short stream mixes products.
//
// Every document passes the built-in schema. Thread safety: one generator per thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bh {

class DemoDataGenerator {
 public:
  explicit DemoDataGenerator(std::uint64_t seed);

  // The next document as compact one-line JSON (no trailing newline).
  std::string next_document();

 private:
  std::uint64_t next_u64();
  std::uint64_t below(std::uint64_t n);  // uniform in [0, n)
  double unit();                         // uniform in [0, 1)

  struct Build {
    std::string product, channel, version, tree, revision;
    std::int64_t built_seconds = 0;
    int build_number = 1;
    std::vector<std::pair<std::uint8_t, std::uint8_t>> combos;  // (platform, locale) still to emit
    std::size_t next = 0;
  };
  static constexpr std::size_t kOpenBuilds = 6;
  Build new_build();

  std::uint64_t state_;
  std::uint64_t counter_ = 0;
  std::vector<Build> open_;
};

}  // namespace bh

#include "ingest/sources.h"

namespace bh {

// `count` generated documents as an ingest source (origins "demo:1", "demo:2", ...).
class DemoDataSource final : public DocumentSource {
 public:
  DemoDataSource(std::uint64_t seed, std::uint64_t count) : generator_(seed), count_(count) {}
  std::optional<IngestItem> next() override {
    if (produced_ >= count_) return std::nullopt;
    IngestItem item;
    item.origin = "demo:" + std::to_string(++produced_);
    item.bytes = generator_.next_document();
    return item;
  }

 private:
  DemoDataGenerator generator_;
  std::uint64_t count_;
  std::uint64_t produced_ = 0;
};

}  // namespace bh
