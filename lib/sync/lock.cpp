#include "concur/lock.hpp"

#include "concur/errors.hpp"

namespace concur {

bool Lock::acquire_until(detail::Deadline deadline) {
  // Spin first: on a short critical section the holder is likely to finish
  // before a futex round trip would.
  if (detail::spin_until([this] {
        return state_.load(std::memory_order_relaxed) == kUnlocked && try_acquire();
      })) {
    return true;
  }
  // Park. Marking the word contended before parking makes the holder's
  // release() wake us; we keep it contended when we win, since others may
  // still be parked (a spare wake is harmless, a missing one is not).
  for (;;) {
    // acquire: as in try_acquire().
    if (state_.exchange(kContended, std::memory_order_acquire) == kUnlocked) return true;
    if (!detail::park(state_, kContended, deadline)) return false;
  }
}

void Lock::throw_release_unlocked() {
  throw RuntimeError("release unlocked lock");
}

}  // namespace concur
