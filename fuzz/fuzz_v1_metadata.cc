// What an archive answers (directory listings, metadata .json and .txt files) and a saved
// metadata memo are outside bytes: every answer of the fake archive below is the input, for
// each kind of build, and the input is loaded as a memo. Nothing may crash, and what a lookup
// returns must be a JSON object or none.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest/v1_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bh::v1::PathRules rules;
  const std::string body(reinterpret_cast<const char*>(data), size);
  bh::v1::ArchiveMetadata metadata({.get = [&body](const std::string&) -> bh::Result<bh::v1::ArchiveAnswer> {
                                      return bh::v1::ArchiveAnswer{.status = 200, .body = body};
                                    },
                                    .archive_url = std::string(bh::v1::kArchiveUrl)});
  (void)metadata.scan_candidates("firefox");
  for (const char* path : {"pub/firefox/nightly/2017/05/2017-05-15-10-02-38-mozilla-central/firefox-55.0a1.en-US.linux-x86_64.tar.bz2",
                           "pub/firefox/candidates/54.0b9-candidates/build3/win64/ta/Firefox Setup 54.0b9.exe",
                           "pub/firefox/releases/54.0/win64/de/Firefox Setup 54.0.exe"}) {
    auto record = rules.record_from_url(std::string(bh::v1::kArchiveUrl) + path);
    if (!record) __builtin_trap();
    auto found = metadata.fetch(*record);
    if (found && *found && !(*found)->is_object()) __builtin_trap();
  }
  const nlohmann::json memo = nlohmann::json::parse(body, nullptr, false);
  if (!memo.is_discarded()) (void)metadata.load_memo(memo);
  (void)metadata.memo_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
