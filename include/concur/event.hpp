// concur/event.hpp - threading.Event.
//
// A flag that threads can wait for: set() raises it and wakes every waiter,
// clear() lowers it, wait() blocks until it is raised.
//
//   concur::Event ready;
//   std::thread worker([&] { prepare(); ready.set(); });
//   if (!ready.wait(2s)) throw std::runtime_error("worker did not start");
//
// Promises: set() happens-before every wait() that returns true because of
// it. Every thread waiting when set() runs returns true, even if clear()
// follows at once (Python's gh-57711 guarantee). wait() returns false only
// when a timeout was given and ran out. Not copyable or movable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "concur/detail/deadline.hpp"
#include "concur/detail/parking.hpp"

namespace concur {

class Event {
 public:
  // Event: a new Event is not set.
  Event() noexcept = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // is_set: whether the flag is raised (a snapshot).
  bool is_set() const noexcept { return (word_.load(std::memory_order_acquire) & kSetBit) != 0; }

  // set: raises the flag and wakes every waiting thread. Idempotent.
  void set() noexcept;

  // clear: lowers the flag; later waits block until the next set(). Idempotent.
  void clear() noexcept { word_.fetch_and(~kSetBit, std::memory_order_relaxed); }

  // wait: blocks until the flag is raised. Returns at once if it is.
  void wait() noexcept { wait_until(detail::kNoDeadline); }

  // wait(timeout): as wait(), giving up after `timeout`. Returns true if the
  // flag was raised (or was raised while waiting), false on timeout.
  template <class Rep, class Period>
  bool wait(const std::chrono::duration<Rep, Period>& timeout) noexcept {
    return is_set() || wait_until(detail::deadline_after(timeout));
  }

 private:
  bool wait_until(detail::Deadline deadline) noexcept;

  // The word holds the flag in bit 0 and a count of set() calls above it. A
  // waiter remembers the word it saw (flag down); any later change means a
  // set() happened, so a racing clear() cannot hide the wake-up.
  static constexpr std::uint32_t kSetBit = 1;
  static constexpr std::uint32_t kGeneration = 2;

  detail::ParkWord word_{0};
  std::atomic<std::uint32_t> waiters_{0};
};

}  // namespace concur
