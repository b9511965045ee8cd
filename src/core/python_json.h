// Serialises a JSON value byte-for-byte as CPython's `json.dumps(value, sort_keys=True)` does
// with its defaults: separators ", " and ": ", ensure_ascii=True (every non-ASCII character and
// DEL as a lower-case \uXXXX escape, astral characters as surrogate pairs), keys sorted by code
// point, integers in plain decimal and floats as Python's repr().
//
// This is the input of Buildhub2's build_hash, so any change here changes record identities.
// Pure function; thread-safe.
#pragma once

#include <string>

#include <simdjson.h>

#include "core/status.h"

namespace bh {

// Appends the canonical form of `value` to `out`. An object with the same key twice is
// refused (kInvalidArgument): Python would silently keep the last one, and a record whose
// meaning depends on which duplicate a reader picks has no single identity.
Status append_python_json(simdjson::dom::element value, std::string& out);

// Python's repr() of a finite double ("1.0", "1e+16", "1.5e-05").
std::string python_float_repr(double value);

}  // namespace bh
