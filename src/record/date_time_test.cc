#include "record/date_time.h"

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(DateTime, AcceptsRfc3339) {
  for (const char* s : {"2017-04-13T21:49:00Z", "2019-10-16T21:24:22.032307+00:00", "2018-05-10t18:02:17z",
                        "2016-02-29T00:00:00-05:30", "2016-12-31T23:59:60Z", "0001-01-01T00:00:00.1Z"}) {
    EXPECT_TRUE(is_rfc3339_date_time(s)) << s;
  }
}

TEST(DateTime, RejectsNearMisses) {
  for (const char* s : {"", "2017-04-13", "2017-04-13T21:49Z", "2017-04-13 21:49:00Z", "2017-04-13T21:49:00",
                        "2017-13-01T00:00:00Z", "2017-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
                        "2017-04-31T00:00:00Z", "2017-04-13T24:00:00Z", "2017-04-13T23:60:00Z",
                        "2017-04-13T23:59:61Z", "2017-04-13T21:49:00.Z", "2017-04-13T21:49:00+0100",
                        "2017-04-13T21:49:00+24:00", "17-04-13T21:49:00Z", "2017-04-13T21:49:00Zjunk",
                        "20170413T214900Z"}) {
    EXPECT_FALSE(is_rfc3339_date_time(s)) << s;
  }
}

TEST(DateTime, EpochMillis) {
  EXPECT_EQ(rfc3339_to_epoch_millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(rfc3339_to_epoch_millis("2019-10-16T21:24:22.032307+00:00"), 1571261062032);
  EXPECT_EQ(rfc3339_to_epoch_millis("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(rfc3339_to_epoch_millis("not a date"), std::nullopt);
}

}  // namespace
}  // namespace bh
