// concur/detail/deadline.hpp - turning any timeout into an absolute deadline.
// Not API. Every timed wait in concur computes its deadline once, here, on the
// steady (monotonic) clock, so a wait that wakes early resumes against the same
// deadline and wall-clock changes never matter.
#pragma once

#include <chrono>
#include <type_traits>

namespace concur::detail {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// kNoDeadline: "wait forever" (Python's timeout=None).
inline constexpr Deadline kNoDeadline = Deadline::max();

// deadline_after: the deadline `timeout` from now. A zero or negative timeout
// is "now" (check once, do not block); a timeout too large to represent
// saturates to kNoDeadline instead of overflowing (duration::max() is legal).
template <class Rep, class Period>
Deadline deadline_after(const std::chrono::duration<Rep, Period>& timeout) noexcept {
  const Deadline now = Clock::now();
  if (!(timeout > timeout.zero())) return now;
  // Compare in long double so no rep/period combination can overflow.
  using Wide = std::chrono::duration<long double, std::nano>;
  if (Wide(timeout) >= Wide(kNoDeadline - now)) return kNoDeadline;
  return now + std::chrono::ceil<Clock::duration>(timeout);
}

// deadline_at: the steady-clock deadline of a time point on any clock, from
// time_point::min() to time_point::max() of any duration. The time left is
// computed in long double, as in deadline_after: `when - C::now()` in
// integers would overflow for the extremes and for coarse durations (the
// common type of hours and nanoseconds cannot hold hours::max()).
template <class C, class D>
Deadline deadline_at(const std::chrono::time_point<C, D>& when) noexcept {
  using Wide = std::chrono::duration<long double, std::nano>;
  if constexpr (std::is_same_v<C, Clock>) {
    if (Wide(when.time_since_epoch()) >= Wide(kNoDeadline.time_since_epoch())) return kNoDeadline;
  }
  return deadline_after(Wide(when.time_since_epoch()) - Wide(C::now().time_since_epoch()));
}

// expired: whether the deadline has passed.
inline bool expired(Deadline deadline) noexcept {
  return deadline != kNoDeadline && Clock::now() >= deadline;
}

}  // namespace concur::detail
