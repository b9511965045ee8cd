#include "search/date_math.h"

#include <gtest/gtest.h>

namespace bh::search {
namespace {

constexpr std::int64_t kDay = 86'400'000;
const std::int64_t k2019 = 1546300800000;  // 2019-01-01T00:00:00Z

std::int64_t parse(std::string_view text, bool up = false, std::string_view tz = "UTC") {
  auto zone = TimeZoneOffset::parse(tz);
  EXPECT_TRUE(zone);
  auto v = parse_date_math(text, DateFormat::default_format(), *zone, k2019 + 12 * 3600'000 + 5, up);
  EXPECT_TRUE(v) << text << ": " << (v ? "" : v.error().message());
  return v ? *v : 0;
}

TEST(DateMath, ParsesIsoForms) {
  EXPECT_EQ(parse("2019-01-01"), k2019);
  EXPECT_EQ(parse("2019-01-01T01:02:03Z"), k2019 + 3723'000);
  EXPECT_EQ(parse("2019-01-01T01:02:03.123456+01:00"), k2019 + 3723'123 - 3600'000);
  EXPECT_EQ(parse("2019"), k2019);
  EXPECT_EQ(parse("1546300800000"), k2019);  // epoch_millis
}

TEST(DateMath, RoundsUpMissingFieldsForUpperBounds) {
  EXPECT_EQ(parse("2019-01-01", true), k2019 + kDay - 1);
  EXPECT_EQ(parse("2019-01", true), k2019 + 31 * kDay - 1);
}

TEST(DateMath, AppliesMathAndRounding) {
  EXPECT_EQ(parse("now"), k2019 + 12 * 3600'000 + 5);
  EXPECT_EQ(parse("now/d"), k2019);
  EXPECT_EQ(parse("now/d", true), k2019 + kDay - 1);
  EXPECT_EQ(parse("now-7d/d"), k2019 - 7 * kDay);
  EXPECT_EQ(parse("2019-01-31||+1M"), parse("2019-02-28"));  // clamped to the month's end
  EXPECT_EQ(parse("2019-01-15||/M"), k2019);
  EXPECT_EQ(parse("2019-01-01||-1y"), parse("2018-01-01"));
  EXPECT_EQ(parse("now/d", false, "+01:00"), k2019 - 3600'000);
}

TEST(DateMath, RejectsNonsense) {
  const auto utc = TimeZoneOffset{};
  for (std::string_view bad : {"yesterday", "2019-13-01", "2019-02-30", "now+", "now*1d", "now-1x", "2019-01-01T25:00"}) {
    EXPECT_FALSE(parse_date_math(bad, DateFormat::default_format(), utc, 0, false)) << bad;
  }
  EXPECT_FALSE(TimeZoneOffset::parse("Europe/Paris"));
  EXPECT_TRUE(TimeZoneOffset::parse("-08:00"));
}

TEST(DateFormat, CustomPatternsParseAndFormat) {
  auto f = DateFormat::parse("yyyyMMddHHmmss||yyyy-MM-dd");
  ASSERT_TRUE(f);
  auto v = f->parse_millis("20190101010203", {}, false);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, k2019 + 3723'000);
  EXPECT_EQ(f->format_millis(k2019, {}), "20190101000000");
  EXPECT_EQ(DateFormat::default_format().format_millis(k2019, {}), "2019-01-01T00:00:00.000Z");
  auto month = DateFormat::parse("yyyy-MM");
  ASSERT_TRUE(month);
  EXPECT_EQ(month->format_millis(k2019 + 40 * kDay, {}), "2019-02");
  EXPECT_FALSE(DateFormat::parse("yyyy-QQ"));
}

TEST(CalendarUnits, RoundAndStep) {
  const TimeZoneOffset utc;
  EXPECT_EQ(round_down_to_unit(k2019 + 40 * kDay, CalendarUnit::kMonth, utc), k2019 + 31 * kDay);
  EXPECT_EQ(next_unit_start(k2019, CalendarUnit::kMonth, utc), k2019 + 31 * kDay);
  EXPECT_EQ(round_down_to_unit(k2019, CalendarUnit::kWeek, utc), k2019 - kDay);  // Tuesday -> Monday
  EXPECT_EQ(round_down_to_unit(k2019 + 100 * kDay, CalendarUnit::kYear, utc), k2019);
  EXPECT_TRUE(parse_calendar_unit("1M"));
  EXPECT_FALSE(parse_calendar_unit("2M"));
  EXPECT_EQ(*parse_fixed_interval_millis("90m"), 90 * 60'000);
  EXPECT_FALSE(parse_fixed_interval_millis("0d"));
  EXPECT_FALSE(parse_fixed_interval_millis("5y"));
}

}  // namespace
}  // namespace bh::search
