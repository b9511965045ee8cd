// buildhub.json documents: parse, duplicate-key check, schema validation, canonical hash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "record/build_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::shared_ptr<const bh::SchemaValidator> validator = *bh::SchemaValidator::create_builtin();
  static bh::RecordParser parser(*validator, bh::RecordLimits{});
  auto result = parser.prepare(std::string(reinterpret_cast<const char*>(data), size));
  if (result && result->build_hash.size() != 35) __builtin_trap();
  return 0;
}
