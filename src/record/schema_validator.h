// Validates buildhub.json documents against a JSON Schema (draft 7) with valijson, plus
// `format: date-time`, which this project enforces (Buildhub2 did not).
//
// Errors name the JSON pointer and the rule, in our words:
//   "/target/os: must be one of linux, win, mac, android, maemo"
//   "/build: required property is missing"
//   "/download/size: must be an integer, got string"
//   "/build/date: must be an RFC 3339 date-time (e.g. 2019-10-16T16:19:57Z)"
//
// Thread safety: a SchemaValidator is immutable after construction; validate() may be called
// from any number of threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "core/status.h"

namespace valijson { class Schema; }

namespace bh {

struct SchemaViolation {
  std::string pointer;  // RFC 6901 JSON pointer into the document ("" is the root)
  std::string message;  // the rule that failed, in words

  std::string to_string() const { return (pointer.empty() ? "/" : pointer) + ": " + message; }
};

class SchemaValidator {
 public:
  // The schema shipped with buildhub (schema/buildhub.schema.json, compiled into the binary).
  static Result<std::shared_ptr<const SchemaValidator>> create_builtin();
  // Any draft-7 schema given as JSON text.
  static Result<std::shared_ptr<const SchemaValidator>> from_json_text(std::string_view schema_text);

  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  // Every violation found, in document order; empty when the document is valid.
  // `document` is an element of a simdjson DOM (see RecordParser in build_record.h).
  std::vector<SchemaViolation> validate(simdjson::dom::element document) const;

  // The schema as JSON (for `/api/schema` and docs).
  const nlohmann::json& schema_json() const { return schema_json_; }

 private:
  SchemaValidator() = default;

  // Where the schema asks for `format: date-time`: property paths from the root, "*" for
  // "every item of an array". Collected once, so checking costs a few lookups per document.
  struct FormatRule {
    std::vector<std::string> path;     // property names, "*" for array items
    std::vector<std::string> escaped;  // the same, escaped for a JSON pointer
  };
  static void collect_format_rules(const nlohmann::json& schema, std::vector<std::string>& path,
                                   std::vector<FormatRule>& out);
  void check_format(const FormatRule& rule, std::size_t depth, simdjson::dom::element value, std::string& pointer,
                    std::vector<SchemaViolation>& out) const;
  const nlohmann::json* schema_at(const std::vector<std::string>& tokens) const;
  SchemaViolation describe(const std::vector<std::string>& context, const std::string& description,
                           simdjson::dom::element document) const;

  nlohmann::json schema_json_;
  std::vector<FormatRule> format_rules_;
  std::unique_ptr<valijson::Schema> compiled_;  // the schema without `format` keywords
};

// Escapes one reference token for a JSON pointer ("a/b" -> "a~1b", "m~n" -> "m~0n").
std::string json_pointer_escape(std::string_view token);

}  // namespace bh
