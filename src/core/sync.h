// Locks that take part in clang's thread-safety analysis (core/thread_annotations.h).
//
//   Mutex / MutexLock      an exclusive lock and its scope guard
//   CondVar                waits on a MutexLock (write the loop around wait() yourself: the
//                          analysis cannot see that a predicate lambda runs under the lock)
//   SharedMutex            readers share, a writer excludes everyone; writers are preferred
//                          (a waiting writer holds new readers back, so a steady stream of
//                          readers cannot starve it), and a writer may wait politely with
//                          try_lock_for(), which lets the held-back readers in again on timeout
//   ReaderLock / WriterLock  scope guards for SharedMutex
//
// Thread safety: these are the synchronisation primitives; every member is safe for concurrent
// use as their contracts say. Failure: none (std::system_error from the OS terminates, as with
// std::mutex in a noexcept context).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "core/thread_annotations.h"

namespace bh {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { m_.lock(); }
  void unlock() RELEASE() { m_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return m_.try_lock(); }

 private:
  friend class MutexLock;
  std::mutex m_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) : lock_(mutex.m_) {}
  ~MutexLock() RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  friend class CondVar;
  std::unique_lock<std::mutex> lock_;
};

class CondVar {
 public:
  // Releases the lock while waiting; it is held again on return. Spurious wake-ups happen.
  void wait(MutexLock& lock) { cv_.wait(lock.lock_); }
  // False when the time passed without a notification.
  template <typename Clock, typename Duration>
  bool wait_until(MutexLock& lock, std::chrono::time_point<Clock, Duration> until) {
    return cv_.wait_until(lock.lock_, until) == std::cv_status::no_timeout;
  }
  template <typename Rep, typename Period>
  bool wait_for(MutexLock& lock, std::chrono::duration<Rep, Period> d) {
    return cv_.wait_for(lock.lock_, d) == std::cv_status::no_timeout;
  }
  void notify_one() { cv_.notify_one(); }
  void notify_all() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

class CAPABILITY("shared mutex") SharedMutex {
 public:
  // Exclusive: waits for the readers inside to leave; new readers wait meanwhile.
  void lock() ACQUIRE();
  // Exclusive, but gives up after `patience`; on giving up the held-back readers go in again.
  bool try_lock_for(std::chrono::nanoseconds patience) TRY_ACQUIRE(true);
  void unlock() RELEASE();
  void lock_shared() ACQUIRE_SHARED();
  void unlock_shared() RELEASE_SHARED();

 private:
  std::mutex m_;
  std::condition_variable readers_cv_;
  std::condition_variable writers_cv_;
  int readers_inside_ = 0;
  int writers_waiting_ = 0;
  bool writer_inside_ = false;
};

class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mutex) ACQUIRE_SHARED(mutex) : mutex_(mutex) { mutex_.lock_shared(); }
  ~ReaderLock() RELEASE() { mutex_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mutex_;
};

class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mutex) ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~WriterLock() RELEASE() { mutex_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mutex_;
};

inline void SharedMutex::lock() {
  std::unique_lock l(m_);
  ++writers_waiting_;
  while (writer_inside_ || readers_inside_ > 0) writers_cv_.wait(l);
  --writers_waiting_;
  writer_inside_ = true;
}

inline bool SharedMutex::try_lock_for(std::chrono::nanoseconds patience) {
  const auto until = std::chrono::steady_clock::now() + patience;
  std::unique_lock l(m_);
  ++writers_waiting_;
  while (writer_inside_ || readers_inside_ > 0) {
    if (writers_cv_.wait_until(l, until) == std::cv_status::timeout && (writer_inside_ || readers_inside_ > 0)) {
      --writers_waiting_;
      if (writers_waiting_ == 0) readers_cv_.notify_all();
      return false;
    }
  }
  --writers_waiting_;
  writer_inside_ = true;
  return true;
}

inline void SharedMutex::unlock() {
  std::lock_guard l(m_);
  writer_inside_ = false;
  if (writers_waiting_ > 0) writers_cv_.notify_one();
  else readers_cv_.notify_all();
}

inline void SharedMutex::lock_shared() {
  std::unique_lock l(m_);
  while (writer_inside_ || writers_waiting_ > 0) readers_cv_.wait(l);
  ++readers_inside_;
}

inline void SharedMutex::unlock_shared() {
  std::lock_guard l(m_);
  if (--readers_inside_ == 0 && writers_waiting_ > 0) writers_cv_.notify_one();
}

}  // namespace bh
