// concur/barrier.hpp - threading.Barrier.
//
// A cyclic barrier for a fixed number of threads: each calls wait(), and when
// the last of `parties` arrives, all are released together and the barrier is
// ready for the next round.
//
//   concur::Barrier round(3, [] { std::puts("all three arrived"); });
//   // in each of 3 threads:
//   std::size_t index = round.wait();   // 0, 1 or 2: the arrival order
//
// Promises (Python's): wait() returns the caller's arrival index, 0..parties-1,
// distinct within a round. The action, if any, runs once per round in the
// last thread to arrive, before anyone is released: its effects are visible
// to every thread when wait() returns. The barrier breaks - every current and
// later wait() throws BrokenBarrierError until reset() - when a wait times
// out, when abort() is called, or when the action throws (the action's thread
// gets the action's own exception). reset() breaks the current round for
// those waiting in it and makes the barrier usable again.
// Not copyable or movable.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <utility>

#include "concur/condition.hpp"
#include "concur/detail/deadline.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/lock.hpp"

namespace concur {

class Barrier {
 public:
  // Barrier: for `parties` threads (ValueError if 0), with an optional action
  // and an optional default timeout for wait().
  explicit Barrier(std::size_t parties, std::function<void()> action = {},
                   std::optional<std::chrono::nanoseconds> timeout = std::nullopt);

  // Barrier(parties, action, timeout): the same, with a default timeout of
  // any duration type (e.g. std::chrono::duration<double>(0.1)); one too
  // large for nanoseconds means "wait practically forever".
  template <class Rep, class Period>
  Barrier(std::size_t parties, std::function<void()> action,
          const std::chrono::duration<Rep, Period>& timeout)
      : Barrier(parties, std::move(action),
                std::optional<std::chrono::nanoseconds>(saturating_nanoseconds(timeout))) {}
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // wait: blocks until all parties have arrived (or the default timeout, if
  // any, passes). Returns the arrival index. Throws BrokenBarrierError if the
  // barrier is or becomes broken, or the action's exception in the thread
  // that ran it.
  std::size_t wait();

  // wait(timeout): as wait(), with this timeout instead of the default. A
  // timeout breaks the barrier for everyone.
  template <class Rep, class Period>
  std::size_t wait(const std::chrono::duration<Rep, Period>& timeout) {
    return wait_until(detail::deadline_after(timeout));
  }

  // reset: returns the barrier to its empty, unbroken state. Threads waiting
  // in the current round get BrokenBarrierError.
  void reset();

  // abort: breaks the barrier: current and later wait()s throw
  // BrokenBarrierError until reset().
  void abort();

  // parties: the number of threads needed to pass.
  std::size_t parties() const noexcept { return parties_; }

  // n_waiting: how many threads are waiting in the current round.
  std::size_t n_waiting() const;

  // broken: whether the barrier is broken.
  bool broken() const;

 private:
  template <class Rep, class Period>
  static std::chrono::nanoseconds saturating_nanoseconds(
      const std::chrono::duration<Rep, Period>& timeout) {
    using Wide = std::chrono::duration<long double, std::nano>;
    if (Wide(timeout) >= Wide(std::chrono::nanoseconds::max())) {
      return std::chrono::nanoseconds::max();
    }
    return std::chrono::ceil<std::chrono::nanoseconds>(timeout);
  }

  enum class Phase { filling, draining, resetting, broken };

  std::size_t wait_until(detail::Deadline deadline);
  void enter() CONCUR_REQUIRES(changed_);
  void release_round() CONCUR_REQUIRES(changed_);
  void await_round(detail::Deadline deadline) CONCUR_REQUIRES(changed_);
  void leave() CONCUR_REQUIRES(changed_);
  void break_barrier() CONCUR_REQUIRES(changed_);

  const std::size_t parties_;
  const std::function<void()> action_;
  const std::optional<std::chrono::nanoseconds> default_timeout_;

  Lock lock_;
  mutable Condition changed_{lock_};  // holds lock_; notified whenever phase_ changes
  Phase phase_ CONCUR_GUARDED_BY(changed_) = Phase::filling;
  std::size_t count_ CONCUR_GUARDED_BY(changed_) = 0;  // threads inside wait()
};

}  // namespace concur
