// Reading JSON objects from outside (service answers, message bodies, state files) with nlohmann,
// safely: the nesting is checked before the recursive parser runs, nothing throws out, and every
// field's type is checked, with errors that say where ("Records[0].s3: \"bucket\" is missing").
//
// Pure functions; thread-safe. Failure: kInvalidArgument.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace bh {

// `text` as a JSON object. Errors name it as `what`: "{what} is not JSON", "{what} nests deeper
// than N levels", "{what} is a JSON array, not an object".
Result<nlohmann::json> parse_json_object(std::string_view text, std::size_t max_nesting, std::string_view what);

// The string field `name` of `object`: "" when absent or null (an error if `required`), an error
// when it has another type. `where` prefixes the message ("" for none).
Result<std::string> string_field(const nlohmann::json& object, const char* name, std::string_view where,
                                 bool required);
// The array field `name`: nullptr when absent or null, an error when it has another type.
Result<const nlohmann::json*> array_field(const nlohmann::json& object, const char* name, std::string_view where);
// The object field `name`, which must be there.
Result<const nlohmann::json*> object_field(const nlohmann::json& object, const char* name, std::string_view where);

}  // namespace bh
