// Runs independent tasks on a few threads and reports the first failure.
//
// parallel_for(count, jobs, task) calls task(i) once for every i in [0, count), on up to `jobs`
// threads (0: one per core), handing out indices in order. After a task fails no new task
// starts; the Status of the failed task with the lowest index among those that ran is returned.
// `task` must be safe to call concurrently for different indices. Exceptions must not escape it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"

namespace bh {

inline unsigned default_job_count() { return std::max(1u, std::thread::hardware_concurrency()); }

// The number of threads a `jobs` option means: itself, or one per core for 0.
inline unsigned resolve_job_count(unsigned jobs) { return jobs == 0 ? default_job_count() : jobs; }

inline Status parallel_for(std::size_t count, unsigned jobs, const std::function<Status(std::size_t)>& task) {
  const std::size_t threads = std::min<std::size_t>(resolve_job_count(jobs), count);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::size_t failed_index = count;
  Status first_failure;
  auto worker = [&] {
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      Status s = task(i);
      if (!s) {
        std::lock_guard<std::mutex> lock(mutex);
        if (i < failed_index) {
          failed_index = i;
          first_failure = std::move(s);
        }
        failed.store(true);
      }
    }
  };
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (std::thread& t : pool) t.join();
  }
  return first_failure;
}

}  // namespace bh
