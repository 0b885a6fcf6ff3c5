#include "concur/condition.hpp"

#include "concur/detail/lock_guard.hpp"
#include "concur/errors.hpp"

namespace concur {

// Waiter: one thread blocked in wait(). It spins, then parks on its own word,
// so a notify wakes exactly the threads it chose and no others, and makes a
// system call only for a waiter that really went to sleep.
struct Condition::Waiter {
  static constexpr std::uint32_t kWaiting = 0;
  static constexpr std::uint32_t kNotified = 1;
  static constexpr std::uint32_t kParked = 2;
  detail::ParkWord state{kWaiting};
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
  // A notifier marks the node notified under waiters_lock_, after unlinking it.
  if (waiter.state.load(std::memory_order_relaxed) == Waiter::kNotified) return false;
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

  // acquire (every load of state below): pairs with the release exchange in
  // notify(); what the notifier did before notifying is visible once we see
  // kNotified.
  const auto notified_now = [&self] {
    return self.state.load(std::memory_order_acquire) == Waiter::kNotified;
  };
  bool notified = detail::spin_until(notified_now);
  if (!notified) {
    std::uint32_t expected = Waiter::kWaiting;
    // Announce the sleep; if a notify got in first, the CAS fails: notified.
    notified =
        !self.state.compare_exchange_strong(expected, Waiter::kParked, std::memory_order_acquire);
    while (!notified) {
      if (!detail::park(self.state, Waiter::kParked, deadline)) {
        // Timed out, unless a notify raced with the timeout and already took
        // the node off the list: then the notification counts.
        notified = !dequeue_if_waiting(self);
        break;
      }
      notified = notified_now();
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
    // release: pairs with the acquire loads in wait_deadline(). After this
    // exchange a waiter that was still spinning may return and its node
    // vanish, so the node is touched again only if the waiter had parked (it
    // then stays parked until this wake, or until it times out and takes
    // waiters_lock_, which we hold).
    if (waiter->state.exchange(Waiter::kNotified, std::memory_order_release) == Waiter::kParked) {
      detail::unpark(waiter->state, 1);
    }
  }
}

void Condition::notify_all() {
  if (!holds()) throw RuntimeError("cannot notify on un-acquired lock");
  notify(static_cast<std::size_t>(-1));
}

}  // namespace concur
