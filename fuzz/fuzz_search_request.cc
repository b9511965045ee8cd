// Search bodies and URI searches: parse, and when they parse, run them on a small index. The oracle is that
// nothing crashes, a failure is always a client error (InvalidArgument), and a success is JSON, also when
// the time budget runs out part-way.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "ingest/demo_data.h"
#include "search/es_errors.h"
#include "search/executor.h"
#include "search/query_string.h"
#include "search/request_parser.h"
#include "server/url.h"

namespace {

const bh::search::SearchIndex& index() {
  static bh::search::SearchIndex* idx = [] {
    auto* i = new bh::search::SearchIndex();
    bh::DemoDataGenerator gen(1);
    std::vector<std::string> docs;
    for (int n = 0; n < 200; ++n) docs.push_back(gen.next_document());
    std::vector<bh::search::IndexInput> in;
    for (std::size_t n = 0; n < docs.size(); ++n) in.push_back({static_cast<bh::RecordId>(n + 1), docs[n]});
    i->add_batch(in);
    return i;
  }();
  return *idx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  bh::search::SearchLimits limits;
  auto request = bh::search::parse_search_body(text, limits, 1700000000000);
  if (!request) {
    if (request.error().code() != bh::Code::kInvalidArgument) __builtin_trap();
    // The error the client gets is Elasticsearch's shape, valid JSON whatever the message holds.
    const auto body = nlohmann::json::parse(bh::search::es_error_body(request.error()), nullptr, false);
    if (body.is_discarded() || !body["error"]["reason"].is_string() || body["status"] != 400) __builtin_trap();
  } else {
    // Half the inputs run against a clock that moves on at every reading, so the deadline passes
    // somewhere inside evaluation or collection: the partial paths must hold too.
    bh::ManualClock clock;
    clock.set_step(std::chrono::milliseconds(1));
    const bh::Deadline deadline = (size % 2 == 1) ? bh::Deadline::after(clock, std::chrono::milliseconds(2 + size % 7))
                                                  : bh::Deadline::never();
    bh::search::SearchExecutor exec(index(), limits, clock, deadline);
    auto out = exec.run(*request);
    if (out) {
      if (!nlohmann::json::accept(*out)) __builtin_trap();
    } else if (out.error().code() != bh::Code::kInvalidArgument) {
      __builtin_trap();
    }
  }
  // The same bytes as a URI search (GET /api/search?...).
  if (auto params = bh::parse_query(text)) {
    auto uri = bh::search::parse_uri_search(*params, limits, 1700000000000);
    if (!uri && uri.error().code() != bh::Code::kInvalidArgument) __builtin_trap();
  }
  // The same bytes as a query_string and a simple_query_string.
  bh::search::QueryStringOptions qs;
  qs.query = std::string(text);
  auto q = bh::search::parse_query_string(qs);
  if (!q && q.error().code() != bh::Code::kInvalidArgument) __builtin_trap();
  auto s = bh::search::parse_simple_query_string(qs);
  if (!s) __builtin_trap();  // simple_query_string never fails on syntax
  return 0;
}
