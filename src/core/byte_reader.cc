#include "core/byte_reader.h"

#include <cstring>

#include <fmt/format.h>

namespace bh {

Status ByteReader::check(std::uint64_t pos, std::uint64_t n, std::string_view field) const {
  if (has(pos, n)) return Status::ok();
  if (pos > bytes_.size()) {
    return invalid_argument(fmt::format("{}: {} at offset {} is past the end ({} bytes)", what_, field, pos, bytes_.size()));
  }
  return invalid_argument(fmt::format("{}: {} needs {} bytes at offset {} but only {} remain", what_, field, n, pos,
                                      bytes_.size() - pos));
}

Result<std::string_view> ByteReader::read_c_string(std::uint64_t pos, std::uint64_t limit, std::string_view field) const {
  if (limit > bytes_.size()) limit = bytes_.size();
  if (pos > limit) return fail(check(pos, 1, field));
  const auto* begin = bytes_.data() + pos;
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(begin, 0, static_cast<std::size_t>(limit - pos)));
  if (nul == nullptr) return fail(invalid_argument(fmt::format("{}: {} at offset {} is not NUL-terminated", what_, field, pos)));
  return std::string_view(reinterpret_cast<const char*>(begin), static_cast<std::size_t>(nul - begin));
}

}  // namespace bh
