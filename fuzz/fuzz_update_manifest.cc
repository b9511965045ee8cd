// libFuzzer target: the update manifest parser (the updater's grammar) and the precomplete
// reader. Oracles: an accepted manifest's every path passes the path check, and writing it back
// and parsing again gives the same instructions.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "update/manifest.h"

namespace {
void check(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto manifest = bh::update::parse_manifest(text);
  if (manifest) {
    for (const auto& a : manifest->actions) {
      const bool directory = a.kind == bh::update::ActionKind::kRmdir || a.kind == bh::update::ActionKind::kRmrfdir;
      check(bh::update::validate_manifest_path(a.file, directory).is_ok());
    }
    auto again = bh::update::parse_manifest(bh::update::write_manifest(*manifest));
    check(again.has_value());
    check(again->type == manifest->type && again->actions == manifest->actions);
  }
  (void)bh::update::parse_precomplete(text);
  return 0;
}
