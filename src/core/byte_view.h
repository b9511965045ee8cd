// ByteView: a read-only view of bytes someone else owns, and conversions from and to text.
//
// Ownership: a view owns nothing; the bytes must outlive it. Thread safety: a view is a value.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace bh {

using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
inline std::string_view as_chars(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace bh
