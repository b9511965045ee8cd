// Typed access to simdjson DOM elements whose type the caller has already checked.
//
// simdjson's get_x().value_unsafe() on a temporary result yields a reference into that
// temporary; these helpers copy the (small, handle-like) value out instead, so a range-for
// over an array or object never iterates a dead object. Each REQUIRES the element to be of the
// named type; otherwise it returns an empty/zero value.
#pragma once

#include <cstdint>
#include <string_view>

#include <simdjson.h>

namespace bh::sj {

inline simdjson::dom::array as_array(simdjson::dom::element e) {
  simdjson::dom::array out;
  if (e.get_array().get(out) != simdjson::SUCCESS) return {};
  return out;
}
inline simdjson::dom::object as_object(simdjson::dom::element e) {
  simdjson::dom::object out;
  if (e.get_object().get(out) != simdjson::SUCCESS) return {};
  return out;
}
inline std::string_view as_string(simdjson::dom::element e) {
  std::string_view out;
  if (e.get_string().get(out) != simdjson::SUCCESS) return {};
  return out;
}
inline std::int64_t as_int64(simdjson::dom::element e) {
  std::int64_t out = 0;
  if (e.get_int64().get(out) != simdjson::SUCCESS) return {};
  return out;
}
inline std::uint64_t as_uint64(simdjson::dom::element e) {
  std::uint64_t out = 0;
  if (e.get_uint64().get(out) != simdjson::SUCCESS) return {};
  return out;
}
inline double as_double(simdjson::dom::element e) {
  double out = 0;
  if (e.get_double().get(out) != simdjson::SUCCESS) return {};
  return out;
}
inline bool as_bool(simdjson::dom::element e) {
  bool out = false;
  if (e.get_bool().get(out) != simdjson::SUCCESS) return {};
  return out;
}

}  // namespace bh::sj
