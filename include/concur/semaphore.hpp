// concur/semaphore.hpp - threading.Semaphore and threading.BoundedSemaphore.
//
// A semaphore holds a count of free units: acquire() takes one (blocking
// while there is none), release(n) returns n. Nothing is owned: any thread may
// release. A BoundedSemaphore also refuses to rise above its initial value,
// which catches a release without a matching acquire.
//
//   concur::Semaphore slots(4);            // at most 4 at a time
//   {
//     std::scoped_lock hold(slots);        // acquire ... release
//     download();
//   }
//   if (slots.acquire(50ms)) { ...; slots.release(); }
//
// Promises: k units released let exactly k acquirers through (which ones is
// unspecified); release(n) wakes up to n blocked acquirers at once. A
// release() happens-before the acquire() that takes its unit.
// Not copyable or movable; destroying one whose units are taken is allowed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "concur/detail/deadline.hpp"
#include "concur/detail/parking.hpp"

namespace concur {

// Semaphore: threading.Semaphore.
class Semaphore {
 public:
  // Semaphore: starts with `value` free units. Throws ValueError if value < 0.
  explicit Semaphore(std::ptrdiff_t value = 1);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // acquire: takes a unit, blocking while there is none.
  void acquire() {
    if (!try_acquire()) acquire_until(detail::kNoDeadline);
  }

  // acquire(timeout): as acquire(), giving up after `timeout` (one overall
  // deadline). Returns whether a unit was taken.
  template <class Rep, class Period>
  bool acquire(const std::chrono::duration<Rep, Period>& timeout) {
    return try_acquire() || acquire_until(detail::deadline_after(timeout));
  }

  // try_acquire: takes a unit if one is free, without blocking.
  bool try_acquire() noexcept {
    // seq_cst: besides publishing units (acquire), the slow paths rely on one
    // total order of this count and waiters_ so no wake-up is lost. On x86 a
    // seq_cst load and CAS cost the same as weaker ones.
    std::ptrdiff_t value = value_.load();
    while (value > 0) {
      if (value_.compare_exchange_weak(value, value - 1)) return true;
    }
    return false;
  }

  // release: returns n units and wakes up to n blocked acquirers. Throws
  // ValueError, changing nothing, if n is 0 or a BoundedSemaphore would rise
  // above its initial value.
  void release(std::size_t n = 1);

  // value: the number of free units now (a snapshot; Python's _value).
  std::ptrdiff_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

  // The standard Lockable names, so std::scoped_lock works.
  void lock() { acquire(); }
  void unlock() { release(); }
  bool try_lock() noexcept { return try_acquire(); }
  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
    return acquire(timeout);
  }
  template <class C, class D>
  bool try_lock_until(const std::chrono::time_point<C, D>& when) {
    return try_acquire() || acquire_until(detail::deadline_at(when));
  }

 protected:
  // Semaphore(value, limit): a semaphore whose value may never exceed `limit`.
  Semaphore(std::ptrdiff_t value, std::ptrdiff_t limit);

 private:
  bool acquire_until(detail::Deadline deadline);

  std::atomic<std::ptrdiff_t> value_;
  const std::ptrdiff_t limit_;             // PTRDIFF_MAX unless bounded
  std::atomic<std::uint32_t> waiters_{0};  // threads in the parking loop
  detail::ParkWord epoch_{0};              // bumped by each release that must wake
};

// BoundedSemaphore: threading.BoundedSemaphore. release(n) that would lift
// the value above the initial value throws ValueError("Semaphore released too
// many times") and leaves the value unchanged (all or nothing). Also through
// a Semaphore& (the bound is data, not a virtual override).
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::ptrdiff_t value = 1) : Semaphore(value, value) {}
};

}  // namespace concur
