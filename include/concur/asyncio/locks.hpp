// concur/asyncio/locks.hpp - Lock, Event, Condition, Semaphore and
// BoundedSemaphore for coroutines (asyncio.Lock, ...), with Python 3.13's
// semantics.
//
//   concur::asyncio::Lock lock;
//   co_await lock.acquire();      // waits without blocking the thread
//   ... lock.release();
//
//   concur::asyncio::Event ready;
//   co_await ready.wait();        // until some task calls ready.set()
//
// They are not thread-safe: they belong to the tasks of one loop (use the
// concur:: primitives between threads). Waiters are served first come,
// first served: a release wakes the oldest waiter, and a newcomer does not
// overtake it. A waiter that is cancelled leaves the queue and, if it had
// been woken, passes its turn on. Errors in Python's words: release() of
// an unlocked Lock ("Lock is not acquired."), wait/notify on a Condition
// not held, a negative Semaphore value, a BoundedSemaphore released too
// often.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>

#include "concur/asyncio/coroutine.hpp"
#include "concur/detail/asyncio/loop_future.hpp"

namespace concur::asyncio {

namespace detail {

// Waiters: the FIFO of futures waiting tasks park on (each lives in its
// waiter's coroutine frame, which removes it when it leaves).
class Waiters {
 public:
  void push(ValueFuture<void>& waiter) { waiters_.push_back(&waiter); }
  void remove(ValueFuture<void>& waiter) noexcept;
  bool empty() const noexcept { return waiters_.empty(); }
  // all_cancelled: no waiter that could still be woken.
  bool all_cancelled() const noexcept;
  // wake_first: wakes the oldest waiter not yet woken; false if none.
  bool wake_first();
  // wake_all: wakes every waiter not yet woken.
  void wake_all();
  // pop_and_wake: removes waiters from the front until one not yet done
  // was woken (the queues' _wakeup_next).
  void pop_and_wake();

 private:
  std::deque<ValueFuture<void>*> waiters_;
};

}  // namespace detail

class Lock {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // acquire: true once this task holds the lock.
  Coroutine<bool> acquire();
  // release: RuntimeError("Lock is not acquired.") if it is not held.
  void release();
  bool locked() const noexcept { return locked_; }

 private:
  detail::Waiters waiters_;
  bool locked_ = false;
};

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool is_set() const noexcept { return set_; }
  // set: wakes every waiter; later waits return at once until clear().
  void set();
  void clear() noexcept { set_ = false; }
  // wait: true once the event is set.
  Coroutine<bool> wait();

 private:
  detail::Waiters waiters_;
  bool set_ = false;
};

class Condition {
 public:
  // Condition(): with a Lock of its own; Condition(lock): over `lock`.
  Condition() : lock_(&own_.emplace()) {}
  explicit Condition(Lock& lock) : lock_(&lock) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  Coroutine<bool> acquire() { return lock_->acquire(); }
  void release() { lock_->release(); }
  bool locked() const noexcept { return lock_->locked(); }

  // wait: releases the lock, waits to be notified, takes the lock back
  // (also when cancelled, before CancelledError is rethrown). Returns true.
  Coroutine<bool> wait();
  // wait_for: waits until pred() holds; returns its last value.
  template <class Predicate>
  Coroutine<bool> wait_for(Predicate pred) {
    bool result = pred();
    while (!result) {
      co_await wait();
      result = pred();
    }
    co_return result;
  }
  // notify: wakes up to n waiters; notify_all: every one. Both need the lock.
  void notify(std::size_t n = 1);
  void notify_all();

 private:
  std::optional<Lock> own_;
  Lock* lock_;
  detail::Waiters waiters_;
};

class Semaphore {
 public:
  // Semaphore(value): ValueError if value < 0.
  explicit Semaphore(std::ptrdiff_t value = 1);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  virtual ~Semaphore() = default;

  // locked: acquire() would wait (no unit, or others already waiting).
  bool locked() const noexcept { return value_ == 0 || !waiters_.all_cancelled(); }
  Coroutine<bool> acquire();
  virtual void release();

 protected:
  bool wake_next();
  std::ptrdiff_t value_;
  detail::Waiters waiters_;
};

class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::ptrdiff_t value = 1) : Semaphore(value), bound_(value) {}
  // release: ValueError("BoundedSemaphore released too many times") above
  // the initial value.
  void release() override;

 private:
  std::ptrdiff_t bound_;
};

}  // namespace concur::asyncio
