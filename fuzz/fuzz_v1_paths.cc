// Buildhub v1's archive-path rules on arbitrary paths, and inventory CSV lines: inventory keys
// and S3 event keys are outside bytes. Every function must return (a record or an error), never
// crash, and a record it returns must keep the URL it was given and its id.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "v1/inventory_rows.h"
#include "v1/path_rules.h"
#include "v1/url_facts.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bh::v1::PathRules rules;
  static const bh::v1::InventoryRowRules row_rules;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string url = bh::v1::key_to_archive_url(text);
  for (std::string_view product : {"firefox", "thunderbird", "mobile", "devedition"}) {
    (void)rules.is_build_url(product, url);
    (void)bh::v1::is_nightly_build_metadata(product, url);
    (void)bh::v1::is_rc_build_metadata(product, url);
  }
  // The one-pass scan answers what a search for each word answers.
  const bh::v1::UrlFacts facts = bh::v1::scan_url(text);
  constexpr std::pair<std::string_view, bh::v1::UrlWord> kWords[] = {
      {"nightly", bh::v1::UrlWord::kNightly},       {"mozilla-central", bh::v1::UrlWord::kMozillaCentral},
      {"comm-central", bh::v1::UrlWord::kCommCentral}, {"win", bh::v1::UrlWord::kWin},
      {"candidates", bh::v1::UrlWord::kCandidates}, {"funnelcake", bh::v1::UrlWord::kFunnelcake},
      {"aurora", bh::v1::UrlWord::kAurora},         {"devedition", bh::v1::UrlWord::kDevedition},
      {"old-id", bh::v1::UrlWord::kOldId}};
  for (const auto& [word, id] : kWords) {
    if (facts.has(id) != (text.find(word) != std::string_view::npos)) __builtin_trap();
  }
  bool hinted = false;
  for (std::string_view hint : bh::v1::excluded_name_hints()) hinted = hinted || text.find(hint) != std::string_view::npos;
  if (facts.has(bh::v1::UrlWord::kExcludedNameHint) != hinted) __builtin_trap();
  if (auto record = rules.record_from_url(url)) {
    if (record->url != url) __builtin_trap();
    auto id = bh::v1::build_record_id(*record);
    if (!id || *id != record->id) __builtin_trap();
    if (!bh::v1::normalized_platform(record->platform)) __builtin_trap();
    (void)record->to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  (void)bh::v1::localize_nightly_url(url);
  (void)bh::v1::localize_release_candidate_url(url);
  (void)bh::v1::guess_mimetype(url);
  (void)bh::v1::build_date_from_build_id(text);
  (void)bh::v1::parse_nightly_txt_metadata(text);
  (void)bh::v1::parse_iso8601(text);
  (void)bh::v1::parse_inventory_size(text);
  // The input as an inventory CSV line. The hot loop's view parser reads exactly what the full
  // reader reads: the same fields, or the same refusal.
  bh::v1::InventoryRowView view;
  bh::v1::InventoryRow scratch;
  const bh::Status viewed = bh::v1::parse_inventory_line(text, view, scratch);
  const auto full = bh::v1::parse_inventory_line(text);
  if (viewed.is_ok() != full.has_value()) __builtin_trap();
  if (full && (view.bucket != full->bucket || view.key != full->key || view.size != full->size ||
               view.last_modified != full->last_modified || view.etag != full->etag)) {
    __builtin_trap();
  }
  if (auto row = bh::v1::parse_inventory_line(text)) {
    const auto result = row_rules.process(*row);
    if ((result.outcome == bh::v1::RowOutcome::kRecord) != result.record.has_value()) __builtin_trap();
    // The DOM-free output line must be the DOM's bytes whenever it is used.
    std::string fast;
    if (result.record && bh::v1::append_record_line(*result.record, true, fast)) {
      const nlohmann::json dom = {{"data", result.record->to_json()}};
      if (fast != dom.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) __builtin_trap();
    }
  }
  return 0;
}
