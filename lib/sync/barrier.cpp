#include "concur/barrier.hpp"

#include <utility>

#include "concur/detail/lock_guard.hpp"
#include "concur/errors.hpp"

namespace concur {

namespace {
std::size_t checked_parties(std::size_t parties) {
  if (parties < 1) throw ValueError("parties must be >= 1");
  return parties;
}
[[noreturn]] void throw_broken() {
  throw BrokenBarrierError("the barrier is broken");
}
}  // namespace

Barrier::Barrier(std::size_t parties, std::function<void()> action,
                 std::optional<std::chrono::nanoseconds> timeout)
    : parties_(checked_parties(parties)), action_(std::move(action)), default_timeout_(timeout) {}

std::size_t Barrier::wait() {
  return wait_until(default_timeout_ ? detail::deadline_after(*default_timeout_)
                                     : detail::kNoDeadline);
}

std::size_t Barrier::wait_until(detail::Deadline deadline) {
  detail::LockGuard hold(changed_);
  enter();
  const std::size_t index = count_++;
  // Whatever happens, this thread leaves the round: count_ must drop and the
  // last one out must refill the barrier.
  struct Leave {
    Barrier& barrier;
    ~Leave() CONCUR_NO_THREAD_SAFETY_ANALYSIS { barrier.leave(); }
  } leave_on_exit{*this};
  if (index + 1 == parties_) {
    release_round();
  } else {
    await_round(deadline);
  }
  return index;
}

// enter: waits while a previous round drains or a reset is in progress.
void Barrier::enter() {
  while (phase_ == Phase::draining || phase_ == Phase::resetting)
    changed_.wait();
  if (phase_ == Phase::broken) throw_broken();
}

// release_round: the last arrival runs the action and lets everyone go.
void Barrier::release_round() {
  if (action_) {
    try {
      action_();
    } catch (...) {
      break_barrier();
      throw;
    }
  }
  phase_ = Phase::draining;
  changed_.notify_all();
}

// await_round: waits for the last arrival; a timeout breaks the barrier.
void Barrier::await_round(detail::Deadline deadline) {
  const auto round_over = [this]()
                              CONCUR_NO_THREAD_SAFETY_ANALYSIS { return phase_ != Phase::filling; };
  bool over = round_over();
  while (!over && !detail::expired(deadline)) {
    changed_.wait_until(deadline);
    over = round_over();
  }
  if (!over) {
    break_barrier();
    throw_broken();
  }
  if (phase_ == Phase::broken || phase_ == Phase::resetting) throw_broken();
}

// leave: the last thread out of a drained or reset round refills the barrier.
void Barrier::leave() {
  --count_;
  if (count_ == 0 && (phase_ == Phase::draining || phase_ == Phase::resetting)) {
    phase_ = Phase::filling;
    changed_.notify_all();
  }
}

void Barrier::break_barrier() {
  phase_ = Phase::broken;
  changed_.notify_all();
}

void Barrier::reset() {
  detail::LockGuard hold(changed_);
  if (count_ > 0) {
    // Waiters in the current round must see the break; the last to leave
    // refills the barrier. A round already draining finishes on its own.
    if (phase_ == Phase::filling || phase_ == Phase::broken) phase_ = Phase::resetting;
  } else {
    phase_ = Phase::filling;
  }
  changed_.notify_all();
}

void Barrier::abort() {
  detail::LockGuard hold(changed_);
  break_barrier();
}

std::size_t Barrier::n_waiting() const {
  detail::LockGuard hold(changed_);
  return phase_ == Phase::filling ? count_ : 0;
}

bool Barrier::broken() const {
  detail::LockGuard hold(changed_);
  return phase_ == Phase::broken;
}

}  // namespace concur
