#include "concur/detail/thread_token.hpp"
#include "concur/errors.hpp"
#include "concur/lock.hpp"

namespace concur {

bool RLock::is_owned() const noexcept {
  return owner_.load(std::memory_order_relaxed) == detail::this_thread_token();
}

void RLock::take_ownership(std::size_t depth) noexcept {
  owner_.store(detail::this_thread_token(), std::memory_order_relaxed);
  depth_ = depth;
}

bool RLock::acquire_until(detail::Deadline deadline) {
  if (is_owned()) {
    ++depth_;
    return true;
  }
  if (!lock_.try_acquire() && !lock_.acquire_until(deadline)) return false;
  take_ownership(1);
  return true;
}

bool RLock::try_acquire() noexcept {
  if (is_owned()) {
    ++depth_;
    return true;
  }
  if (!lock_.try_acquire()) return false;
  take_ownership(1);
  return true;
}

void RLock::release() {
  if (!is_owned()) throw RuntimeError("cannot release un-acquired lock");
  if (--depth_ == 0) {
    owner_.store(0, std::memory_order_relaxed);
    lock_.release();
  }
}

std::size_t RLock::release_all() {
  const std::size_t depth = depth_;
  depth_ = 0;
  owner_.store(0, std::memory_order_relaxed);
  lock_.release();
  return depth;
}

void RLock::restore(std::size_t depth) {
  lock_.acquire();
  take_ownership(depth);
}

}  // namespace concur
