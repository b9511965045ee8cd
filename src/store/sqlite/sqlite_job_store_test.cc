#include "store/sqlite/sqlite_job_store.h"

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.h"

namespace bh {
namespace {

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_job_store({.location = dir_.path().string(), .fast_sync = false, .clock = nullptr});
    ASSERT_TRUE(opened) << opened.error().to_string();
    store_ = std::move(*opened);
  }
  JobSubmission job(std::string id, std::int64_t max_attempts = 3) {
    return {.id = std::move(id), .request = R"({"k":1})", .max_attempts = max_attempts, .now_ms = 1000};
  }
  static ClaimRequest worker(std::string name, std::int64_t now) {
    return {.worker = std::move(name), .lease_ms = 100, .now_ms = now};
  }
  testing::TempDir dir_;
  std::unique_ptr<JobStore> store_;
};

TEST_F(JobStoreTest, IdenticalSubmissionsCoalesce) {
  auto first = store_->submit(job("a-b"));
  auto second = store_->submit(job("a-b"));
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(first->job.sequence, second->job.sequence);
  EXPECT_EQ(second->job.state, JobState::kQueued);
  auto counts = store_->count_by_state();
  ASSERT_TRUE(counts);
  EXPECT_EQ((*counts)[JobState::kQueued], 1);
}

TEST_F(JobStoreTest, ClaimHeartbeatFinish) {
  ASSERT_TRUE(store_->submit(job("one")));
  ASSERT_TRUE(store_->submit(job("two")));
  auto claimed = store_->claim(worker("w1", 2000));
  ASSERT_TRUE(claimed && *claimed);
  EXPECT_EQ((*claimed)->id, "one");  // oldest first
  EXPECT_EQ((*claimed)->attempts, 1);
  EXPECT_EQ((*claimed)->lease_owner, "w1");
  auto next = store_->claim(worker("w2", 2000));
  ASSERT_TRUE(next && *next);
  EXPECT_EQ((*next)->id, "two");
  auto none = store_->claim(worker("w3", 2000));
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_EQ(store_->heartbeat("one", worker("w1", 2050), R"({"files_done":3})"), true);
  EXPECT_EQ(store_->heartbeat("one", worker("w2", 2050), "{}"), false);  // not the owner
  EXPECT_EQ(store_->finish("one", "w2", "{}", 2060), false);
  EXPECT_EQ(store_->finish("one", "w1", R"({"size":5})", 2060), true);
  auto done = store_->get("one");
  ASSERT_TRUE(done && *done);
  EXPECT_EQ((*done)->state, JobState::kDone);
  EXPECT_EQ((*done)->result, R"({"size":5})");
  EXPECT_EQ((*done)->progress, R"({"files_done":3})");
  EXPECT_EQ((*done)->finished_ms, 2060);
}

TEST_F(JobStoreTest, AnExpiredLeaseIsTakenOverAndTheOldOwnerIsIgnored) {
  ASSERT_TRUE(store_->submit(job("x")));
  ASSERT_TRUE(store_->claim(worker("dies", 2000)));
  auto early = store_->claim(worker("other", 2050));  // lease still valid
  ASSERT_TRUE(early);
  EXPECT_FALSE(*early);
  auto late = store_->claim(worker("other", 2101));
  ASSERT_TRUE(late && *late);
  EXPECT_EQ((*late)->lease_owner, "other");
  EXPECT_EQ((*late)->attempts, 2);
  EXPECT_EQ(store_->heartbeat("x", worker("dies", 2102), "{}"), false);
  EXPECT_EQ(store_->finish("x", "dies", "{}", 2103), false);
  EXPECT_EQ(store_->finish("x", "other", "{}", 2104), true);
}

TEST_F(JobStoreTest, LeasesExpiringMaxAttemptsTimesFailTheJob) {
  ASSERT_TRUE(store_->submit(job("x", 2)));
  ASSERT_TRUE(store_->claim(worker("a", 2000)));
  ASSERT_TRUE(store_->claim(worker("b", 2200)));
  auto third = store_->claim(worker("c", 2400));
  ASSERT_TRUE(third);
  EXPECT_FALSE(*third);
  auto j = store_->get("x");
  ASSERT_TRUE(j && *j);
  EXPECT_EQ((*j)->state, JobState::kFailed);
  EXPECT_NE((*j)->last_error.find("lease"), std::string::npos);
}

TEST_F(JobStoreTest, RetryableFailuresRequeueUntilTheLimitThenAdminRetry) {
  ASSERT_TRUE(store_->submit(job("x", 2)));
  ASSERT_TRUE(store_->claim(worker("a", 2000)));
  ASSERT_EQ(store_->fail("x", "a", {.error = "connection refused", .retryable = true, .retry_after_ms = 500, .now_ms = 2010}),
            true);
  auto waiting = store_->claim(worker("a", 2100));  // not before 2510
  ASSERT_TRUE(waiting);
  EXPECT_FALSE(*waiting);
  auto again = store_->claim(worker("a", 2600));
  ASSERT_TRUE(again && *again);
  ASSERT_EQ(store_->fail("x", "a", {.error = "connection refused", .retryable = true, .retry_after_ms = 0, .now_ms = 2700}),
            true);
  auto failed = store_->get("x");
  ASSERT_TRUE(failed && *failed);
  EXPECT_EQ((*failed)->state, JobState::kFailed);
  EXPECT_EQ((*failed)->last_error, "connection refused");
  EXPECT_EQ(store_->remove("nope"), false);
  EXPECT_EQ(store_->retry("x", 3000), true);
  EXPECT_EQ(store_->retry("x", 3000), false);  // queued now, not failed
  auto retried = store_->claim(worker("a", 3001));
  ASSERT_TRUE(retried && *retried);
  EXPECT_EQ((*retried)->attempts, 1);
  EXPECT_EQ(store_->remove("x"), false);  // running
  ASSERT_EQ(store_->fail("x", "a", {.error = "sha512 mismatch", .retryable = false, .retry_after_ms = 0, .now_ms = 3002}),
            true);
  EXPECT_EQ(store_->remove("x"), true);
  auto gone = store_->get("x");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
}

TEST_F(JobStoreTest, ListsNewestFirstByState) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->submit(job("j" + std::to_string(i))));
  ASSERT_TRUE(store_->claim(worker("a", 2000)));  // j0 runs
  auto queued = store_->list({.state = JobState::kQueued, .before_sequence = 0, .limit = 2});
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ((*queued)[0].id, "j4");
  EXPECT_EQ((*queued)[1].id, "j3");
  auto more = store_->list({.state = JobState::kQueued, .before_sequence = (*queued)[1].sequence, .limit = 10});
  ASSERT_TRUE(more);
  ASSERT_EQ(more->size(), 2u);
  EXPECT_EQ((*more)[1].id, "j1");
}

TEST_F(JobStoreTest, ConcurrentClaimsFromTwoConnectionsNeverShareAJob) {
  auto other = open_job_store({.location = dir_.path().string(), .fast_sync = false, .clock = nullptr});
  ASSERT_TRUE(other);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(store_->submit(job("c" + std::to_string(i))));
  std::vector<std::string> a, b;
  auto drain = [](JobStore& s, std::string name, std::vector<std::string>& got) {
    while (true) {
      auto c = s.claim({.worker = name, .lease_ms = 60'000, .now_ms = 5000});
      ASSERT_TRUE(c);
      if (!*c) return;
      got.push_back((*c)->id);
    }
  };
  std::thread t1([&] { drain(*store_, "a", a); });
  std::thread t2([&] { drain(**other, "b", b); });
  t1.join();
  t2.join();
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 40u);
  EXPECT_EQ(a.size() + b.size(), 40u);
}

}  // namespace
}  // namespace bh
