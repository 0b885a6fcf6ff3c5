#include "concur/event.hpp"

namespace concur {

void Event::set() noexcept {
  std::uint32_t word = word_.load(std::memory_order_relaxed);
  // seq_cst: the waiters_ check below must not be ordered before the flag is
  // raised (the Dekker pattern of detail::wait_until_ready). It
  // is also the release that wait()'s acquire pairs with.
  while ((word & kSetBit) == 0) {
    if (word_.compare_exchange_weak(word, (word + kGeneration) | kSetBit)) {
      if (waiters_.load() != 0) detail::unpark_all(word_);
      return;
    }
  }
}

bool Event::wait_until(detail::Deadline deadline) noexcept {
  const std::uint32_t seen = word_.load(std::memory_order_acquire);
  if ((seen & kSetBit) != 0) return true;
  // Any change of the word since `seen` means a set() happened.
  return detail::wait_until_ready(
      word_, waiters_, [&] { return word_.load() != seen; }, deadline);
}

}  // namespace concur
