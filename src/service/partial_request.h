// What a client asks the partial service for, parsed from outside bytes, and the job it becomes.
//
// Senbonzakura's form (POST /partial, form-encoded or JSON): mar_from, mar_to, mar_from_hash,
// mar_to_hash (SHA-512 hex), and optionally channel_id and product_version.
// The JSON API (POST /api/partials): {"from": SIDE, "to": SIDE, "channel_id"?, "product_version"?}
// where SIDE is {"url", "sha512"} or a build of the hub: {"build_id", "platform", "locale"} or
// {"product", "version", "platform", "locale", "channel"}, either with an optional "sha512" of
// its complete MAR.
//
// Every parser is bounds-checked (body size, JSON nesting, field lengths) and reports every
// missing or bad field at once, in one kInvalidArgument message ("mar_to_hash: missing;
// channel_id: longer than 128 characters").
//
// The identifier names what the job produces: "<from sha512>-<to sha512>", plus "-" and 16 hex
// digits of the options' digest when channel_id or product_version is given (so different
// options never share a result). A side known only by URL (a hub build without a sha512) stands
// as "u" followed by the SHA-256 of its URL.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace bh::service {

struct MarLocation {
  std::string url;
  std::string sha512;  // lower-case hex; empty: not known in advance (checked for nothing)
};

struct BuildReference {
  std::string build_id;
  std::string product;
  std::string version;
  std::string platform;
  std::string locale;
  std::string channel;
  std::string sha512;  // optional
};

struct PartialSideRequest {
  std::optional<MarLocation> mar;       // one of the two is set
  std::optional<BuildReference> build;
};

struct PartialApiRequest {
  PartialSideRequest from;
  PartialSideRequest to;
  std::optional<std::string> channel_id;
  std::optional<std::string> product_version;
};

// A job's whole input, once both sides are MAR locations.
struct PartialSpec {
  MarLocation from;
  MarLocation to;
  std::optional<std::string> channel_id;
  std::optional<std::string> product_version;

  std::string identifier() const;
  std::string to_json() const;
};

Result<PartialSpec> parse_partial_spec_json(std::string_view json);

// Senbonzakura's POST body; `content_type` chooses form or JSON (JSON when it says json).
Result<PartialSpec> parse_senbonzakura_request(std::string_view body, std::string_view content_type);
Result<PartialApiRequest> parse_partial_api_request(std::string_view body);

// Whether `id` has the shape of an identifier (so lookups of anything else are a quick 404).
bool is_partial_identifier(std::string_view id);
bool is_sha512_hex(std::string_view text);

}  // namespace bh::service
