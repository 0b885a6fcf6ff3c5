// concur/condition.hpp - threading.Condition.
//
// A Condition lets threads wait until another thread announces a change of
// shared state. It is always used together with a lock: by default it owns an
// RLock, or it works over a Lock or RLock you give it (several Conditions may
// share one lock, as Python's Queue does). The caller must hold the lock to
// wait() or notify(); otherwise RuntimeError.
//
//   concur::Condition cond;
//   std::deque<int> items;                      // guarded by cond
//   // consumer
//   {
//     std::scoped_lock hold(cond);
//     cond.wait_for([&] { return !items.empty(); });
//     use(items.front());
//   }
//   // producer
//   {
//     std::scoped_lock hold(cond);
//     items.push_back(1);
//     cond.notify();
//   }
//
// Promises (Python's, exactly):
// - wait() releases the lock completely - every level of a recursive hold -
//   blocks, then re-acquires it and restores the same depth before returning,
//   whether it was notified, timed out, or not.
// - Waiters are woken in the order they began waiting; notify(n) wakes exactly
//   min(n, waiting) of them; a notification with no one waiting is lost.
// - There are no spurious wake-ups: wait() returns true only when notified.
// - A notified waiter returns only once it has re-acquired the lock, so after
//   the notifier releases it. What the notifier wrote before notify()
//   happens-before the notified wait() returning.
// Not copyable or movable.
#pragma once

#include <chrono>
#include <cstddef>

#include "concur/detail/deadline.hpp"
#include "concur/detail/parking.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/lock.hpp"

namespace concur {

class CONCUR_CAPABILITY("mutex") Condition {
 public:
  // Condition: owns a new RLock.
  Condition() noexcept;
  // Condition(lock): uses `lock`, which must outlive the Condition.
  explicit Condition(Lock& lock) noexcept;
  explicit Condition(RLock& lock) noexcept;
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  // --- The underlying lock (forwarded) ------------------------------------------

  void acquire() CONCUR_ACQUIRE();
  template <class Rep, class Period>
  bool acquire(const std::chrono::duration<Rep, Period>& timeout) CONCUR_TRY_ACQUIRE(true) {
    return acquire_until(detail::deadline_after(timeout));
  }
  bool try_acquire() noexcept CONCUR_TRY_ACQUIRE(true);
  void release() CONCUR_RELEASE();

  void lock() CONCUR_ACQUIRE() { acquire(); }
  void unlock() CONCUR_RELEASE() { release(); }
  bool try_lock() noexcept CONCUR_TRY_ACQUIRE(true) { return try_acquire(); }
  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) CONCUR_TRY_ACQUIRE(true) {
    return acquire(timeout);
  }
  template <class C, class D>
  bool try_lock_until(const std::chrono::time_point<C, D>& when) CONCUR_TRY_ACQUIRE(true) {
    return acquire_until(detail::deadline_at(when));
  }

  // --- Waiting ----------------------------------------------------------------

  // wait: releases the lock, blocks until notified, re-acquires it. Throws
  // RuntimeError if the caller does not hold the lock.
  void wait() CONCUR_REQUIRES(this) { wait_deadline(detail::kNoDeadline); }

  // wait(timeout): as wait(), giving up after `timeout` (zero: release and
  // re-acquire without blocking). Returns true if notified, false on timeout;
  // the lock is held again either way.
  template <class Rep, class Period>
  bool wait(const std::chrono::duration<Rep, Period>& timeout) CONCUR_REQUIRES(this) {
    return wait_deadline(detail::deadline_after(timeout));
  }

  // wait_until(when): as wait(timeout), with a time point on any clock.
  template <class C, class D>
  bool wait_until(const std::chrono::time_point<C, D>& when) CONCUR_REQUIRES(this) {
    return wait_deadline(detail::deadline_at(when));
  }

  // wait_for(pred): evaluates pred() (with the lock held) and waits until it
  // is true. Returns true. If pred() is true at once, it returns without
  // waiting, even when the caller does not hold the lock (as Python does).
  // (Not annotated as requiring the lock: a true predicate needs none.)
  template <class Predicate>
  bool wait_for(Predicate pred) CONCUR_NO_THREAD_SAFETY_ANALYSIS {
    while (!pred())
      wait_deadline(detail::kNoDeadline);
    return true;
  }

  // wait_for(pred, timeout): as wait_for(pred), with one overall deadline
  // across wake-ups. Returns pred()'s last value: false if it still did not
  // hold when the deadline passed (it is evaluated once more after the last
  // timed-out wait).
  template <class Predicate, class Rep, class Period>
  bool wait_for(Predicate pred, const std::chrono::duration<Rep, Period>& timeout)
      CONCUR_NO_THREAD_SAFETY_ANALYSIS {
    const detail::Deadline deadline = detail::deadline_after(timeout);
    bool satisfied = static_cast<bool>(pred());
    while (!satisfied) {
      wait_deadline(deadline);
      satisfied = static_cast<bool>(pred());
      if (detail::expired(deadline)) break;
    }
    return satisfied;
  }

  // --- Notifying --------------------------------------------------------------

  // notify: wakes the min(n, waiting) longest-waiting threads; they return
  // from wait() once they re-acquire the lock. Throws RuntimeError if the
  // caller does not hold the lock.
  void notify(std::size_t n = 1);

  // notify_all: wakes every thread waiting now (not those that wait later).
  void notify_all();

 private:
  struct Waiter;

  bool acquire_until(detail::Deadline deadline) CONCUR_TRY_ACQUIRE(true);
  bool wait_deadline(detail::Deadline deadline) CONCUR_REQUIRES(this);
  // holds: whether the caller holds the lock. Over an RLock that means "owns
  // it"; over a plain Lock, which has no owner, only "someone holds it".
  bool holds() const noexcept;
  void enqueue(Waiter& waiter);
  bool dequeue_if_waiting(Waiter& waiter);

  RLock own_lock_;
  Lock* plain_ = nullptr;
  RLock* recursive_ = nullptr;

  // The waiters, oldest first: an intrusive list of nodes on the waiting
  // threads' stacks, guarded by waiters_lock_ (not the user's lock, which a
  // plain-Lock notifier may not really hold).
  Lock waiters_lock_;
  Waiter* head_ CONCUR_GUARDED_BY(waiters_lock_) = nullptr;
  Waiter* tail_ CONCUR_GUARDED_BY(waiters_lock_) = nullptr;
};

}  // namespace concur
