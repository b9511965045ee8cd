// Clock: where the time comes from, passed in like any other service so tests can set it.
//
// Two readings: wall time (record timestamps, "now" in date math) and monotonic time
// (durations, deadlines, "took"). SystemClock reads the operating system; ManualClock is a test
// double whose time moves only when told, or by a fixed step on every monotonic reading (so a
// deadline can expire at an exact point of a computation).
//
// Thread safety: every Clock is safe for concurrent use. Failure: none.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace bh {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using Instant = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual WallTime wall_now() const = 0;
  virtual Instant monotonic_now() const = 0;

  // Milliseconds since the Unix epoch of wall_now().
  std::int64_t wall_millis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(wall_now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
  Instant monotonic_now() const override { return std::chrono::steady_clock::now(); }
};

// The operating system's clock. Stateless and immutable: sharing one instance is sharing nothing.
const Clock& system_clock();

class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime wall = WallTime{std::chrono::milliseconds(1'700'000'000'000)})
      : wall_ns_(wall.time_since_epoch().count()) {}

  WallTime wall_now() const override { return WallTime{WallTime::duration{wall_ns_.load()}}; }
  Instant monotonic_now() const override {
    return Instant{Instant::duration{monotonic_ns_.fetch_add(step_ns_.load()) }};
  }

  void advance(std::chrono::nanoseconds d) {
    wall_ns_.fetch_add(std::chrono::duration_cast<WallTime::duration>(d).count());
    monotonic_ns_.fetch_add(d.count());
  }
  // Every monotonic reading moves the time on by `step` (after returning the current time).
  void set_step(std::chrono::nanoseconds step) { step_ns_.store(step.count()); }

 private:
  std::atomic<WallTime::duration::rep> wall_ns_;
  mutable std::atomic<std::int64_t> monotonic_ns_{1'000'000'000};
  std::atomic<std::int64_t> step_ns_{0};
};

// A point in monotonic time after which work should stop, on a given clock. Default: never.
class Deadline {
 public:
  Deadline() = default;
  static Deadline after(const Clock& clock, std::chrono::nanoseconds budget) {
    Deadline d;
    d.clock_ = &clock;
    d.at_ = clock.monotonic_now() + budget;
    return d;
  }
  static Deadline never() { return {}; }

  bool is_set() const { return clock_ != nullptr; }
  bool expired() const { return clock_ != nullptr && clock_->monotonic_now() >= at_; }
  // Time left (zero when expired; nanoseconds::max() when never).
  std::chrono::nanoseconds remaining() const {
    if (clock_ == nullptr) return std::chrono::nanoseconds::max();
    const auto left = at_ - clock_->monotonic_now();
    return left.count() > 0 ? std::chrono::duration_cast<std::chrono::nanoseconds>(left) : std::chrono::nanoseconds{0};
  }

 private:
  const Clock* clock_ = nullptr;
  Clock::Instant at_{};
};

}  // namespace bh
