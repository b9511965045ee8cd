// SQS message bodies carrying S3 event notifications (SNS-wrapped or direct), and the beta copy
// the daemon may make of a stored document.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/s3_event.h"
#include "ingest/sqs_daemon.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = bh::parse_s3_event_body(text);
  if (body) {
    for (const auto& o : body->objects) {
      if (o.bucket.empty() || o.key.empty()) __builtin_trap();
      (void)bh::is_buildhub_json_key(o.key);
    }
  }
  auto beta = bh::beta_copy_of_release(std::string(text));
  if (beta && beta->find("\"beta\"") == std::string::npos) __builtin_trap();
  return 0;
}
