// Admission: at most `capacity` units of some work in progress (running or queued) at once.
// What does not get in is refused at once (the HTTP layer answers 429), so a burst cannot
// queue without bound nor push out quick work.
//
// A ticket is a shared handle: copies count once, and the place is given back when the last copy
// goes (so a ticket can ride along in copyable task closures).
//
// Thread safety: safe for concurrent use. Ownership: tickets may outlive nothing but the
// Admission they came from.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>

namespace bh {

class Admission {
 public:
  explicit Admission(std::size_t capacity) : capacity_(capacity) {}

  using Ticket = std::shared_ptr<void>;
  // A ticket, or nullopt when `capacity` are out already.
  std::optional<Ticket> try_enter() {
    std::size_t now = in_progress_.load();
    do {
      if (now >= capacity_) return std::nullopt;
    } while (!in_progress_.compare_exchange_weak(now, now + 1));
    return Ticket(nullptr, [this](void*) { in_progress_.fetch_sub(1); });
  }
  std::size_t in_progress() const { return in_progress_.load(); }
  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  std::atomic<std::size_t> in_progress_{0};
};

}  // namespace bh
