// Executor: the process's one pool of worker threads, with a CPU budget and a memory budget.
//
// Everything CPU-bound runs here: searches, the ingest pipeline's parse/validate stage, the
// diff's sorting and scanning, MAR entry (de)compression, and later partial builds and job
// workers. The pool has `cpu_budget` workers (0: one per core); nothing else in the process starts
// threads for CPU work. Blocking I/O loops (a file reader, the index follower, HTTP I/O threads)
// run on threads of their own, started through core/thread.h, and are not counted here.
//
//   post(task)                fire and forget, FIFO; the task must not throw.
//   parallel_for(n, jobs, f)  f(0..n-1) on up to `jobs` threads counting the caller, which works
//                             too: a saturated pool (or a call from inside a worker) still makes
//                             progress on the caller's thread, so nesting cannot deadlock.
//   memory().reserve(bytes)   what large allocations (the diff's index, a partial build) hold
//                             while they run; a request above the whole budget fails at once
//                             (kTooLarge), others wait for room (or their deadline).
//
// "jobs = 0" means the CPU budget, resolved in one place (jobs_for), never per caller.
//
// Ownership: callers own the Executor and pass it by reference; it outlives everything that
// posts to it. shutdown() (or the destructor) runs every queued task, then joins the workers.
// Thread safety: every member is safe for concurrent use.
// Failure: parallel_for returns the failure of the lowest-numbered failed index that ran (no new
// index starts after a failure); post cannot fail.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/sync.h"
#include "core/thread.h"

namespace bh {

class MemoryBudget;

// Bytes held against a MemoryBudget until destroyed (or release()d). Move-only.
class MemoryReservation {
 public:
  MemoryReservation() = default;
  MemoryReservation(MemoryReservation&& other) noexcept { swap(other); }
  MemoryReservation& operator=(MemoryReservation&& other) noexcept {
    if (this != &other) {
      release();
      swap(other);
    }
    return *this;
  }
  MemoryReservation(const MemoryReservation&) = delete;
  MemoryReservation& operator=(const MemoryReservation&) = delete;
  ~MemoryReservation() { release(); }

  std::uint64_t bytes() const { return bytes_; }
  void release();
  // Gives back what is held beyond `bytes` (a job whose large phase is over); never grows.
  void shrink_to(std::uint64_t bytes);

 private:
  friend class MemoryBudget;
  MemoryReservation(MemoryBudget* budget, std::uint64_t bytes) : budget_(budget), bytes_(bytes) {}
  void swap(MemoryReservation& other) noexcept {
    std::swap(budget_, other.budget_);
    std::swap(bytes_, other.bytes_);
  }
  MemoryBudget* budget_ = nullptr;
  std::uint64_t bytes_ = 0;
};

class MemoryBudget {
 public:
  // total 0: no limit (every reservation succeeds at once).
  explicit MemoryBudget(std::uint64_t total) : total_(total) {}

  // Holds `bytes` for `purpose` (named in errors). kTooLarge when bytes exceed the whole budget;
  // otherwise waits until they fit, or fails with kUnavailable when `deadline` passes first.
  // A holder must not wait for a second reservation while it keeps the first (that can deadlock).
  Result<MemoryReservation> reserve(std::uint64_t bytes, std::string_view purpose, Deadline deadline = Deadline::never());

  std::uint64_t total() const { return total_; }
  std::uint64_t in_use() const;

 private:
  friend class MemoryReservation;
  void give_back(std::uint64_t bytes);

  const std::uint64_t total_;
  mutable Mutex mutex_;
  CondVar freed_;
  std::uint64_t in_use_ GUARDED_BY(mutex_) = 0;
};

struct ExecutorOptions {
  unsigned cpu_budget = 0;          // worker threads; 0: one per core
  std::uint64_t memory_budget = 0;  // bytes; 0: no limit
  std::string thread_name = "bh-worker";
  // Added to the workers' nice value (Linux: per thread). A server gives its workers a few
  // points so that the I/O threads, which answer heartbeats and quick lookups, get the CPU first
  // when every core is busy with searches.
  int nice_increment = 0;
};

class Executor {
 public:
  explicit Executor(const ExecutorOptions& options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  unsigned cpu_budget() const { return cpu_budget_; }
  // The number of threads a `jobs` option means here: the CPU budget for 0, else `jobs`
  // (callers may split work into more parts than there are workers; at most the budget run).
  unsigned jobs_for(unsigned jobs) const { return jobs == 0 ? cpu_budget_ : jobs; }

  void post(std::function<void()> task) EXCLUDES(mutex_);
  Status parallel_for(std::size_t count, unsigned jobs, const std::function<Status(std::size_t)>& task);

  MemoryBudget& memory() { return memory_; }

  // Tasks queued and not yet started; tasks running.
  std::size_t queued() const EXCLUDES(mutex_);
  std::size_t running() const { return running_.load(std::memory_order_relaxed); }

  // Runs what is queued, then joins the workers. Idempotent; post() after it runs the task on
  // the caller's thread.
  void shutdown() EXCLUDES(mutex_);

 private:
  void work_loop() EXCLUDES(mutex_);

  const unsigned cpu_budget_;
  MemoryBudget memory_;
  mutable Mutex mutex_;
  CondVar work_available_;
  std::deque<std::function<void()>> queue_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::atomic<std::size_t> running_{0};
  std::vector<std::jthread> workers_;
};

}  // namespace bh
