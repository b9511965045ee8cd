// SearchService: following the store (in-process inserts at once, other processes by polling,
// errors reported and retried) and the time budget of a search.
#include "search/search_service.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "demo_records.h"
#include "ingest/demo_data.h"
#include "store/memory/memory_record_store.h"

namespace bh::search {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

using testing::demo_new_records;

// A store whose reads fail while `failing` is set, as a database that went away would.
class FlakyStore final : public RecordStore {
 public:
  explicit FlakyStore(RecordStore& inner) : inner_(inner) {}
  std::atomic<bool> failing{false};
  Result<std::vector<InsertOutcome>> commit_batch(const StoreBatch& b) override { return inner_.commit_batch(b); }
  Result<std::vector<std::optional<std::string>>> known_s3_etags(std::span<const std::string> keys) override {
    return inner_.known_s3_etags(keys);
  }
  Result<std::vector<Rejection>> list_rejections(std::int64_t before, std::size_t limit) override {
    return inner_.list_rejections(before, limit);
  }
  Result<std::int64_t> count_rejections() override { return inner_.count_rejections(); }
  Result<std::optional<StoredRecord>> get(RecordId id) override { return inner_.get(id); }
  Result<std::optional<StoredRecord>> find_by_hash(std::string_view h) override { return inner_.find_by_hash(h); }
  Result<std::int64_t> count() override { return inner_.count(); }
  Result<RecordId> last_id() override { return inner_.last_id(); }
  Result<std::vector<StoredRecord>> read_after(RecordId after, std::size_t limit) override {
    if (failing.load()) return fail(unavailable("the database went away"));
    return inner_.read_after(after, limit);
  }
  Status check_health() override { return inner_.check_health(); }
  std::string describe() const override { return "flaky"; }

 private:
  RecordStore& inner_;
};

std::int64_t total_of(SearchService& service, std::string_view body = R"({"size":0})") {
  auto answer = service.search({.body = body});
  EXPECT_TRUE(answer) << answer.error().to_string();
  if (!answer) return -1;
  return json::parse(answer->body)["hits"]["total"].get<std::int64_t>();
}

class SearchServiceTest : public ::testing::Test {
 protected:
  SearchServiceOptions options(std::chrono::milliseconds poll) {
    SearchServiceOptions o;
    o.poll_interval = poll;
    o.records_per_lock = 7;  // many slices, so searches interleave with a catch-up
    return o;
  }
  Executor executor_{{.cpu_budget = 2}};
  MemoryRecordStore inner_;
};

TEST_F(SearchServiceTest, InsertsOfThisProcessAreInTheNextSearch) {
  auto notifying = std::make_unique<NotifyingRecordStore>(std::make_unique<MemoryRecordStore>());
  ASSERT_TRUE(notifying->insert_batch(demo_new_records(1, 20, "a")));
  SearchService service(*notifying, executor_, system_clock(), options(1h));  // never polls
  notifying->add_listener([&](RecordId id) { service.notify_stored(id); });
  ASSERT_TRUE(service.load());
  EXPECT_EQ(total_of(service), 20);
  service.start_following({});
  for (int round = 1; round <= 5; ++round) {
    ASSERT_TRUE(notifying->insert_batch(demo_new_records(100 + round, 30, "r" + std::to_string(round))));
    EXPECT_EQ(total_of(service), 20 + 30 * round) << "round " << round;
  }
  EXPECT_EQ(service.stats().last_record_id, 170);
}

TEST_F(SearchServiceTest, RecordsOfOtherProcessesArriveByPolling) {
  SearchService service(inner_, executor_, system_clock(), options(10ms));
  ASSERT_TRUE(service.load());
  std::atomic<std::size_t> caught_up{0};
  service.start_following({.on_error = {}, .on_caught_up = [&](std::size_t n, auto, const IndexStats&) { caught_up += n; }});
  // Stored behind the service's back (no notification), as `buildhub ingest` in another process.
  ASSERT_TRUE(inner_.insert_batch(demo_new_records(2, 50, "x")));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (total_of(service) != 50 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(total_of(service), 50);
  EXPECT_EQ(caught_up.load(), 50u);
}

TEST_F(SearchServiceTest, FollowerErrorsAreReportedAndRetriedWhileSearchesGoOn) {
  FlakyStore flaky(inner_);
  ASSERT_TRUE(inner_.insert_batch(demo_new_records(3, 10, "a")));
  SearchService service(flaky, executor_, system_clock(), options(5ms));
  ASSERT_TRUE(service.load());
  std::atomic<int> errors{0};
  flaky.failing = true;
  service.start_following({.on_error = [&](const Status& s) {
                             EXPECT_EQ(s.code(), Code::kUnavailable);
                             errors.fetch_add(1);
                           },
                           .on_caught_up = {}});
  ASSERT_TRUE(inner_.insert_batch(demo_new_records(4, 5, "b")));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (errors.load() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
  EXPECT_GT(errors.load(), 0);
  EXPECT_EQ(total_of(service), 10);  // what is indexed is still served
  flaky.failing = false;
  while (total_of(service) != 15 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(total_of(service), 15);
}

TEST_F(SearchServiceTest, ATimeoutOfZeroAnswersTimedOutWithNothingMatched) {
  ASSERT_TRUE(inner_.insert_batch(demo_new_records(5, 40, "a")));
  SearchService service(inner_, executor_, system_clock(), options(1h));
  ASSERT_TRUE(service.load());
  auto answer = service.search({.body = R"({"timeout":"0","query":{"match_all":{}}})"});
  ASSERT_TRUE(answer) << answer.error().to_string();
  EXPECT_TRUE(answer->timed_out);
  const json body = json::parse(answer->body);
  EXPECT_EQ(body["timed_out"], true);
  EXPECT_EQ(body["hits"]["total"], 0);
  EXPECT_TRUE(body["hits"]["hits"].empty());
  // Without a timeout the same search finds everything and says it did not time out.
  auto full = service.search({.body = R"({"query":{"match_all":{}}})"});
  ASSERT_TRUE(full);
  EXPECT_FALSE(full->timed_out);
  EXPECT_EQ(json::parse(full->body)["hits"]["total"], 40);
}

TEST_F(SearchServiceTest, TimeValuesParseAsElasticsearchsAndBadOnesAre400) {
  SearchService service(inner_, executor_, system_clock(), options(1h));
  ASSERT_TRUE(service.load());
  for (const char* ok : {R"({"timeout":"10s"})", R"({"timeout":"1500ms"})", R"({"timeout":"2m"})", R"({"timeout":"-1"})",
                         R"({"timeout":"1.5s"})", R"({"timeout":"100micros"})", R"({"timeout":"30S"})"}) {
    auto a = service.search({.body = ok});
    ASSERT_TRUE(a) << ok << ": " << a.error().to_string();
  }
  for (const char* bad : {R"({"timeout":"10"})", R"({"timeout":"abc"})", R"({"timeout":"5 parsecs"})", R"({"timeout":true})",
                          R"({"timeout":"-5s"})"}) {
    auto a = service.search({.body = bad});
    ASSERT_FALSE(a) << bad;
    EXPECT_EQ(a.error().code(), Code::kInvalidArgument) << bad;
  }
  auto uri = service.search({.body = "", .params = {{"q", "*"}, {"timeout", "nonsense"}}});
  ASSERT_FALSE(uri);
  EXPECT_NE(uri.error().message().find("unit is missing or unrecognized"), std::string::npos);
}

TEST_F(SearchServiceTest, QueueTimeCountsAgainstTheBudget) {
  ASSERT_TRUE(inner_.insert_batch(demo_new_records(6, 10, "a")));
  ManualClock clock;
  auto o = options(1h);
  o.max_search_time = 100ms;
  SearchService service(inner_, executor_, clock, o);
  ASSERT_TRUE(service.load());
  const Clock::Instant arrived = clock.monotonic_now();
  clock.advance(150ms);  // waited for a worker longer than the whole budget
  auto late = service.search({.body = R"({"size":0})", .received = arrived});
  ASSERT_TRUE(late);
  EXPECT_TRUE(late->timed_out);
  auto fresh = service.search({.body = R"({"size":0})"});
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(fresh->timed_out);
  EXPECT_EQ(json::parse(fresh->body)["hits"]["total"], 10);
}

}  // namespace
}  // namespace bh::search
