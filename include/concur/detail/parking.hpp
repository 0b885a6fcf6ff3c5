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
#include <cstddef>
#include <cstdint>

#include "concur/detail/deadline.hpp"

namespace concur::detail {

using ParkWord = std::atomic<std::uint32_t>;

// WideParkWord: a 64-bit word a thread may park on by its low 32 bits (the
// futex is 32-bit). The waiter names the low half it expects; a waker that
// changes only the high half does not stop a thread from going to sleep.
using WideParkWord = std::atomic<std::uint64_t>;

// park: blocks while `word` holds `expected`, until unparked or `deadline`.
// Returns false if the deadline had passed, true otherwise (woken, value
// changed, or spurious). Never blocks once the deadline is past.
bool park(const ParkWord& word, std::uint32_t expected, Deadline deadline = kNoDeadline) noexcept;

// park(wide word): as park(), while the low half of `word` is
// `expected_low_half`.
bool park(const WideParkWord& word, std::uint32_t expected_low_half,
          Deadline deadline = kNoDeadline) noexcept;

// parked_threads: how many threads are inside park() right now, anywhere in
// the process. A test seam: it lets a test know that waiters have really gone
// to sleep (and so took their snapshot of the state) before it acts.
std::size_t parked_threads() noexcept;

// unpark: wakes up to `count` threads parked on `word`.
void unpark(const ParkWord& word, std::uint32_t count) noexcept;

// unpark_all: wakes every thread parked on `word`.
void unpark_all(const ParkWord& word) noexcept;
void unpark_all(const WideParkWord& word) noexcept;

// cpu_relax: a polite busy-wait step (x86 `pause`).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// The spin budget before parking: kSpinChecks looks at the condition, with an
// exponentially growing number of `pause`s in between (1, 2, 4, ... up to
// kMaxPausesPerCheck). Backing off keeps a contended cache line from bouncing
// between cores on every check, which lets a lock holder keep its streak.
// The budget (~640 pauses, ~17 us on the 2-core EPYC VM this was tuned on,
// where one pause is ~26 ns) is about what a futex sleep plus wake-up costs
// there; bench/sync_bench.cpp is how it was chosen (README, "Benchmarks").
inline constexpr int kSpinChecks = 24;
inline constexpr int kMaxPausesPerCheck = 32;

// spin_until: spins while `ready()` is false, within the budget. Returns
// whether it became true.
template <class Ready>
bool spin_until(Ready&& ready) noexcept(noexcept(ready())) {
  int pauses = 1;
  for (int check = 0; check < kSpinChecks; ++check) {
    if (ready()) return true;
    for (int i = 0; i < pauses; ++i)
      cpu_relax();
    if (pauses < kMaxPausesPerCheck) pauses *= 2;
  }
  return ready();
}

// wait_until_ready: spins, then parks on `word` until `ready()` holds or the
// deadline passes; returns ready()'s last value. `parked` counts the threads
// in the parking loop, so a waker can skip the system call when it is 0. The
// waker's side of the protocol: make ready() true, change `word`, then
// unpark if `parked` is non-zero - all seq_cst, and every load here is
// seq_cst too (Dekker's pattern: either the waker sees us counted, or we see
// its change before we sleep).
template <class Ready>
bool wait_until_ready(const ParkWord& word, std::atomic<std::uint32_t>& parked, Ready&& ready,
                      Deadline deadline) {
  if (spin_until(ready)) return true;
  parked.fetch_add(1);
  bool satisfied = false;
  for (;;) {
    const std::uint32_t seen = word.load();
    if (ready()) {
      satisfied = true;
      break;
    }
    if (!park(word, seen, deadline)) {
      satisfied = ready();
      break;
    }
  }
  // relaxed: a late decrement only costs a waker a spare system call.
  parked.fetch_sub(1, std::memory_order_relaxed);
  return satisfied;
}

}  // namespace concur::detail
