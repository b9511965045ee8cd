// Threads that are not CPU workers: blocking I/O loops and background followers (a file reader,
// the search index follower, the HTTP server's I/O threads). CPU work goes to the Executor
// (core/executor.h); this is the one other way the process starts threads.
//
// start_thread names the thread (for top, gdb and perf) and returns a std::jthread: it is joined
// when destroyed, and `f` may take a std::stop_token to learn that it should stop.
// Thread safety: as std::jthread. Failure: std::system_error if the OS refuses a thread.
#pragma once

#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

namespace bh {

// A thread's name as `top` and debuggers show it (at most 15 bytes; longer is cut).
void set_current_thread_name(std::string_view name);

template <typename F>
std::jthread start_thread(std::string name, F&& f) {
  return std::jthread([name = std::move(name), f = std::forward<F>(f)](std::stop_token stop) mutable {
    set_current_thread_name(name);
    if constexpr (std::is_invocable_v<F&, std::stop_token>) {
      f(std::move(stop));
    } else {
      f();
    }
  });
}

}  // namespace bh
