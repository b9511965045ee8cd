// What an archive answers (directory listings, metadata .json and .txt files), an inventory's
// manifest.json, a Kinto server's records page and a saved metadata memo are outside bytes: every answer of the fake archive
// below is the input, for each kind of build and each kind of archive event, and the input is
// read as a manifest and loaded as a memo. Nothing may crash, what a lookup returns must be a JSON
// object or none, and every document an event makes must be a JSON object.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest/kinto_import.h"
#include "ingest/v1_archive_events.h"
#include "ingest/v1_inventory_import.h"
#include "ingest/v1_metadata.h"
#include "v1/inventory_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bh::v1::PathRules rules;
  static std::string body;
  body.assign(reinterpret_cast<const char*>(data), size);
  const bh::v1::ArchiveGet get = [](const std::string&) -> bh::Result<bh::v1::ArchiveAnswer> {
    return bh::v1::ArchiveAnswer{.status = 200, .body = body};
  };
  bh::v1::ArchiveMetadata metadata({.get = get, .archive_url = std::string(bh::v1::kArchiveUrl)});
  (void)metadata.scan_candidates("firefox");
  for (const char* path : {"pub/firefox/nightly/2017/05/2017-05-15-10-02-38-mozilla-central/firefox-55.0a1.en-US.linux-x86_64.tar.bz2",
                           "pub/firefox/candidates/54.0b9-candidates/build3/win64/ta/Firefox Setup 54.0b9.exe",
                           "pub/firefox/releases/54.0/win64/de/Firefox Setup 54.0.exe"}) {
    auto record = rules.record_from_url(std::string(bh::v1::kArchiveUrl) + path);
    if (!record) __builtin_trap();
    auto found = metadata.fetch(*record);
    if (found && *found && !(*found)->is_object()) __builtin_trap();
  }
  static bh::v1::ArchiveEvents events({.get = get, .archive_url = std::string(bh::v1::kArchiveUrl), .max_pending = 64});
  for (const char* key : {"pub/firefox/releases/54.0/win64/fr/Firefox Setup 54.0.exe",
                          "pub/firefox/candidates/56.0b1-candidates/build4/linux-x86_64/en-US/firefox-56.0b1.json",
                          "pub/mobile/candidates/56.0b1-candidates/build1/android-api-15/multi/fennec-56.0b1.multi.android-arm.json",
                          "pub/firefox/nightly/2017/08/2017-08-05-10-03-34-mozilla-central/firefox-57.0a1.en-US.linux-x86_64.json"}) {
    auto outcome = events.handle({.key = key, .size = 1, .event_time = "2017-08-08T17:06:52.030Z"});
    if (!outcome) continue;
    for (const bh::IngestItem& item : outcome->items) {
      if (item.read_error.is_ok() && !nlohmann::json::parse(item.bytes, nullptr, false).is_object()) __builtin_trap();
    }
  }
  if (auto manifest = bh::v1::parse_inventory_manifest(body)) {
    for (const auto& piece : manifest->files) {
      if (piece.key.empty() || piece.md5.size() != 32) __builtin_trap();
      (void)bh::inventory_piece_object_key("public/inventories/x/", piece.key);
    }
  }
  auto kinto = bh::kinto_http_reader(
      [](const std::string&) -> bh::Result<bh::KintoHttpAnswer> {
        return bh::KintoHttpAnswer{.status = 200, .next_page = "http://127.0.0.1/v1/next", .body = body};
      },
      "http://127.0.0.1/v1", {}, 10);
  if (auto page = kinto->read("")) {
    for (const auto& record : page->records) {
      if (record.data.is_discarded()) __builtin_trap();  // only whole values come out of a page
    }
  }
  const nlohmann::json memo = nlohmann::json::parse(body, nullptr, false);
  if (!memo.is_discarded()) (void)metadata.load_memo(memo);
  (void)metadata.memo_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
