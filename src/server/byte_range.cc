#include "server/byte_range.h"

#include <charconv>

namespace bh {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

RangeAnswer parse_byte_range(std::string_view header, std::uint64_t size) {
  header = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() <= kUnit.size() || header.substr(0, kUnit.size()) != kUnit) return {};
  const std::string_view spec = trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return {};
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view a = trim(spec.substr(0, dash));
  const std::string_view b = trim(spec.substr(dash + 1));
  RangeAnswer out;
  if (a.empty()) {  // the last N bytes
    const auto n = number(b);
    if (!n) return {};
    if (*n == 0 || size == 0) return {RangeOutcome::kUnsatisfiable, {}};
    out.range = {size - std::min(*n, size), size - 1};
  } else {
    const auto first = number(a);
    if (!first) return {};
    std::uint64_t last = size == 0 ? 0 : size - 1;
    if (!b.empty()) {
      const auto l = number(b);
      if (!l || *l < *first) return {};
      last = std::min(*l, last);
    }
    if (*first >= size) return {RangeOutcome::kUnsatisfiable, {}};
    out.range = {*first, last};
  }
  out.outcome = RangeOutcome::kPartial;
  return out;
}

}  // namespace bh
