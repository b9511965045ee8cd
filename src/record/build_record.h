// A buildhub.json document on its way into the store: parsed, validated, hashed.
//
// Identity is byte-compatible with Buildhub2:
//   build_hash = "v1:" + md5(json.dumps(document, sort_keys=True))      (Python defaults)
// so the same content always gets the same hash, whatever its whitespace or key order.
//
// Parsing uses simdjson's DOM (UTF-8 is validated for the whole input); on a parse error the
// document is parsed once more by nlohmann::json, whose messages say where it went wrong.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "core/status.h"
#include "record/schema_validator.h"

namespace bh {

struct RecordLimits {
  std::size_t max_document_bytes = 1 << 20;  // a real buildhub.json is 1-2 KB
  int max_nesting_depth = 32;                // the schema needs 2
};

struct PreparedRecord {
  std::string raw;         // the document exactly as received
  std::string build_hash;  // "v1:" + 32 hex digits
};

// Parses, validates and hashes documents. Reuses its buffers between documents, so keep one
// per thread. Not thread-safe; the SchemaValidator it borrows must outlive it.
class RecordParser {
 public:
  RecordParser(const SchemaValidator& validator, RecordLimits limits);

  // Parses untrusted bytes into a JSON object. Errors (kInvalidArgument, or kTooLarge for the
  // size limit) say what is wrong and where: "invalid JSON at byte 17: ...", "invalid UTF-8
  // ...", "expected a JSON object, got an array", "nesting deeper than 32 levels".
  // The element is valid until the next call on this parser.
  Result<simdjson::dom::element> parse(std::string_view bytes);

  // parse + schema validation + build_hash. A schema failure is kInvalidArgument with every
  // violation in the message, separated by "; ".
  Result<PreparedRecord> prepare(std::string raw);

 private:
  const SchemaValidator& validator_;
  RecordLimits limits_;
  simdjson::dom::parser parser_;
  std::string canonical_;  // reused buffer for the hash input
};

// "v1:" + md5 of the canonical Python serialisation of `document`; fails on duplicate keys.
Result<std::string> compute_build_hash(simdjson::dom::element document);

}  // namespace bh
