#include "record/schema_validator.h"

#include "core/simdjson_util.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include "record/simdjson_adapter.h"
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "record/builtin_schema.h"
#include "record/date_time.h"

namespace bh {
namespace {

// valijson checks `format` with a std::regex built on every call, which costs more than the
// whole rest of validation; formats are checked by check_formats() instead.
void strip_formats(nlohmann::json& node) {
  if (node.is_object()) {
    node.erase("format");
    for (auto& [key, child] : node.items()) strip_formats(child);
  } else if (node.is_array()) {
    for (auto& child : node) strip_formats(child);
  }
}

std::string json_type_name(simdjson::dom::element v) {
  using T = simdjson::dom::element_type;
  switch (v.type()) {
    case T::NULL_VALUE: return "null";
    case T::BOOL: return "boolean";
    case T::INT64: return "integer";
    case T::UINT64:
    case T::DOUBLE: return "number";
    case T::STRING: return "string";
    case T::ARRAY: return "array";
    case T::OBJECT: return "object";
  }
  return "value";
}

std::string article(const std::string& type) {
  return (type == "integer" || type == "object" || type == "array") ? "an " + type : "a " + type;
}

// valijson's context is {"<root>", "[build]", "[id]"}; strip the brackets.
std::vector<std::string> context_tokens(const std::vector<std::string>& context) {
  std::vector<std::string> tokens;
  for (std::size_t i = 1; i < context.size(); ++i) {
    const std::string& c = context[i];
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') tokens.push_back(c.substr(1, c.size() - 2));
    else tokens.push_back(c);
  }
  return tokens;
}

std::string pointer_of(const std::vector<std::string>& tokens) {
  std::string p;
  for (const auto& t : tokens) {
    p += '/';
    p += json_pointer_escape(t);
  }
  return p;
}

std::optional<simdjson::dom::element> value_at(simdjson::dom::element doc, const std::vector<std::string>& tokens) {
  simdjson::dom::element node = doc;
  for (const auto& t : tokens) {
    if (node.is_object()) {
      auto child = bh::sj::as_object(node).at_key(t);
      if (child.error()) return std::nullopt;
      node = child.value_unsafe();
    } else if (node.is_array()) {
      std::size_t idx = 0;
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), idx);
      if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
      auto child = bh::sj::as_array(node).at(idx);
      if (child.error()) return std::nullopt;
      node = child.value_unsafe();
    } else {
      return std::nullopt;
    }
  }
  return node;
}

std::string quoted_between(const std::string& s, char open, char close) {
  const auto a = s.find(open);
  if (a == std::string::npos) return {};
  const auto b = s.find(close, a + 1);
  if (b == std::string::npos) return {};
  return s.substr(a + 1, b - a - 1);
}

}  // namespace

std::string json_pointer_escape(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

SchemaValidator::~SchemaValidator() = default;

Result<std::shared_ptr<const SchemaValidator>> SchemaValidator::create_builtin() {
  return from_json_text(builtin_buildhub_schema());
}

Result<std::shared_ptr<const SchemaValidator>> SchemaValidator::from_json_text(std::string_view schema_text) {
  std::shared_ptr<SchemaValidator> v(new SchemaValidator());
  try {
    v->schema_json_ = nlohmann::json::parse(schema_text);
    std::vector<std::string> path;
    collect_format_rules(v->schema_json_, path, v->format_rules_);
    nlohmann::json for_valijson = v->schema_json_;
    strip_formats(for_valijson);
    v->compiled_ = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(for_valijson);
    parser.populateSchema(adapter, *v->compiled_);
  } catch (const std::exception& e) {
    return fail(invalid_argument(fmt::format("invalid JSON schema: {}", e.what())));
  }
  return std::shared_ptr<const SchemaValidator>(std::move(v));
}

const nlohmann::json* SchemaValidator::schema_at(const std::vector<std::string>& tokens) const {
  const nlohmann::json* node = &schema_json_;
  for (const auto& t : tokens) {
    if (!node->is_object()) return nullptr;
    auto props = node->find("properties");
    if (props != node->end() && props->is_object() && props->contains(t)) {
      node = &(*props)[t];
      continue;
    }
    auto items = node->find("items");
    if (items != node->end() && items->is_object()) {
      node = &*items;
      continue;
    }
    return nullptr;
  }
  return node;
}

SchemaViolation SchemaValidator::describe(const std::vector<std::string>& context, const std::string& description,
                                          simdjson::dom::element document) const {
  const std::vector<std::string> tokens = context_tokens(context);
  const std::string pointer = pointer_of(tokens);
  const nlohmann::json* rule = schema_at(tokens);
  const std::optional<simdjson::dom::element> value = value_at(document, tokens);

  if (description.rfind("Missing required property", 0) == 0) {
    const std::string name = quoted_between(description, '\'', '\'');
    return {pointer + "/" + json_pointer_escape(name), "required property is missing"};
  }
  if (description.rfind("Object contains a property that could not be validated", 0) == 0) {
    // The property name is the last quoted part of the description.
    const auto end = description.rfind('\'');
    const auto start = end == std::string::npos ? std::string::npos : description.rfind('\'', end - 1);
    const std::string name =
        (start != std::string::npos && end > start) ? description.substr(start + 1, end - start - 1) : "?";
    return {pointer + "/" + json_pointer_escape(name), "is not allowed here (no additional properties)"};
  }
  if (description.rfind("Value type not permitted", 0) == 0 && rule != nullptr && rule->contains("type")) {
    const auto& type = (*rule)["type"];
    std::string wanted;
    if (type.is_string()) {
      wanted = article(type.get<std::string>());
    } else if (type.is_array()) {
      for (const auto& t : type) {
        if (!wanted.empty()) wanted += " or ";
        wanted += t.is_string() ? article(t.get<std::string>()) : "?";
      }
    }
    return {pointer, fmt::format("must be {}, got {}", wanted, value ? json_type_name(*value) : "nothing")};
  }
  if (description.rfind("Failed to match against any enum values", 0) == 0 && rule != nullptr &&
      rule->contains("enum")) {
    std::string allowed;
    for (const auto& e : (*rule)["enum"]) {
      if (!allowed.empty()) allowed += ", ";
      allowed += e.is_string() ? e.get<std::string>() : e.dump();
    }
    return {pointer, "must be one of " + allowed};
  }
  return {pointer, description};
}

void SchemaValidator::collect_format_rules(const nlohmann::json& schema, std::vector<std::string>& path,
                                           std::vector<FormatRule>& out) {
  if (!schema.is_object()) return;
  auto fmt_it = schema.find("format");
  if (fmt_it != schema.end() && *fmt_it == "date-time") {
    FormatRule rule{path, {}};
    for (const auto& token : path) rule.escaped.push_back(json_pointer_escape(token));
    out.push_back(std::move(rule));
  }
  auto props = schema.find("properties");
  if (props != schema.end() && props->is_object()) {
    for (auto it = props->begin(); it != props->end(); ++it) {
      path.push_back(it.key());
      collect_format_rules(it.value(), path, out);
      path.pop_back();
    }
  }
  auto items = schema.find("items");
  if (items != schema.end() && items->is_object()) {
    path.emplace_back("*");
    collect_format_rules(*items, path, out);
    path.pop_back();
  }
}

void SchemaValidator::check_format(const FormatRule& rule, std::size_t depth, simdjson::dom::element value,
                                   std::string& pointer, std::vector<SchemaViolation>& out) const {
  if (depth == rule.path.size()) {
    if (value.is_string() && !is_rfc3339_date_time(sj::as_string(value))) {
      out.push_back({pointer, "must be an RFC 3339 date-time (e.g. 2019-10-16T16:19:57Z)"});
    }
    return;
  }
  const std::string& token = rule.path[depth];
  const std::size_t keep = pointer.size();
  if (token == "*" && value.is_array()) {
    std::size_t i = 0;
    for (simdjson::dom::element child : sj::as_array(value)) {
      pointer += '/' + std::to_string(i++);
      check_format(rule, depth + 1, child, pointer, out);
      pointer.resize(keep);
    }
    return;
  }
  if (!value.is_object()) return;
  simdjson::dom::element child;
  if (sj::as_object(value).at_key(token).get(child) != simdjson::SUCCESS) return;
  pointer += '/';
  pointer += rule.escaped[depth];
  check_format(rule, depth + 1, child, pointer, out);
  pointer.resize(keep);
}

std::vector<SchemaViolation> SchemaValidator::validate(simdjson::dom::element document) const {
  std::vector<SchemaViolation> out;
  valijson_simdjson::SimdjsonAdapter target(document);
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  // The fast path collects nothing; only a failing document pays for the error details.
  if (!validator.validate(*compiled_, target, nullptr)) {
    valijson::ValidationResults results;
    valijson::Validator detailed(valijson::Validator::kStrongTypes);
    detailed.validate(*compiled_, target, &results);
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
      // Parent errors ("Failed to validate against schema associated with property name")
      // only repeat that a child failed; the child's own error says why.
      if (error.description.rfind("Failed to validate against schema associated with property", 0) == 0 ||
          error.description.rfind("Failed to validate against additional properties schema", 0) == 0 ||
          error.description.rfind("Failed to validate item #", 0) == 0) {
        continue;
      }
      out.push_back(describe(error.context, error.description, document));
    }
    if (out.empty()) out.push_back({"", "does not match the schema"});
  }
  std::string pointer;
  for (const FormatRule& rule : format_rules_) check_format(rule, 0, document, pointer, out);
  return out;
}

}  // namespace bh
