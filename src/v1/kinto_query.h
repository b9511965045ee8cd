// Kinto's listing query string (GET .../collections/releases/records?...), parsed.
//
// The grammar is Kinto's (8.x, the version Buildhub v1 ran):
//   field=value       equal              not_field=value   not equal
//   in_field=a,b      one of             exclude_field=a,b none of
//   min_/max_field    >= / <=            lt_/gt_field      < / >
//   has_field=true    present (false: absent)
//   like_field=v      contains v (`*` is any run of characters)
//   _sort=a,-b        order (`-` descending); default -last_modified
//   _limit=N          page size           _token=T          the next page (from Next-Page)
//   _since=T / _before=T (also _to)       last_modified > T / < T (T may be quoted, as in an ETag)
//   _fields=a,b       only these fields of each record (plus id and last_modified)
// Field names use dots for nesting (target.version). `id` is the v1 record id and
// `last_modified` Kinto's timestamp; every other name is a field of the record. Values are
// compared as text; a quoted value ("57.0") is its JSON string. Other parameters starting with
// `_` are ignored, as Kinto ignores them (a cache-busting `_=123` among them).
//
// Pure: no I/O; thread-safe. Failure: kInvalidArgument with Kinto's message
// "<param> in querystring: <why>", for any malformed parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace bh::v1 {

enum class KintoOp : std::uint8_t { kEq, kNot, kIn, kExclude, kMin, kMax, kLt, kGt, kHas, kLike };

struct KintoFilter {
  std::string field;
  KintoOp op = KintoOp::kEq;
  std::vector<std::string> values = {};  // one, except for in_/exclude_; last_modified's as digits
  bool present = true;                   // has_: true when the field must be there
};

struct KintoSortKey {
  std::string field;
  bool descending = false;
};

struct KintoQuery {
  std::vector<KintoFilter> filters;
  std::vector<KintoSortKey> sort;  // never empty: Kinto's default is -last_modified
  std::optional<std::size_t> limit;
  std::vector<std::string> fields;  // _fields; empty: every field
  // _token's decoded cursor: the sort values of the last record of the previous page.
  std::optional<nlohmann::json> after;
};

inline constexpr std::string_view kKintoIdField = "id";
inline constexpr std::string_view kKintoTimestampField = "last_modified";

// Whether a filter or sort key reads Kinto's own fields (answered from the id view) rather than
// the record's.
inline bool is_kinto_field(std::string_view field) {
  return field == kKintoIdField || field == kKintoTimestampField;
}

Result<KintoQuery> parse_kinto_query(const std::vector<std::pair<std::string, std::string>>& params);

// The parameter a parse error names ("_since" of "_since in querystring: ..."), for Kinto's
// error details; empty when the message has none.
std::string kinto_error_parameter(std::string_view message);

// The page cursor in Next-Page's _token: base64url of the cursor's JSON.
std::string encode_kinto_token(const nlohmann::json& after);
Result<nlohmann::json> decode_kinto_token(std::string_view token);

}  // namespace bh::v1
