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
  return detail::wait_until_ready(
      epoch_, waiters_, [this] { return try_acquire(); }, deadline);
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
