#include "core/executor.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

namespace bh {

void set_current_thread_name(std::string_view name) {
  const std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

// ---- memory ----

void MemoryReservation::release() {
  if (budget_ != nullptr && bytes_ > 0) budget_->give_back(bytes_);
  budget_ = nullptr;
  bytes_ = 0;
}

void MemoryReservation::shrink_to(std::uint64_t bytes) {
  if (budget_ == nullptr || bytes >= bytes_) return;
  budget_->give_back(bytes_ - bytes);
  bytes_ = bytes;
}

Result<MemoryReservation> MemoryBudget::reserve(std::uint64_t bytes, std::string_view purpose, Deadline deadline) {
  if (total_ == 0) return MemoryReservation(nullptr, 0);
  if (bytes > total_) {
    return fail(too_large(fmt::format("{} needs {} bytes of memory, more than the whole budget of {}", purpose, bytes,
                                      total_)));
  }
  MutexLock lock(mutex_);
  while (total_ - in_use_ < bytes) {
    if (!deadline.is_set()) {
      freed_.wait(lock);
    } else if (deadline.expired() ||
               !freed_.wait_for(lock, std::min<std::chrono::nanoseconds>(deadline.remaining(), std::chrono::milliseconds(50)))) {
      if (deadline.expired() && total_ - in_use_ < bytes) {
        return fail(unavailable(fmt::format("{} waited for {} bytes of memory; {} of {} are in use", purpose, bytes,
                                            in_use_, total_)));
      }
    }
  }
  in_use_ += bytes;
  return MemoryReservation(this, bytes);
}

std::uint64_t MemoryBudget::in_use() const {
  MutexLock lock(mutex_);
  return in_use_;
}

void MemoryBudget::give_back(std::uint64_t bytes) {
  MutexLock lock(mutex_);
  in_use_ -= bytes;
  freed_.notify_all();
}

// ---- executor ----

Executor::Executor(const ExecutorOptions& options)
    : cpu_budget_(options.cpu_budget == 0 ? std::max(1u, std::thread::hardware_concurrency()) : options.cpu_budget),
      memory_(options.memory_budget) {
  workers_.reserve(cpu_budget_);
  for (unsigned i = 0; i < cpu_budget_; ++i) {
    workers_.push_back(start_thread(fmt::format("{}-{}", options.thread_name, i), [this, nice = options.nice_increment] {
      // Linux applies setpriority(PRIO_PROCESS, tid) to the one thread; failure only costs priority.
      if (nice != 0) (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), ::getpriority(PRIO_PROCESS, 0) + nice);
      work_loop();
    }));
  }
}

Executor::~Executor() { shutdown(); }

void Executor::post(std::function<void()> task) {
  {
    MutexLock lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(task));
      work_available_.notify_one();
      return;
    }
  }
  task();  // after shutdown: nobody else would run it
}

std::size_t Executor::queued() const {
  MutexLock lock(mutex_);
  return queue_.size();
}

void Executor::shutdown() {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    work_available_.notify_all();
  }
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
}

void Executor::work_loop() {
  while (true) {
    std::function<void()> task;
    {
      MutexLock lock(mutex_);
      while (queue_.empty() && !stopping_) work_available_.wait(lock);
      if (queue_.empty()) return;  // stopping, and everything queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    running_.fetch_add(1, std::memory_order_relaxed);
    try {
      task();
    } catch (...) {
      // A task that throws is a bug; the contract forbids it and nothing could report it.
      std::fputs("buildhub: a task on the executor threw an exception\n", stderr);
      std::abort();
    }
    running_.fetch_sub(1, std::memory_order_relaxed);
  }
}

namespace {

// The shared state of one parallel_for. Helpers posted to the pool may start after the caller
// has finished every index; they then find the loop closed and leave without touching `task`.
struct ParallelLoop {
  ParallelLoop(std::size_t n, const std::function<Status(std::size_t)>* t) : count(n), task(t) {}

  void run_indices() {
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      Status s = (*task)(i);
      if (!s) {
        MutexLock lock(mutex);
        if (i < failed_index) {
          failed_index = i;
          first_failure = std::move(s);
        }
        failed.store(true);
      }
    }
  }

  void help() {
    {
      MutexLock lock(mutex);
      if (closed) return;
      ++helpers_inside;
    }
    run_indices();
    MutexLock lock(mutex);
    if (--helpers_inside == 0) helpers_left.notify_all();
  }

  // Called by the caller once it ran out of indices: no helper starts after this returns.
  Status close_and_wait() {
    MutexLock lock(mutex);
    closed = true;
    while (helpers_inside > 0) helpers_left.wait(lock);
    return std::move(first_failure);
  }

  const std::size_t count;
  const std::function<Status(std::size_t)>* task;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  Mutex mutex;
  CondVar helpers_left;
  bool closed GUARDED_BY(mutex) = false;
  int helpers_inside GUARDED_BY(mutex) = 0;
  std::size_t failed_index GUARDED_BY(mutex) = SIZE_MAX;
  Status first_failure GUARDED_BY(mutex);
};

}  // namespace

Status Executor::parallel_for(std::size_t count, unsigned jobs, const std::function<Status(std::size_t)>& task) {
  if (count == 0) return Status::ok();
  const std::size_t threads = std::min<std::size_t>({jobs_for(jobs), cpu_budget_, count});
  auto loop = std::make_shared<ParallelLoop>(count, &task);
  for (std::size_t h = 1; h < threads; ++h) post([loop] { loop->help(); });
  loop->run_indices();
  return loop->close_and_wait();
}

}  // namespace bh
