// Big-endian integer loads and stores (MAR, MBDIFF10).
// Loads REQUIRE the caller to have checked that the bytes exist: parsers of untrusted input use
// core/byte_reader.h, which checks and reads in one call. Pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace bh {

inline std::uint32_t load_u32_be(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}
inline std::uint64_t load_u64_be(const std::uint8_t* p) {
  return (std::uint64_t{load_u32_be(p)} << 32) | load_u32_be(p + 4);
}
inline void store_u32_be(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
inline void append_u32_be(std::string& out, std::uint32_t v) {
  std::uint8_t b[4];
  store_u32_be(b, v);
  out.append(reinterpret_cast<const char*>(b), 4);
}
inline void append_u64_be(std::string& out, std::uint64_t v) {
  append_u32_be(out, static_cast<std::uint32_t>(v >> 32));
  append_u32_be(out, static_cast<std::uint32_t>(v));
}

}  // namespace bh
