// Version strings from documents: the comparator must be antisymmetric and agree with the sort
// key on any two inputs (the input is split in two at its first NUL byte, or in half).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "record/mozilla_version.h"

namespace {
int sign(int v) { return (v > 0) - (v < 0); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t split = text.find('\0');
  if (split == std::string_view::npos) split = size / 2;
  const std::string_view a = text.substr(0, split);
  const std::string_view b = text.substr(split < size ? split + 1 : split);
  const int ab = sign(bh::compare_mozilla_versions(a, b));
  if (ab != -sign(bh::compare_mozilla_versions(b, a))) __builtin_trap();
  if (ab != sign(bh::mozilla_version_sort_key(a).compare(bh::mozilla_version_sort_key(b)))) __builtin_trap();
  return 0;
}
