#include "core/executor.h"

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(Executor, ParallelForRunsEveryIndexOnce) {
  Executor executor({.cpu_budget = 3});
  std::vector<std::atomic<int>> hits(1000);
  ASSERT_TRUE(executor.parallel_for(hits.size(), 0, [&](std::size_t i) {
    hits[i].fetch_add(1);
    return Status::ok();
  }));
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(Executor, ParallelForReportsTheLowestFailedIndexAndStopsStartingNewOnes) {
  Executor executor({.cpu_budget = 2});
  std::atomic<std::size_t> ran{0};
  const Status s = executor.parallel_for(10'000, 0, [&](std::size_t i) -> Status {
    ran.fetch_add(1);
    if (i == 7 || i == 9) return invalid_argument("bad " + std::to_string(i));
    return Status::ok();
  });
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "bad 7");
  EXPECT_LT(ran.load(), 10'000u);
}

TEST(Executor, JobsZeroMeansTheBudgetAndNoMoreThreadsThanTheBudgetRun) {
  Executor executor({.cpu_budget = 2});
  EXPECT_EQ(executor.jobs_for(0), 2u);
  EXPECT_EQ(executor.jobs_for(5), 5u);
  std::atomic<int> inside{0}, most{0};
  ASSERT_TRUE(executor.parallel_for(64, 8, [&](std::size_t) {
    const int now = inside.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {}
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    inside.fetch_sub(1);
    return Status::ok();
  }));
  EXPECT_LE(most.load(), 2);
}

TEST(Executor, NestedParallelForInsideEveryWorkerDoesNotDeadlock) {
  // Budget 1: the only worker runs a task that itself runs a parallel_for; the caller's own
  // thread must do the inner work.
  Executor executor({.cpu_budget = 1});
  std::atomic<int> inner{0};
  Mutex mutex;
  CondVar done_cv;
  bool done = false;
  executor.post([&] {
    EXPECT_TRUE(executor.parallel_for(100, 4, [&](std::size_t) {
      inner.fetch_add(1);
      return Status::ok();
    }));
    MutexLock lock(mutex);
    done = true;
    done_cv.notify_all();
  });
  MutexLock lock(mutex);
  while (!done) done_cv.wait(lock);
  EXPECT_EQ(inner.load(), 100);
}

TEST(Executor, ShutdownRunsEverythingQueuedThenPostRunsInline) {
  std::atomic<int> ran{0};
  {
    Executor executor({.cpu_budget = 1});
    for (int i = 0; i < 50; ++i) executor.post([&] { ran.fetch_add(1); });
    executor.shutdown();
    EXPECT_EQ(ran.load(), 50);
    executor.post([&] { ran.fetch_add(1); });
    EXPECT_EQ(ran.load(), 51);
  }
}

TEST(Executor, PostRunsInFifoOrderOnOneWorker) {
  std::vector<int> order;
  {
    Executor executor({.cpu_budget = 1});
    for (int i = 0; i < 20; ++i) executor.post([&order, i] { order.push_back(i); });
  }
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST(MemoryBudget, ReservationsAddUpAndAreGivenBack) {
  MemoryBudget budget(1000);
  auto a = budget.reserve(600, "a");
  ASSERT_TRUE(a);
  EXPECT_EQ(budget.in_use(), 600u);
  {
    auto b = budget.reserve(400, "b");
    ASSERT_TRUE(b);
    EXPECT_EQ(budget.in_use(), 1000u);
  }
  EXPECT_EQ(budget.in_use(), 600u);
  a->release();
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(MemoryBudget, ShrinkingGivesBackTheDifferenceAndWakesWaiters) {
  MemoryBudget budget(1000);
  auto big = budget.reserve(900, "diff");
  ASSERT_TRUE(big);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto small = budget.reserve(500, "next");
    got = small.has_value();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(got.load());
  big->shrink_to(400);  // the large phase is over
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(big->bytes(), 400u);
  big->shrink_to(800);  // never grows
  EXPECT_EQ(big->bytes(), 400u);
  EXPECT_EQ(budget.in_use(), 400u);
}

TEST(MemoryBudget, MoreThanTheWholeBudgetFailsAtOnce) {
  MemoryBudget budget(1000);
  auto r = budget.reserve(1001, "the diff");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kTooLarge);
  EXPECT_NE(r.error().message().find("the diff needs 1001 bytes"), std::string::npos) << r.error().message();
}

TEST(MemoryBudget, WaitsForRoomUntilTheDeadline) {
  MemoryBudget budget(1000);
  ManualClock clock;
  auto held = budget.reserve(800, "first");
  ASSERT_TRUE(held);
  clock.set_step(std::chrono::milliseconds(10));
  auto late = budget.reserve(300, "second", Deadline::after(clock, std::chrono::milliseconds(100)));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), Code::kUnavailable);

  // Freed by another thread while waiting: the reservation goes through.
  std::jthread freer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    held->release();
  });
  auto waited = budget.reserve(300, "third");
  ASSERT_TRUE(waited);
  EXPECT_EQ(budget.in_use(), 300u);
}

TEST(MemoryBudget, ZeroMeansNoLimit) {
  MemoryBudget budget(0);
  auto r = budget.reserve(std::uint64_t{1} << 50, "huge");
  ASSERT_TRUE(r);
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace
}  // namespace bh
