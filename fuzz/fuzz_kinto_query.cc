// Kinto listing query strings: parse, and when they parse, run them on a small store through
// the search engine. The oracle: nothing crashes, a failure is a client error (InvalidArgument)
// naming a parameter, and an answer is a JSON array of at most the page size whose cursor, fed
// back as a token, is accepted.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/executor.h"
#include "ingest/demo_data.h"
#include "search/search_service.h"
#include "server/url.h"
#include "store/memory/memory_record_store.h"
#include "v1/kinto_query.h"
#include "v1/kinto_records.h"

namespace {

bh::v1::KintoRecords& records() {
  static bh::v1::KintoRecords* r = [] {
    auto* store = new bh::MemoryRecordStore();
    bh::DemoDataGenerator gen(3);
    std::vector<bh::NewRecord> batch;
    for (int n = 0; n < 200; ++n) {
      bh::NewRecord rec;
      rec.build_hash = "v1:" + std::to_string(n);
      rec.document = gen.next_document();
      if (n % 10 == 0) rec.metadata = R"({"kinto_id":"k)" + std::to_string(n) + R"(","kinto_last_modified":1500000000000})";
      batch.push_back(std::move(rec));
    }
    if (!store->insert_batch(batch)) __builtin_trap();
    auto* executor = new bh::Executor({.cpu_budget = 1});
    auto* search = new bh::search::SearchService(*store, *executor, bh::system_clock(), {});
    if (!search->load()) __builtin_trap();
    return new bh::v1::KintoRecords(*store, *search);
  }();
  return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)bh::v1::decode_kinto_token(text);
  auto params = bh::parse_query(text);
  if (!params) return 0;
  auto query = bh::v1::parse_kinto_query(*params);
  if (!query) {
    if (query.error().code() != bh::Code::kInvalidArgument) __builtin_trap();
    if (bh::v1::kinto_error_parameter(query.error().message()).empty()) __builtin_trap();
    return 0;
  }
  const std::size_t limit = 1 + size % 7;
  auto page = records().list({.query = *query, .limit = limit});
  if (!page) {
    if (page.error().code() != bh::Code::kInvalidArgument) __builtin_trap();
    return 0;
  }
  const auto listed = nlohmann::json::parse(page->data, nullptr, false);
  if (!listed.is_array() || listed.size() > limit || listed.size() != page->records || page->records > page->total) {
    __builtin_trap();
  }
  if (page->next) {
    auto back = bh::v1::decode_kinto_token(bh::v1::encode_kinto_token(*page->next));
    if (!back || *back != *page->next) __builtin_trap();
    query->after = *back;
    if (!records().list({.query = *query, .limit = limit})) __builtin_trap();
  }
  return 0;
}
