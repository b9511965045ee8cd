// Realistic synthetic buildhub.json records, deterministic by seed: the same seed gives the
// same documents, byte for byte, on every machine (own PRNG, no std:: distributions).
//
// Products firefox, devedition, thunderbird and fennec; channels nightly, aurora, beta,
// release and esr; versions shaped like 55.0a1, 68.0b7, 60.0.2esr, following the six-week
// release calendar of the build date; 15 platforms and 90 locales; nightly build ids on every
// day; archive.mozilla.org-shaped URLs, sizes, repositories and 40-hex revisions.
//
// Every document passes the built-in schema. Thread safety: one generator per thread.
#pragma once

#include <cstdint>
#include <string>

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

  std::uint64_t state_;
  std::uint64_t counter_ = 0;
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
