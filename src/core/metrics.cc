#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bh {
namespace {

void atomic_add(std::atomic<double>& target, double v) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + v, std::memory_order_relaxed)) {
  }
}

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer the short form when it round-trips.
  char shorter[64];
  std::snprintf(shorter, sizeof shorter, "%g", v);
  return std::strtod(shorter, nullptr) == v ? shorter : buf;
}

std::string escape_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string render_labels(const MetricLabels& labels, const std::pair<std::string, std::string>* extra = nullptr) {
  if (labels.empty() && extra == nullptr) return {};
  std::string out = "{";
  bool first = true;
  auto add = [&](const std::pair<std::string, std::string>& kv) {
    if (!first) out += ',';
    first = false;
    out += kv.first;
    out += "=\"";
    out += escape_label_value(kv.second);
    out += '"';
  };
  for (const auto& kv : labels) add(kv);
  if (extra != nullptr) add(*extra);
  out += '}';
  return out;
}

}  // namespace

void Gauge::add(double v) { atomic_add(value_, v); }

Timer::Timer(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Timer::observe_seconds(double seconds) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, seconds);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Timer::Snapshot Timer::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  s.count = running;
  return s;
}

std::vector<double> MetricsRegistry::default_time_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help, Kind kind,
                                                 bool& kind_matches) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.kind = kind;
    it->second.help = help;
  }
  kind_matches = it->second.kind == kind;
  return it->second;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, const MetricLabels& labels) {
  MutexLock lock(mutex_);
  bool ok = false;
  Family& f = family(name, help, Kind::kCounter, ok);
  if (!ok) return *detached_counters_.emplace_back(std::make_unique<Counter>());
  auto& slot = f.counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, const MetricLabels& labels) {
  MutexLock lock(mutex_);
  bool ok = false;
  Family& f = family(name, help, Kind::kGauge, ok);
  if (!ok) return *detached_gauges_.emplace_back(std::make_unique<Gauge>());
  auto& slot = f.gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Timer& MetricsRegistry::timer(const std::string& name, const std::string& help, const MetricLabels& labels,
                              std::vector<double> bounds) {
  MutexLock lock(mutex_);
  bool ok = false;
  Family& f = family(name, help, Kind::kTimer, ok);
  if (!ok) return *detached_timers_.emplace_back(std::make_unique<Timer>(std::move(bounds)));
  auto& slot = f.timers[labels];
  if (!slot) slot = std::make_unique<Timer>(std::move(bounds));
  return *slot;
}

std::string MetricsRegistry::render_prometheus() const {
  MutexLock lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n";
    switch (f.kind) {
      case Kind::kCounter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [labels, c] : f.counters) {
          out += name + render_labels(labels) + " " + std::to_string(c->value()) + "\n";
        }
        break;
      case Kind::kGauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [labels, g] : f.gauges) {
          out += name + render_labels(labels) + " " + format_number(g->value()) + "\n";
        }
        break;
      case Kind::kTimer:
        out += "# TYPE " + name + " histogram\n";
        for (const auto& [labels, t] : f.timers) {
          const Timer::Snapshot s = t->snapshot();
          for (std::size_t i = 0; i <= s.bounds.size(); ++i) {
            const std::pair<std::string, std::string> le{
                "le", i < s.bounds.size() ? format_number(s.bounds[i]) : std::string("+Inf")};
            out += name + "_bucket" + render_labels(labels, &le) + " " + std::to_string(s.cumulative[i]) + "\n";
          }
          out += name + "_sum" + render_labels(labels) + " " + format_number(s.sum) + "\n";
          out += name + "_count" + render_labels(labels) + " " + std::to_string(s.count) + "\n";
        }
        break;
    }
  }
  return out;
}

}  // namespace bh
