// What this binary is: version and the commit it was built from (for /__version__,
// `buildhub --version` and record metadata).
#pragma once

#include <string_view>

namespace bh {

struct VersionInfo {
  std::string_view version;  // "0.1.0"
  std::string_view commit;   // git commit hash, or "unknown"
  std::string_view source;   // where the source lives
};

VersionInfo version_info();

}  // namespace bh
