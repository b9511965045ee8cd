#include "core/json_fields.h"

#include <fmt/format.h>

#include "core/json_nesting.h"

namespace bh {
namespace {

Status field_error(std::string_view where, std::string message) {
  return invalid_argument(where.empty() ? std::move(message) : fmt::format("{}: {}", where, message));
}

}  // namespace

Result<nlohmann::json> parse_json_object(std::string_view text, std::size_t max_nesting, std::string_view what) {
  if (!json_nesting_within(text, max_nesting)) {
    return fail(invalid_argument(fmt::format("{} nests deeper than {} levels", what, max_nesting)));
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(invalid_argument(fmt::format("{} is not JSON", what)));
  if (!doc.is_object()) {
    return fail(invalid_argument(fmt::format("{} is a JSON {}, not an object", what, doc.type_name())));
  }
  return doc;
}

Result<std::string> string_field(const nlohmann::json& object, const char* name, std::string_view where,
                                 bool required) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (required) return fail(field_error(where, fmt::format("\"{}\" is missing", name)));
    return std::string();
  }
  if (!it->is_string()) {
    return fail(field_error(where, fmt::format("\"{}\" is a {}, not a string", name, it->type_name())));
  }
  return it->get<std::string>();
}

Result<const nlohmann::json*> array_field(const nlohmann::json& object, const char* name, std::string_view where) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return static_cast<const nlohmann::json*>(nullptr);
  if (!it->is_array()) {
    return fail(field_error(where, fmt::format("\"{}\" is a {}, not an array", name, it->type_name())));
  }
  return &*it;
}

Result<const nlohmann::json*> object_field(const nlohmann::json& object, const char* name, std::string_view where) {
  const auto it = object.find(name);
  if (it == object.end()) return fail(field_error(where, fmt::format("\"{}\" is missing", name)));
  if (!it->is_object()) {
    return fail(field_error(where, fmt::format("\"{}\" is a {}, not an object", name, it->type_name())));
  }
  return &*it;
}

}  // namespace bh
