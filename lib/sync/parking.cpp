#include "concur/detail/parking.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <climits>
#include <ctime>

namespace concur::detail {
namespace {

// std::atomic<uint32_t> is a plain 32-bit word on Linux, which is what the
// futex syscall operates on.
static_assert(sizeof(ParkWord) == sizeof(std::uint32_t) && ParkWord::is_always_lock_free);

// A 64-bit word's low half: on a little-endian machine, the word's address.
static_assert(std::endian::native == std::endian::little);
static_assert(sizeof(WideParkWord) == sizeof(std::uint64_t) && WideParkWord::is_always_lock_free);

template <class Word>
std::uint32_t* futex_address(const Word& word) noexcept {
  return const_cast<std::uint32_t*>(reinterpret_cast<const std::uint32_t*>(&word));
}

template <class Word>
long futex(const Word& word, int op, std::uint32_t value, const timespec* timeout,
           std::uint32_t bitset) noexcept {
  return syscall(SYS_futex, futex_address(word), op | FUTEX_PRIVATE_FLAG, value, timeout, nullptr,
                 bitset);
}

// parked: threads inside park(). Relaxed: a counter for tests, ordering
// nothing.
std::atomic<std::size_t> parked{0};

// ParkedScope: counts the calling thread as parked while it lives.
struct ParkedScope {
  ParkedScope() noexcept { parked.fetch_add(1, std::memory_order_relaxed); }
  ~ParkedScope() { parked.fetch_sub(1, std::memory_order_relaxed); }
  ParkedScope(const ParkedScope&) = delete;
  ParkedScope& operator=(const ParkedScope&) = delete;
};

template <class Word>
bool park_on(const Word& word, std::uint32_t expected, Deadline deadline) noexcept {
  if (deadline == kNoDeadline) {
    const ParkedScope counted;
    futex(word, FUTEX_WAIT_BITSET, expected, nullptr, FUTEX_BITSET_MATCH_ANY);
    return true;
  }
  const auto since_epoch = deadline.time_since_epoch();
  if (Clock::now() >= deadline) return false;
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, which is the
  // clock behind std::chrono::steady_clock on Linux.
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  timespec abs{};
  abs.tv_sec = static_cast<time_t>(secs.count());
  abs.tv_nsec = static_cast<long>(std::chrono::nanoseconds(since_epoch - secs).count());
  const ParkedScope counted;
  const long rc = futex(word, FUTEX_WAIT_BITSET, expected, &abs, FUTEX_BITSET_MATCH_ANY);
  return !(rc == -1 && errno == ETIMEDOUT);
}

}  // namespace

std::size_t parked_threads() noexcept {
  return parked.load(std::memory_order_relaxed);
}

bool park(const ParkWord& word, std::uint32_t expected, Deadline deadline) noexcept {
  return park_on(word, expected, deadline);
}

bool park(const WideParkWord& word, std::uint32_t expected_low_half, Deadline deadline) noexcept {
  return park_on(word, expected_low_half, deadline);
}

void unpark(const ParkWord& word, std::uint32_t count) noexcept {
  const int n = count > static_cast<std::uint32_t>(INT_MAX) ? INT_MAX : static_cast<int>(count);
  futex(word, FUTEX_WAKE, static_cast<std::uint32_t>(n), nullptr, 0);
}

void unpark_all(const ParkWord& word) noexcept {
  unpark(word, static_cast<std::uint32_t>(INT_MAX));
}

void unpark_all(const WideParkWord& word) noexcept {
  futex(word, FUTEX_WAKE, static_cast<std::uint32_t>(INT_MAX), nullptr, 0);
}

}  // namespace concur::detail
