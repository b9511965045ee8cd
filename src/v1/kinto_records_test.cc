// Kinto's read API over the store: ids, timestamps, filters, sorts and paging, checked against
// a plain evaluation of the same query over the stored documents.
#include "v1/kinto_records.h"

#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "demo_records.h"
#include "ingest/demo_data.h"
#include "store/memory/memory_record_store.h"

namespace bh::v1 {
namespace {

using json = nlohmann::json;

using testing::demo_new_records;

class KintoRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.insert_batch(demo_new_records(7, 300, "d")));
    search_ = std::make_unique<search::SearchService>(store_, executor_, system_clock(), search::SearchServiceOptions{});
    ASSERT_TRUE(search_->load());
    records_ = std::make_unique<KintoRecords>(store_, *search_);
  }

  void add(std::vector<NewRecord> batch) {
    ASSERT_TRUE(store_.insert_batch(batch));
    ASSERT_TRUE(search_->load());
  }

  Result<KintoPage> list(const std::vector<std::pair<std::string, std::string>>& params, std::size_t limit = 10000) {
    auto q = parse_kinto_query(params);
    if (!q) return fail(q.error());
    return records_->list({.query = *q, .limit = std::min(limit, q->limit.value_or(limit))});
  }

  // Every page of a query, following the cursor; the records in order.
  std::vector<json> all_pages(std::vector<std::pair<std::string, std::string>> params, std::size_t limit,
                              std::size_t* total = nullptr) {
    std::vector<json> out;
    for (int guard = 0; guard < 1000; ++guard) {
      auto page = list(params, limit);
      EXPECT_TRUE(page) << page.error().to_string();
      if (!page) break;
      if (total) *total = page->total;
      const json data = json::parse(page->data);
      EXPECT_LE(data.size(), limit);
      for (const auto& r : data) out.push_back(r);
      if (!page->next) break;
      EXPECT_EQ(data.size(), limit);
      std::erase_if(params, [](const auto& p) { return p.first == "_token"; });
      params.emplace_back("_token", encode_kinto_token(*page->next));
    }
    return out;
  }

  // The stored documents with their Kinto fields, by store id.
  std::vector<std::pair<RecordId, json>> documents() {
    std::vector<std::pair<RecordId, json>> out;
    auto stored = store_.read_after(0, 100000);
    EXPECT_TRUE(stored);
    for (const auto& r : *stored) out.emplace_back(r.id, json::parse(r.document));
    return out;
  }

  Executor executor_{{.cpu_budget = 2}};
  MemoryRecordStore store_;
  std::unique_ptr<search::SearchService> search_;
  std::unique_ptr<KintoRecords> records_;
};

TEST_F(KintoRecordsTest, IdsAreV1sAndTimestampsGrowInStoreOrder) {
  auto everything = all_pages({{"_sort", "last_modified"}}, 10000);
  ASSERT_EQ(everything.size(), 300u);
  std::set<std::string> ids;
  std::int64_t previous = 0;
  for (const auto& r : everything) {
    const std::string id = r["id"];
    EXPECT_TRUE(ids.insert(id).second) << "id twice: " << id;
    EXPECT_GT(r["last_modified"].get<std::int64_t>(), previous);
    previous = r["last_modified"];
    // v1's id scheme: product first, lower case, no dots (or our own form for a taken id).
    EXPECT_TRUE(id.starts_with(r["source"]["product"].get<std::string>() + "_") || id.starts_with("buildhub2-")) << id;
    EXPECT_EQ(id.find('.'), std::string::npos);
  }
  auto ts = records_->timestamp();
  ASSERT_TRUE(ts);
  EXPECT_EQ(*ts, previous);
  // By id: the same record.
  const json& some = everything[123];
  auto one = records_->get(some["id"].get<std::string>());
  ASSERT_TRUE(one && *one);
  EXPECT_EQ(json::parse((*one)->data), some);
  auto none = records_->get("firefox_nothing_like_this");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_F(KintoRecordsTest, PagingVisitsEveryRecordOnceNewestFirst) {
  std::size_t total = 0;
  auto pages = all_pages({}, 37, &total);
  EXPECT_EQ(total, 300u);
  ASSERT_EQ(pages.size(), 300u);
  for (std::size_t i = 1; i < pages.size(); ++i) {
    EXPECT_GT(pages[i - 1]["last_modified"].get<std::int64_t>(), pages[i]["last_modified"].get<std::int64_t>());
  }
}

TEST_F(KintoRecordsTest, SinceTheLastETagFindsExactlyTheNewRecords) {
  auto before = records_->timestamp();
  ASSERT_TRUE(before);
  auto nothing = list({{"_since", std::to_string(*before)}});
  ASSERT_TRUE(nothing);
  EXPECT_EQ(nothing->total, 0u);
  EXPECT_EQ(nothing->data, "[]");
  add(demo_new_records(8, 25, "new"));
  auto fresh = all_pages({{"_since", "\"" + std::to_string(*before) + "\""}}, 10);
  EXPECT_EQ(fresh.size(), 25u);
  for (const auto& r : fresh) EXPECT_GT(r["last_modified"].get<std::int64_t>(), *before);
}

// The filters on record fields against a plain evaluation, with a sort on record fields (paged
// by the engine) and with a sort on Kinto's fields (in memory).
TEST_F(KintoRecordsTest, FiltersAndSortsMatchAPlainEvaluation) {
  const auto docs = documents();
  // Expected: firefox records on two platforms, build.id at least some middle value.
  std::vector<std::string> build_ids;
  for (const auto& [id, d] : docs) build_ids.push_back(d["build"]["id"]);
  std::sort(build_ids.begin(), build_ids.end());
  const std::string middle = build_ids[build_ids.size() / 3];
  std::vector<std::pair<RecordId, json>> expected;
  for (const auto& [id, d] : docs) {
    const std::string platform = d["target"]["platform"];
    if (d["source"]["product"] == "firefox" && (platform == "win64" || platform == "linux-x86_64") &&
        d["build"]["id"].get<std::string>() >= middle && d["target"]["locale"] != "en-US") {
      expected.emplace_back(id, d);
    }
  }
  ASSERT_GT(expected.size(), 5u) << "the demo data should have such records";
  using Doc = std::pair<RecordId, json>;
  std::stable_sort(expected.begin(), expected.end(), [](const Doc& a, const Doc& b) {
    const std::string va = a.second["target"]["version"];
    const std::string vb = b.second["target"]["version"];
    if (va != vb) return va < vb;
    const std::string ba = a.second["build"]["id"];
    const std::string bb = b.second["build"]["id"];
    if (ba != bb) return ba > bb;
    return a.first < b.first;
  });
  const std::vector<std::pair<std::string, std::string>> filters = {{"source.product", "firefox"},
                                                                    {"in_target.platform", "win64,linux-x86_64"},
                                                                    {"min_build.id", middle},
                                                                    {"not_target.locale", "en-US"}};
  auto by_engine = filters;
  by_engine.emplace_back("_sort", "target.version,-build.id");
  std::size_t total = 0;
  auto got = all_pages(by_engine, 4, &total);
  EXPECT_EQ(total, expected.size());
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    json doc = got[i];
    doc.erase("id");
    doc.erase("last_modified");
    EXPECT_EQ(doc, expected[i].second) << i;
  }
  // The same filters, oldest first: Kinto's own field, sorted in memory; the same set.
  auto in_memory = filters;
  in_memory.emplace_back("_sort", "last_modified");
  auto oldest_first = all_pages(in_memory, 3, &total);
  EXPECT_EQ(total, expected.size());
  ASSERT_EQ(oldest_first.size(), expected.size());
  std::multiset<std::string> a, b;
  for (const auto& r : got) a.insert(r["id"]);
  for (const auto& r : oldest_first) b.insert(r["id"]);
  EXPECT_EQ(a, b);
  for (std::size_t i = 1; i < oldest_first.size(); ++i) {
    EXPECT_LT(oldest_first[i - 1]["last_modified"].get<std::int64_t>(), oldest_first[i]["last_modified"].get<std::int64_t>());
  }
  // A record-field sort with an id filter: in memory too.
  auto with_id = filters;
  with_id.emplace_back("in_id", got[0]["id"].get<std::string>() + "," + got[1]["id"].get<std::string>());
  with_id.emplace_back("_sort", "-target.version");
  auto two = all_pages(with_id, 1, &total);
  EXPECT_EQ(total, 2u);
  EXPECT_EQ(two.size(), 2u);
}

TEST_F(KintoRecordsTest, KintosOwnIdAndTimestampAreKeptAndWinTheirId) {
  const auto docs = documents();
  // A record imported from Kinto whose id our rules also compute for a record we have.
  auto first_page = list({{"_sort", "last_modified"}, {"_limit", "1"}});
  ASSERT_TRUE(first_page);
  const json first = json::parse(first_page->data);
  ASSERT_EQ(first.size(), 1u);
  const std::string taken = first[0]["id"];
  ASSERT_FALSE(taken.starts_with("buildhub2-"));
  json imported = docs[0].second;
  imported["build"]["id"] = "20990101000000";
  NewRecord r;
  r.build_hash = "v1:imported";
  r.document = imported.dump();
  r.metadata = json{{"kinto_id", taken}, {"kinto_last_modified", 1500000000123LL}}.dump();
  add({r});
  auto mine = records_->get(taken);
  ASSERT_TRUE(mine && *mine);
  const json got = json::parse((*mine)->data);
  EXPECT_EQ(got["build"]["id"], "20990101000000");
  EXPECT_EQ(got["last_modified"], 1500000000123LL);
  auto displaced = records_->get("buildhub2-" + std::to_string(docs[0].first));
  ASSERT_TRUE(displaced && *displaced);
  EXPECT_EQ(json::parse((*displaced)->data)["build"]["id"], docs[0].second["build"]["id"]);
  // Kinto's time is older than ours: last in the default order, and not "since" our records.
  auto page = list({{"_limit", "1"}, {"_sort", "last_modified"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(json::parse(page->data)[0]["id"], taken);
  auto by_time = list({{"last_modified", "1500000000123"}});
  ASSERT_TRUE(by_time);
  EXPECT_EQ(by_time->total, 1u);
}

TEST_F(KintoRecordsTest, FieldsPickAndBadCursorsAreRefused) {
  auto page = list({{"_fields", "target.version,source"}, {"_limit", "2"}});
  ASSERT_TRUE(page);
  for (const auto& r : json::parse(page->data)) {
    EXPECT_EQ(r.size(), 4u) << r.dump();  // target{version}, source, id, last_modified
    EXPECT_EQ(r["target"].size(), 1u);
    EXPECT_TRUE(r["source"].contains("product"));
  }
  ASSERT_TRUE(page->next);
  // A cursor of another sort is refused, not misread.
  auto other = list({{"_sort", "target.version,build.id"}, {"_token", encode_kinto_token(*page->next)}});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), Code::kInvalidArgument);
  auto wrong_type = list({{"_token", encode_kinto_token(json::array({"x", 1}))}});
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().code(), Code::kInvalidArgument);
  // Unknown fields match nothing; their absence matches everything.
  auto unknown = list({{"no.such", "1"}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->total, 0u);
  auto absent = list({{"has_no.such", "false"}, {"_limit", "1"}});
  ASSERT_TRUE(absent);
  EXPECT_EQ(absent->total, 300u);
  // Bytes that are not UTF-8 match nothing (found by fuzz_kinto_query: they once threw).
  auto not_utf8 = list({{"source.product", "f\xff\xffox"}, {"_sort", "-build.id"}});
  ASSERT_TRUE(not_utf8);
  EXPECT_EQ(not_utf8->total, 0u);
  auto like = list({{"like_download.url", "linux-x86_64"}});
  ASSERT_TRUE(like);
  std::size_t linux = 0;
  for (const auto& [id, d] : documents()) linux += d["download"]["url"].get<std::string>().find("linux-x86_64") != std::string::npos;
  EXPECT_EQ(like->total, linux);
}

}  // namespace
}  // namespace bh::v1
