// Cross-cutting timeout behaviours, GEN-01..05: monotonic deadlines, "check
// once" for zero and negative timeouts, no overflow for huge ones.
#include "concur/detail/deadline.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "concur/concur.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using detail::Clock;
using detail::deadline_after;
using detail::kNoDeadline;

TEST(DeadlineTest, GEN_01_DeadlinesAreOnTheMonotonicClock) {
  static_assert(std::is_same_v<detail::Clock, std::chrono::steady_clock>);
  static_assert(detail::Clock::is_steady);
  const auto before = Clock::now();
  const auto deadline = deadline_after(1s);
  EXPECT_GE(deadline, before + 1s);
  EXPECT_LE(deadline, Clock::now() + 1s);
}

TEST(DeadlineTest, GEN_02_ZeroTimeoutChecksOnceEverywhere) {
  Lock lock;
  lock.acquire();
  RLock rlock;
  std::thread([&] { rlock.acquire(); }).join();  // owned by a finished thread
  Semaphore semaphore(0);
  Event event;
  Condition condition;
  condition.acquire();
  test::Stopwatch watch;
  EXPECT_FALSE(lock.acquire(0s));
  EXPECT_FALSE(rlock.acquire(0s));
  EXPECT_FALSE(semaphore.acquire(0s));
  EXPECT_FALSE(event.wait(0s));
  EXPECT_FALSE(condition.wait(0s));
  EXPECT_LT(watch.elapsed(), test::kHangGuard);
  condition.release();
  lock.release();
}

TEST(DeadlineTest, GEN_03_NegativeTimeoutsMeanCheckOnceNeverAnError) {
  const auto negative = deadline_after(-1s);
  const auto negative_double = deadline_after(std::chrono::duration<double>(-0.5));
  EXPECT_LE(negative, Clock::now());
  EXPECT_LE(negative_double, Clock::now());
  Lock lock;
  EXPECT_TRUE(lock.acquire(-1s));  // free: taken
  EXPECT_FALSE(lock.acquire(-1s));
  lock.release();
  Semaphore semaphore(0);
  EXPECT_NO_THROW(EXPECT_FALSE(semaphore.acquire(-1ms)));
}

TEST(DeadlineTest, GEN_04_HugeTimeoutsSaturateInsteadOfOverflowing) {
  EXPECT_EQ(deadline_after(std::chrono::nanoseconds::max()), kNoDeadline);
  EXPECT_EQ(deadline_after(std::chrono::hours::max()), kNoDeadline);
  EXPECT_EQ(deadline_after(std::chrono::duration<std::int64_t, std::ratio<86400 * 365>>::max()),
            kNoDeadline);
  EXPECT_EQ(deadline_after(std::chrono::duration<double>(1e300)), kNoDeadline);
  const auto year = deadline_after(std::chrono::hours(24 * 365));
  EXPECT_NE(year, kNoDeadline);
  EXPECT_GT(year, Clock::now() + std::chrono::hours(24 * 364));
  EXPECT_EQ(detail::deadline_at(std::chrono::steady_clock::time_point::max()), kNoDeadline);
}

TEST(DeadlineTest, GEN_04_FractionalTimeoutsRoundUpNotDown) {
  const auto before = Clock::now();
  EXPECT_GT(deadline_after(std::chrono::duration<double, std::nano>(0.25)), before);
}

TEST(DeadlineTest, GEN_05_NoSpuriousWakeupsTimedWaitsReturnFalseOnlyAfterTheTimeout) {
  Condition condition;
  Event event;
  Semaphore semaphore(0);
  std::scoped_lock hold(condition);
  test::Stopwatch watch;
  EXPECT_FALSE(condition.wait(test::kShort));
  EXPECT_WAITED_AT_LEAST(watch, test::kShort);
  test::Stopwatch event_watch;
  EXPECT_FALSE(event.wait(test::kShort));
  EXPECT_WAITED_AT_LEAST(event_watch, test::kShort);
  test::Stopwatch semaphore_watch;
  EXPECT_FALSE(semaphore.acquire(test::kShort));
  EXPECT_WAITED_AT_LEAST(semaphore_watch, test::kShort);
}

}  // namespace
}  // namespace concur
