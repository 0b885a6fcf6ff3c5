// asyncio's locks, following Lib/asyncio/locks.py of 3.13 step by step.
#include "concur/asyncio/locks.hpp"

#include <algorithm>

#include "concur/asyncio/event_loop.hpp"
#include "concur/asyncio/task.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio {
namespace detail {

void Waiters::remove(ValueFuture<void>& waiter) noexcept {
  const auto found = std::find(waiters_.begin(), waiters_.end(), &waiter);
  if (found != waiters_.end()) waiters_.erase(found);
}

bool Waiters::all_cancelled() const noexcept {
  return std::all_of(waiters_.begin(), waiters_.end(),
                     [](const ValueFuture<void>* waiter) { return waiter->cancelled(); });
}

bool Waiters::wake_first() {
  for (ValueFuture<void>* waiter : waiters_) {
    if (!waiter->done()) {
      waiter->set_result();
      return true;
    }
  }
  return false;
}

void Waiters::wake_all() {
  for (ValueFuture<void>* waiter : waiters_) {
    if (!waiter->done()) waiter->set_result();
  }
}

void Waiters::pop_and_wake() {
  while (!waiters_.empty()) {
    ValueFuture<void>* waiter = waiters_.front();
    waiters_.pop_front();
    if (!waiter->done()) {
      waiter->set_result();
      return;
    }
  }
}

// Queued: a waiter's place in a Waiters, left when the frame leaves.
struct Queued {
  Waiters& waiters;
  ValueFuture<void>& waiter;
  Queued(Waiters& in, ValueFuture<void>& future) : waiters(in), waiter(future) {
    waiters.push(waiter);
  }
  ~Queued() { waiters.remove(waiter); }
};

// wait_in_line: waits in `waiters` on `waiter` until woken; returns
// whether the task was cancelled meanwhile (it has left the line either way).
Coroutine<bool> wait_in_line(Waiters& waiters, ValueFuture<void>& waiter) {
  Queued queued(waiters, waiter);
  try {
    co_await FutureAwaiter{waiter};
  } catch (const CancelledError&) {
    co_return true;
  }
  co_return false;
}

}  // namespace detail

// --- Lock ------------------------------------------------------------------------

Coroutine<bool> Lock::acquire() {
  if (!locked_ && waiters_.all_cancelled()) {
    locked_ = true;
    co_return true;
  }
  detail::ValueFuture<void> waiter(get_running_loop());
  if (co_await detail::wait_in_line(waiters_, waiter)) {
    // Whoever is first now must run, unless the lock is taken.
    if (!locked_) waiters_.wake_first();
    throw CancelledError("the task waiting for a Lock was cancelled");
  }
  locked_ = true;
  co_return true;
}

void Lock::release() {
  if (!locked_) throw RuntimeError("Lock is not acquired.");
  locked_ = false;
  waiters_.wake_first();
}

// --- Event -----------------------------------------------------------------------

void Event::set() {
  if (set_) return;
  set_ = true;
  waiters_.wake_all();
}

Coroutine<bool> Event::wait() {
  if (set_) co_return true;
  detail::ValueFuture<void> waiter(get_running_loop());
  detail::Queued queued(waiters_, waiter);
  co_await detail::FutureAwaiter{waiter};
  co_return true;
}

// --- Condition -------------------------------------------------------------------

Coroutine<bool> Condition::wait() {
  if (!lock_->locked()) throw RuntimeError("cannot wait on un-acquired lock");
  lock_->release();
  detail::ValueFuture<void> waiter(get_running_loop());
  bool cancelled = co_await detail::wait_in_line(waiters_, waiter);
  // Take the lock back whatever happened; a cancellation meanwhile is
  // delivered after that.
  for (;;) {
    bool interrupted = false;
    try {
      co_await lock_->acquire();
      break;
    } catch (const CancelledError&) {
      interrupted = true;
    }
    if (interrupted) cancelled = true;
  }
  if (cancelled) throw CancelledError("the task waiting on a Condition was cancelled");
  co_return true;
}

void Condition::notify(std::size_t n) {
  if (!lock_->locked()) throw RuntimeError("cannot notify on un-acquired lock");
  for (std::size_t woken = 0; woken < n && waiters_.wake_first(); ++woken) {
  }
}

void Condition::notify_all() {
  if (!lock_->locked()) throw RuntimeError("cannot notify on un-acquired lock");
  waiters_.wake_all();
}

// --- Semaphore -------------------------------------------------------------------

Semaphore::Semaphore(std::ptrdiff_t value) : value_(value) {
  if (value < 0) throw ValueError("Semaphore initial value must be >= 0");
}

bool Semaphore::wake_next() {
  if (!waiters_.wake_first()) return false;
  --value_;
  return true;
}

Coroutine<bool> Semaphore::acquire() {
  if (!locked()) {
    --value_;
    co_return true;
  }
  detail::ValueFuture<void> waiter(get_running_loop());
  const bool cancelled = co_await detail::wait_in_line(waiters_, waiter);
  // Woken (a unit was set aside for us) and then cancelled: give it back.
  if (cancelled && waiter.done() && !waiter.cancelled()) ++value_;
  // Others that arrived while units were free, but had to queue: wake as
  // many as there are units.
  while (value_ > 0) {
    if (!wake_next()) break;
  }
  if (cancelled) throw CancelledError("the task waiting for a Semaphore was cancelled");
  co_return true;
}

void Semaphore::release() {
  ++value_;
  wake_next();
}

void BoundedSemaphore::release() {
  if (value_ >= bound_) throw ValueError("BoundedSemaphore released too many times");
  Semaphore::release();
}

}  // namespace concur::asyncio
