#include "record/build_record.h"

#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "core/json_nesting.h"
#include "core/python_json.h"
#include "core/simdjson_util.h"

namespace bh {
namespace {

std::string_view type_phrase(simdjson::dom::element_type t) {
  using T = simdjson::dom::element_type;
  switch (t) {
    case T::ARRAY: return "an array";
    case T::STRING: return "a string";
    case T::NULL_VALUE: return "null";
    case T::BOOL: return "a boolean";
    case T::OBJECT: return "an object";
    default: return "a number";
  }
}

// simdjson says what is wrong but not where; nlohmann says where. Only failing documents pay.
Status describe_parse_error(std::string_view bytes, simdjson::error_code code) {
  if (code == simdjson::UTF8_ERROR) {
    // Find the first offending byte ourselves; nlohmann only checks inside strings.
    std::size_t i = 0;
    while (i < bytes.size()) {
      const auto c = static_cast<unsigned char>(bytes[i]);
      std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      bool ok = len != 0 && i + len <= bytes.size();
      for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
      if (!ok) break;
      i += len;
    }
    return invalid_argument(fmt::format("invalid UTF-8 in JSON at byte {}", i));
  }
  try {
    const nlohmann::json ignored = nlohmann::json::parse(bytes);
    (void)ignored;
  } catch (const nlohmann::json::parse_error& e) {
    std::string m = e.what();
    const auto colon = m.find(": ", m.find("parse error"));
    if (colon != std::string::npos) m = m.substr(colon + 2);
    constexpr std::string_view kNoise = "syntax error while parsing value - ";
    if (const auto pos = m.find(kNoise); pos != std::string::npos) m.erase(pos, kNoise.size());
    return invalid_argument(fmt::format("invalid JSON at byte {}: {}", e.byte, m));
  } catch (const std::exception&) {
  }
  return invalid_argument(fmt::format("invalid JSON: {}", simdjson::error_message(code)));
}

// The first key that appears twice in one object, anywhere in the document. valijson and the
// canonical form both assume unique keys, and a record whose meaning depends on which of two
// values a reader picks has no single identity.
std::optional<std::string> find_duplicate_key(simdjson::dom::element e) {
  if (e.is_object()) {
    const simdjson::dom::object object = sj::as_object(e);
    std::size_t i = 0;
    for (simdjson::dom::key_value_pair a : object) {
      std::size_t j = 0;
      for (simdjson::dom::key_value_pair b : object) {
        if (j++ >= i) break;
        if (a.key == b.key) return std::string(a.key);
      }
      ++i;
      if (auto inner = find_duplicate_key(a.value)) return inner;
    }
  } else if (e.is_array()) {
    for (simdjson::dom::element child : sj::as_array(e)) {
      if (auto inner = find_duplicate_key(child)) return inner;
    }
  }
  return std::nullopt;
}

}  // namespace

RecordParser::RecordParser(const SchemaValidator& validator, RecordLimits limits)
    : validator_(validator), limits_(limits), parser_(limits.max_document_bytes + simdjson::SIMDJSON_PADDING) {
  canonical_.reserve(2048);
}

Result<simdjson::dom::element> RecordParser::parse(std::string_view bytes) {
  if (bytes.size() > limits_.max_document_bytes) {
    return fail(too_large(fmt::format("document is {} bytes, larger than the limit of {} bytes", bytes.size(),
                                      limits_.max_document_bytes)));
  }
  if (!json_nesting_within(bytes, static_cast<std::size_t>(limits_.max_nesting_depth))) {
    return fail(invalid_argument(fmt::format("nesting deeper than {} levels", limits_.max_nesting_depth)));
  }
  auto doc = parser_.parse(bytes.data(), bytes.size(), /*realloc_if_needed=*/true);
  if (doc.error()) return fail(describe_parse_error(bytes, doc.error()));
  simdjson::dom::element root = doc.value_unsafe();
  if (root.type() != simdjson::dom::element_type::OBJECT) {
    return fail(invalid_argument(fmt::format("expected a JSON object, got {}", type_phrase(root.type()))));
  }
  if (auto key = find_duplicate_key(root)) {
    return fail(invalid_argument(fmt::format("duplicate key \"{}\" in an object", *key)));
  }
  return root;
}

Result<PreparedRecord> RecordParser::prepare(std::string raw) {
  BH_ASSIGN_OR_RETURN(simdjson::dom::element doc, parse(raw));
  const std::vector<SchemaViolation> violations = validator_.validate(doc);
  if (!violations.empty()) {
    std::string message;
    for (const auto& v : violations) {
      if (!message.empty()) message += "; ";
      message += v.to_string();
    }
    return fail(invalid_argument(std::move(message)));
  }
  canonical_.clear();
  BH_RETURN_IF_ERROR(append_python_json(doc, canonical_));
  PreparedRecord record;
  record.build_hash = "v1:" + md5_hex(canonical_);
  record.raw = std::move(raw);
  return record;
}

Result<std::string> compute_build_hash(simdjson::dom::element document) {
  std::string canonical;
  BH_RETURN_IF_ERROR(append_python_json(document, canonical));
  return "v1:" + md5_hex(canonical);
}

}  // namespace bh
