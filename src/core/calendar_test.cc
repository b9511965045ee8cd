#include "core/calendar.h"

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(Clock, CivilDaysRoundTrip) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  for (std::int64_t d = -800000; d < 800000; d += 997) {
    int y = 0, m = 0, day = 0;
    civil_from_days(d, y, m, day);
    ASSERT_EQ(days_from_civil(y, m, day), d);
  }
}

TEST(Clock, FormatsUtc) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::microseconds(1571261062032307));
  EXPECT_EQ(format_utc(t, 0), "2019-10-16T21:24:22Z");
  EXPECT_EQ(format_utc(t, 3), "2019-10-16T21:24:22.032Z");
  EXPECT_EQ(format_utc(t, 6), "2019-10-16T21:24:22.032307Z");
}

}  // namespace
}  // namespace bh

namespace bh {
namespace {

TEST(Calendar, DaysInMonth) {
  EXPECT_EQ(days_in_month(2017, 1), 31);
  EXPECT_EQ(days_in_month(2017, 4), 30);
  EXPECT_EQ(days_in_month(2017, 2), 28);
  EXPECT_EQ(days_in_month(2016, 2), 29);
  EXPECT_EQ(days_in_month(1900, 2), 28) << "a century is not a leap year";
  EXPECT_EQ(days_in_month(2000, 2), 29) << "unless it is divisible by 400";
  EXPECT_EQ(days_in_month(2017, 12), 31);
}

}  // namespace
}  // namespace bh
