// concur/detail/parking.hpp - the one way concur waits. Not API.
//
// Every blocking call in concur (locks, semaphores, events, conditions, and
// later queues, futures and idle workers) spins briefly and then parks here,
// on a 32-bit atomic word, through the Linux futex. Timed parks take the
// absolute steady-clock deadline of detail/deadline.hpp, so the kernel never
// sees a relative timeout that could shrink or overflow.
//
// park() may return spuriously (a stray wake, a signal): every caller re-checks
// its own condition in a loop. That also makes it harmless to unpark a word
// whose owner has already returned and gone (see Condition).
#pragma once

#include <atomic>
#include <cstdint>

#include "concur/detail/deadline.hpp"

namespace concur::detail {

using ParkWord = std::atomic<std::uint32_t>;

// park: blocks while `word` holds `expected`, until unparked or `deadline`.
// Returns false if the deadline had passed, true otherwise (woken, value
// changed, or spurious). Never blocks once the deadline is past.
bool park(const ParkWord& word, std::uint32_t expected, Deadline deadline = kNoDeadline) noexcept;

// unpark: wakes up to `count` threads parked on `word`.
void unpark(const ParkWord& word, std::uint32_t count) noexcept;

// unpark_all: wakes every thread parked on `word`.
void unpark_all(const ParkWord& word) noexcept;

// cpu_relax: a polite busy-wait step (x86 `pause`).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// kSpinIterations: how long a waiter spins before parking. Long enough to
// cover a short critical section on another core, far shorter than a futex
// round trip (~1-5 us).
inline constexpr int kSpinIterations = 100;

// spin_until: spins up to kSpinIterations while `ready()` is false. Returns
// whether it became true.
template <class Ready>
bool spin_until(Ready&& ready) noexcept(noexcept(ready())) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (ready()) return true;
    cpu_relax();
  }
  return ready();
}

}  // namespace concur::detail
