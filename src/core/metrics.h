// A metrics registry exposed in Prometheus text format (version 0.0.4).
//
// Counters, gauges and timers (histograms of seconds) are registered by name plus an optional
// fixed label set, and live as long as the registry. Registration returns a stable reference:
// hot paths register once and then update lock-free (atomics).
//
// Names follow Prometheus conventions and are prefixed by the caller ("buildhub_"):
// counters end in `_total`, timers in `_seconds`.
//
// Thread safety: every member function is safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/sync.h"

namespace bh {

// Ordered label pairs, e.g. {{"method", "GET"}, {"status", "200"}}.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A histogram of durations in seconds with fixed bucket bounds.
class Timer {
 public:
  explicit Timer(std::vector<double> bounds);
  void observe_seconds(double seconds);
  void observe(std::chrono::steady_clock::duration d) {
    observe_seconds(std::chrono::duration<double>(d).count());
  }

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

class MetricsRegistry {
 public:
  // Default bucket bounds for request-sized durations: 100 µs .. 30 s.
  static std::vector<double> default_time_buckets();

  // Returns the metric of that name and labels, creating it on first use. `help` is kept from
  // the first registration of the name. Registering one name as two kinds is a programming
  // error; the second kind then gets a detached metric that is never exported.
  Counter& counter(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Timer& timer(const std::string& name, const std::string& help, const MetricLabels& labels = {},
               std::vector<double> bounds = default_time_buckets());

  // The whole registry in Prometheus text exposition format, families sorted by name.
  std::string render_prometheus() const;

 private:
  enum class Kind { kCounter, kGauge, kTimer };
  struct Family {
    Kind kind;
    std::string help;
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;
    std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
    std::map<MetricLabels, std::unique_ptr<Timer>> timers;
  };
  Family& family(const std::string& name, const std::string& help, Kind kind, bool& kind_matches) REQUIRES(mutex_);

  mutable Mutex mutex_;
  std::map<std::string, Family> families_ GUARDED_BY(mutex_);
  // Metrics handed out after a kind clash: kept alive, never rendered.
  std::vector<std::unique_ptr<Counter>> detached_counters_ GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<Gauge>> detached_gauges_ GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<Timer>> detached_timers_ GUARDED_BY(mutex_);
};

}  // namespace bh
