// concur/lock.hpp - threading.Lock and threading.RLock.
//
// Lock is a plain mutual-exclusion lock with Python's rules, which differ from
// std::mutex in two ways that matter: any thread may release it (not only the
// one that acquired it), and releasing an unlocked Lock throws RuntimeError
// instead of being undefined. It is not re-entrant: the holder acquiring again
// blocks until some other thread releases it.
//
// RLock is re-entrant: its owner may acquire it again, and it is freed by the
// release matching the first acquire. Only the owner may release it.
//
// Both satisfy the standard TimedLockable requirements, so std::scoped_lock,
// std::unique_lock and std::condition_variable_any work with them:
//
//   concur::Lock lock;
//   {
//     std::scoped_lock hold(lock);      // Python: with lock:
//     ...                               // released on scope exit, also on throw
//   }
//   if (lock.acquire(100ms)) {          // Python: lock.acquire(timeout=0.1)
//     lock.release();
//   }
//
// Memory ordering: a release() happens-before the acquire() that next takes
// the lock, so the next holder sees everything written in the critical section.
//
// Timeouts are any std::chrono::duration; zero or negative means "try once",
// and a huge timeout (even duration::max()) means "wait that long", never
// overflow. Waits spin briefly, then park on a futex; none sleep-polls.
// Neither type is copyable or movable. Destroying a held Lock is allowed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "concur/detail/deadline.hpp"
#include "concur/detail/parking.hpp"
#include "concur/detail/thread_annotations.hpp"

namespace concur {

class Condition;

// Lock: threading.Lock.
class CONCUR_CAPABILITY("mutex") Lock {
 public:
  // Lock: a new Lock is unlocked.
  Lock() noexcept = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // --- Python's names ---------------------------------------------------------

  // acquire: blocks until the lock is free, then takes it. The holder calling
  // it again blocks until another thread releases (no deadlock detection).
  void acquire() CONCUR_ACQUIRE() {
    if (!try_acquire()) acquire_until(detail::kNoDeadline);
  }

  // acquire(timeout): as acquire(), giving up after `timeout`. Returns whether
  // the lock was taken.
  template <class Rep, class Period>
  bool acquire(const std::chrono::duration<Rep, Period>& timeout) CONCUR_TRY_ACQUIRE(true) {
    return try_acquire() || acquire_until(detail::deadline_after(timeout));
  }

  // try_acquire: takes the lock if it is free, without blocking (Python's
  // acquire(blocking=False)). Returns whether it was taken.
  bool try_acquire() noexcept CONCUR_TRY_ACQUIRE(true) {
    std::uint32_t expected = kUnlocked;
    // acquire: pairs with the release in release(); the new holder sees the
    // previous holder's writes.
    return state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  // release: frees the lock; any thread may call it. Wakes one blocked
  // acquirer, if any. Throws RuntimeError if the lock is not locked.
  void release() CONCUR_RELEASE() {
    // release: publishes the critical section to the next acquirer. One
    // exchange both frees the lock and tells whether anyone is parked; on an
    // unlocked lock it writes 0 over 0, which changes nothing.
    const std::uint32_t previous = state_.exchange(kUnlocked, std::memory_order_release);
    if (previous == kContended) {
      detail::unpark(state_, 1);
    } else if (previous == kUnlocked) {
      throw_release_unlocked();
    }
  }

  // locked: whether some thread holds the lock. A snapshot: it may change as
  // soon as it is returned.
  bool locked() const noexcept { return state_.load(std::memory_order_relaxed) != kUnlocked; }

  // --- The standard TimedLockable names -----------------------------------------

  void lock() CONCUR_ACQUIRE() { acquire(); }
  void unlock() CONCUR_RELEASE() { release(); }
  bool try_lock() noexcept CONCUR_TRY_ACQUIRE(true) { return try_acquire(); }
  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) CONCUR_TRY_ACQUIRE(true) {
    return acquire(timeout);
  }
  template <class C, class D>
  bool try_lock_until(const std::chrono::time_point<C, D>& when) CONCUR_TRY_ACQUIRE(true) {
    return try_acquire() || acquire_until(detail::deadline_at(when));
  }

 private:
  friend class RLock;
  friend class Condition;

  // The state is one futex word: free, held, or held with parked waiters.
  static constexpr std::uint32_t kUnlocked = 0;
  static constexpr std::uint32_t kLocked = 1;
  static constexpr std::uint32_t kContended = 2;

  // acquire_until: the slow path: spin, then park until `deadline`.
  bool acquire_until(detail::Deadline deadline) CONCUR_TRY_ACQUIRE(true);
  [[noreturn]] static void throw_release_unlocked();

  detail::ParkWord state_{kUnlocked};
};

// RLock: threading.RLock, a re-entrant lock owned by the thread that took it.
class CONCUR_CAPABILITY("mutex") RLock {
 public:
  // RLock: a new RLock is unowned.
  RLock() noexcept = default;
  RLock(const RLock&) = delete;
  RLock& operator=(const RLock&) = delete;

  // --- Python's names ---------------------------------------------------------

  // acquire: takes the lock, or deepens the caller's hold if it already owns
  // it (never blocks then). Blocks while another thread owns it.
  void acquire() CONCUR_ACQUIRE() { acquire_until(detail::kNoDeadline); }

  // acquire(timeout): as acquire(), giving up after `timeout`. Returns whether
  // the caller now holds the lock.
  template <class Rep, class Period>
  bool acquire(const std::chrono::duration<Rep, Period>& timeout) CONCUR_TRY_ACQUIRE(true) {
    return acquire_until(detail::deadline_after(timeout));
  }

  // try_acquire: as acquire(), without blocking. The owner always succeeds.
  bool try_acquire() noexcept CONCUR_TRY_ACQUIRE(true);

  // release: undoes one acquire by the owner; the last one frees the lock.
  // Throws RuntimeError if the caller does not own it.
  void release() CONCUR_RELEASE();

  // locked: whether any thread owns the lock (Python 3.14's RLock.locked()).
  bool locked() const noexcept { return lock_.locked(); }

  // is_owned: whether the calling thread owns the lock (Python's _is_owned()).
  bool is_owned() const noexcept;

  // recursion_count: the calling thread's depth of ownership, 0 when it does
  // not own the lock (Python's _recursion_count()).
  std::size_t recursion_count() const noexcept { return is_owned() ? depth_ : 0; }

  // --- The standard TimedLockable names -----------------------------------------

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

 private:
  friend class Condition;

  bool acquire_until(detail::Deadline deadline) CONCUR_TRY_ACQUIRE(true);
  void take_ownership(std::size_t depth) noexcept;

  // release_all / restore: Condition::wait's way to drop every level of the
  // caller's hold and later take the same depth back.
  std::size_t release_all() CONCUR_RELEASE();
  void restore(std::size_t depth) CONCUR_ACQUIRE();

  Lock lock_;
  // owner_: a token of the owning thread, 0 when unowned. Relaxed is enough:
  // a thread only ever compares it with its own token, and it can only read
  // its own token if it wrote it itself (program order).
  std::atomic<std::uintptr_t> owner_{0};
  std::size_t depth_ = 0;  // read and written only by the owner
};

}  // namespace concur
