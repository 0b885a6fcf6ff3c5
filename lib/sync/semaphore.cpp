#include "concur/semaphore.hpp"

#include <limits>

#include "concur/errors.hpp"

namespace concur {

namespace {
std::ptrdiff_t checked_initial(std::ptrdiff_t value) {
  if (value < 0) throw ValueError("semaphore initial value must be >= 0");
  return value;
}
}  // namespace

Semaphore::Semaphore(std::ptrdiff_t value)
    : Semaphore(value, std::numeric_limits<std::ptrdiff_t>::max()) {}

Semaphore::Semaphore(std::ptrdiff_t value, std::ptrdiff_t limit)
    : value_(checked_initial(value)), limit_(limit) {}

bool Semaphore::acquire_until(detail::Deadline deadline) {
  if (detail::spin_until([this] { return try_acquire(); })) return true;
  // Announce ourselves before looking at the count again: release() adds to
  // the count, then reads waiters_; with both seq_cst either it sees us and
  // bumps the epoch, or we see its units.
  waiters_.fetch_add(1);
  bool acquired = false;
  for (;;) {
    const std::uint32_t epoch = epoch_.load();
    if (try_acquire()) {
      acquired = true;
      break;
    }
    if (!detail::park(epoch_, epoch, deadline)) {
      acquired = try_acquire();
      break;
    }
  }
  waiters_.fetch_sub(1, std::memory_order_relaxed);
  return acquired;
}

void Semaphore::release(std::size_t n) {
  if (n == 0) throw ValueError("n must be one or more");
  std::ptrdiff_t value = value_.load();
  std::ptrdiff_t raised = 0;
  do {
    if (n > static_cast<std::size_t>(limit_ - value)) {
      throw ValueError(limit_ == std::numeric_limits<std::ptrdiff_t>::max()
                           ? "semaphore value would overflow"
                           : "Semaphore released too many times");
    }
    raised = value + static_cast<std::ptrdiff_t>(n);
  } while (!value_.compare_exchange_weak(value, raised));
  if (waiters_.load() != 0) {
    epoch_.fetch_add(1);
    detail::unpark(epoch_, n > 0xffffffffU ? 0xffffffffU : static_cast<std::uint32_t>(n));
  }
}

}  // namespace concur
