#include "core/clock.h"

#include <gtest/gtest.h>

namespace bh {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock;
  const auto wall = clock.wall_millis();
  const auto t0 = clock.monotonic_now();
  EXPECT_EQ(clock.monotonic_now(), t0);
  clock.advance(1500ms);
  EXPECT_EQ(clock.wall_millis(), wall + 1500);
  EXPECT_EQ(clock.monotonic_now() - t0, 1500ms);
}

TEST(ManualClock, StepsOnEveryMonotonicReading) {
  ManualClock clock;
  clock.set_step(10ms);
  const auto a = clock.monotonic_now();
  const auto b = clock.monotonic_now();
  EXPECT_EQ(b - a, 10ms);
}

TEST(Deadline, ExpiresOnItsClock) {
  ManualClock clock;
  const Deadline d = Deadline::after(clock, 100ms);
  EXPECT_FALSE(d.expired());
  EXPECT_EQ(d.remaining(), 100ms);
  clock.advance(99ms);
  EXPECT_FALSE(d.expired());
  clock.advance(1ms);
  EXPECT_TRUE(d.expired());
  EXPECT_EQ(d.remaining(), 0ns);
}

TEST(Deadline, NeverExpires) {
  const Deadline d = Deadline::never();
  EXPECT_FALSE(d.is_set());
  EXPECT_FALSE(d.expired());
  EXPECT_EQ(d.remaining(), std::chrono::nanoseconds::max());
}

TEST(SystemClock, WallTimeIsNow) {
  const auto millis = system_clock().wall_millis();
  EXPECT_GT(millis, 1'700'000'000'000);  // after 2023
}

}  // namespace
}  // namespace bh
