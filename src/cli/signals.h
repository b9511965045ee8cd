// SIGINT/SIGTERM as a stop request, for commands without an HTTP server (which handles its own):
// construct it before any other thread starts (it blocks the two signals for the whole process,
// and a thread waits for them), then pass token() to the work. A second signal exits at once.
//
// Thread safety: construct and destroy on the main thread; token() from anywhere.
#pragma once

#include <atomic>
#include <csignal>
#include <stop_token>
#include <thread>

namespace bh::cli {

class StopOnSignals {
 public:
  StopOnSignals();
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

  std::stop_token token() const { return source_.get_token(); }
  // The signal that asked to stop, 0 if none.
  int signal() const { return signal_.load(); }

 private:
  std::stop_source source_;
  sigset_t previous_{};
  std::atomic<int> signal_{0};
  std::jthread waiter_;
};

}  // namespace bh::cli
