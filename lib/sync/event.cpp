#include "concur/event.hpp"

namespace concur {

void Event::set() noexcept {
  std::uint32_t word = word_.load(std::memory_order_relaxed);
  // seq_cst: the waiters_ check below must not be ordered before the flag is
  // raised (a waiter registers, then re-reads the word; see wait_until). It
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
  // seq_cst (not just acquire): pairs with set()'s CAS and waiters_ check, Dekker-style.
  const auto changed = [&] { return word_.load() != seen; };
  if (detail::spin_until(changed)) return true;

  waiters_.fetch_add(1);
  bool raised = false;
  for (;;) {
    if (changed()) {
      raised = true;
      break;
    }
    if (!detail::park(word_, seen, deadline)) {
      raised = changed();
      break;
    }
  }
  waiters_.fetch_sub(1, std::memory_order_relaxed);
  return raised;
}

}  // namespace concur
