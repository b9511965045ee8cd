// Mozilla version ordering, as the toolkit's version comparator defines it, so that
// 99.0 < 100.0 and 68.0a1 < 68.0b7 < 68.0 (keyword fields order "100" before "99").
//
// A version is dot-separated parts; each part is <number-a><string-b><number-c><extra-d>
// ("0b4rc1" = 0, "b", 4, "rc1"). Parts compare field by field: numbers numerically, strings
// byte-wise with the empty string greatest (so a pre-release sorts before its release). Missing
// parts count as "0" (1.0 == 1.0.0); "*" is greater than any number; "1.0+" means "1.1pre".
// Numbers are clamped to 0..2^31-1 as the C++ comparator parses them.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bh {

// <0, 0 or >0 as `a` sorts before, with, or after `b`.
int compare_mozilla_versions(std::string_view a, std::string_view b);

// A byte string whose plain lexicographic order is compare_mozilla_versions' order (equal keys
// for equal versions), for index sorting and range queries.
std::string mozilla_version_sort_key(std::string_view version);

}  // namespace bh
