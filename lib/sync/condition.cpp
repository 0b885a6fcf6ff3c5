#include "concur/condition.hpp"

#include "concur/detail/lock_guard.hpp"
#include "concur/errors.hpp"

namespace concur {

// Waiter: one thread blocked in wait(). It parks on its own word, so a notify
// wakes exactly the threads it chose and no others.
struct Condition::Waiter {
  detail::ParkWord notified{0};
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
};

// The forwarding members below hold or release the user's lock on behalf of
// the Condition capability; Clang cannot follow that, so they opt out.

Condition::Condition() noexcept : recursive_(&own_lock_) {}
Condition::Condition(Lock& lock) noexcept : plain_(&lock) {}
Condition::Condition(RLock& lock) noexcept : recursive_(&lock) {}

void Condition::acquire() CONCUR_NO_THREAD_SAFETY_ANALYSIS {
  if (plain_ != nullptr) {
    plain_->acquire();
  } else {
    recursive_->acquire();
  }
}

bool Condition::acquire_until(detail::Deadline deadline) CONCUR_NO_THREAD_SAFETY_ANALYSIS {
  return plain_ != nullptr ? plain_->try_acquire() || plain_->acquire_until(deadline)
                           : recursive_->acquire_until(deadline);
}

bool Condition::try_acquire() noexcept CONCUR_NO_THREAD_SAFETY_ANALYSIS {
  return plain_ != nullptr ? plain_->try_acquire() : recursive_->try_acquire();
}

void Condition::release() CONCUR_NO_THREAD_SAFETY_ANALYSIS {
  if (plain_ != nullptr) {
    plain_->release();
  } else {
    recursive_->release();
  }
}

bool Condition::holds() const noexcept {
  return plain_ != nullptr ? plain_->locked() : recursive_->is_owned();
}

void Condition::enqueue(Waiter& waiter) {
  detail::LockGuard guard(waiters_lock_);
  waiter.prev = tail_;
  (tail_ != nullptr ? tail_->next : head_) = &waiter;
  tail_ = &waiter;
}

bool Condition::dequeue_if_waiting(Waiter& waiter) {
  detail::LockGuard guard(waiters_lock_);
  // A notifier sets `notified` under waiters_lock_, after unlinking the node.
  if (waiter.notified.load(std::memory_order_relaxed) != 0) return false;
  (waiter.prev != nullptr ? waiter.prev->next : head_) = waiter.next;
  (waiter.next != nullptr ? waiter.next->prev : tail_) = waiter.prev;
  return true;
}

bool Condition::wait_deadline(detail::Deadline deadline) CONCUR_NO_THREAD_SAFETY_ANALYSIS {
  if (!holds()) throw RuntimeError("cannot wait on un-acquired lock");
  Waiter self;
  enqueue(self);

  // Release the user's lock completely, remembering an RLock's depth.
  std::size_t depth = 0;
  if (plain_ != nullptr) {
    plain_->release();
  } else {
    depth = recursive_->release_all();
  }

  bool notified = true;
  // acquire: pairs with the release store in notify(); what the notifier did
  // before notifying is visible once we see the flag.
  while (self.notified.load(std::memory_order_acquire) == 0) {
    if (!detail::park(self.notified, 0, deadline)) {
      // Timed out, unless a notify raced with the timeout and already took
      // the node off the list: then the notification counts.
      notified = !dequeue_if_waiting(self);
      break;
    }
  }

  if (plain_ != nullptr) {
    plain_->acquire();
  } else {
    recursive_->restore(depth);
  }
  return notified;
}

void Condition::notify(std::size_t n) {
  if (!holds()) throw RuntimeError("cannot notify on un-acquired lock");
  detail::LockGuard guard(waiters_lock_);
  for (; n > 0 && head_ != nullptr; --n) {
    Waiter* waiter = head_;
    head_ = waiter->next;
    (head_ != nullptr ? head_->prev : tail_) = nullptr;
    // release: pairs with the acquire load in wait_deadline(). After this store
    // the waiter may return and its node vanish; unparking a dead address is
    // harmless (park() callers tolerate stray wakes).
    waiter->notified.store(1, std::memory_order_release);
    detail::unpark(waiter->notified, 1);
  }
}

void Condition::notify_all() {
  if (!holds()) throw RuntimeError("cannot notify on un-acquired lock");
  notify(static_cast<std::size_t>(-1));
}

}  // namespace concur
