// Everything the partial service parses from outside: Senbonzakura's form and JSON bodies, the
// JSON API body, a stored job request, fetch URLs and redirect Locations, and download Ranges.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/byte_range.h"
#include "service/mar_fetcher.h"
#include "service/partial_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto spec = bh::service::parse_senbonzakura_request(text, "application/x-www-form-urlencoded")) {
    // What parses must round-trip through the job store's form.
    auto again = bh::service::parse_partial_spec_json(spec->to_json());
    if (!again || again->identifier() != spec->identifier()) __builtin_trap();
    if (!bh::service::is_partial_identifier(spec->identifier())) __builtin_trap();
  }
  (void)bh::service::parse_senbonzakura_request(text, "application/json");
  (void)bh::service::parse_partial_api_request(text);
  (void)bh::service::parse_partial_spec_json(text);
  if (auto url = bh::service::parse_fetch_url(text)) {
    (void)bh::service::resolve_location(*url, text.substr(size / 2));
    auto reparsed = bh::service::parse_fetch_url(url->text());
    if (!reparsed || reparsed->host != url->host || reparsed->port != url->port) __builtin_trap();
  }
  (void)bh::service::internal_address_kind(text);
  const std::uint64_t file_size = size;
  const bh::RangeAnswer range = bh::parse_byte_range(text, file_size);
  if (range.outcome == bh::RangeOutcome::kPartial &&
      (range.range.first > range.range.last || range.range.last >= file_size)) {
    __builtin_trap();
  }
  return 0;
}
