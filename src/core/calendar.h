// Calendar arithmetic and UTC timestamps (no clock is read here). Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace bh {

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31), and back.
std::int64_t days_from_civil(int year, int month, int day);
void civil_from_days(std::int64_t days, int& year, int& month, int& day);

// Days in a month of a proleptic Gregorian year (month 1-12), leap years included.
int days_in_month(int year, int month);

// "2026-11-23T10:00:00.123Z" (fraction_digits 3) or "...00.123456Z" (6); 0 omits the fraction.
std::string format_utc(std::chrono::system_clock::time_point t, int fraction_digits);

}  // namespace bh
