#include "cli/signals.h"

#include <cstdio>
#include <ctime>
#include <pthread.h>
#include <unistd.h>

namespace bh::cli {

StopOnSignals::StopOnSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &previous_);
  waiter_ = std::jthread([this, set](std::stop_token own) {
    const timespec tick{0, 100'000'000};
    while (!own.stop_requested()) {
      const int signo = sigtimedwait(&set, nullptr, &tick);
      if (signo <= 0) continue;
      if (source_.stop_requested()) {
        // The second signal: the operator means it.
        std::fprintf(stderr, "buildhub: stopping now\n");
        _exit(128 + signo);
      }
      signal_ = signo;
      std::fprintf(stderr, "buildhub: %s received: finishing the work in hand (again to stop at once)\n",
                   signo == SIGINT ? "SIGINT" : "SIGTERM");
      source_.request_stop();
    }
  });
}

StopOnSignals::~StopOnSignals() {
  waiter_.request_stop();
  waiter_.join();
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

}  // namespace bh::cli
