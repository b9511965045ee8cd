// The buildhub.json schema compiled into the binary (generated from schema/buildhub.schema.json
// at build time), so the product needs no data files at run time.
#pragma once

#include <string_view>

namespace bh {
std::string_view builtin_buildhub_schema();
}  // namespace bh
