// The body of an SQS message carrying S3 event notifications, in the two shapes Buildhub2 read:
//   S3 -> SNS -> SQS:  {"Type": "Notification", "Message": "<JSON text of {\"Records\": [...]}>", ...}
//   S3 -> SQS:         {"Records": [...]}
// (and S3's "s3:TestEvent", which has no records). Pure; untrusted input: nesting is checked
// before parsing, both layers; every field's type is checked. Fuzzed (fuzz/fuzz_s3_event.cc).
//
// Records without an "s3" member are counted and skipped, as Buildhub2 did; object keys are
// URL-decoded (S3 encodes them in notifications, a space as '+'); events other than
// ObjectCreated:* (removals, restores) are reported with their name so the caller can skip them.
//
// Thread safety: pure. Failure: kInvalidArgument saying what is wrong with the body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bh {

struct S3EventObject {
  std::string event_name;  // "ObjectCreated:Put"; "" when the record has none (old test fixtures)
  std::string bucket;
  std::string key;         // decoded
  std::string etag;        // quotes stripped; may be "" (S3 sends none for some events)
  std::uint64_t size = 0;
  std::string event_time;  // "2017-08-08T17:06:52.030Z"; "" when the record has none

  // True for ObjectCreated:* and for records that name no event.
  bool is_creation() const { return event_name.empty() || event_name.starts_with("ObjectCreated:"); }
};

struct S3EventBody {
  bool sns_wrapped = false;
  bool test_event = false;
  std::vector<S3EventObject> objects;
  std::size_t records_without_s3 = 0;
};

Result<S3EventBody> parse_s3_event_body(std::string_view body);

// Buildhub2's only key test: the key's file name ends with "buildhub.json".
bool is_buildhub_json_key(std::string_view key);

}  // namespace bh
