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

// check_extreme_time_points: every primitive's time-point form, at the
// earliest and the latest time point of TimePoint: min() checks once and
// fails on a taken primitive, max() succeeds at once on a free one.
template <class TimePoint>
void check_extreme_time_points() {
  const TimePoint earliest = TimePoint::min();
  const TimePoint latest = TimePoint::max();
  test::Stopwatch watch;
  Lock taken;
  taken.acquire();
  EXPECT_FALSE(taken.try_lock_until(earliest));
  Lock free_lock;
  EXPECT_TRUE(free_lock.try_lock_until(latest));
  free_lock.release();
  RLock rlock;
  std::thread([&] { rlock.acquire(); }).join();  // owned by a finished thread
  EXPECT_FALSE(rlock.try_lock_until(earliest));
  RLock free_rlock;
  EXPECT_TRUE(free_rlock.try_lock_until(latest));
  free_rlock.release();
  Semaphore empty(0);
  EXPECT_FALSE(empty.try_lock_until(earliest));
  Semaphore one(1);
  EXPECT_TRUE(one.try_lock_until(latest));
  Condition condition;
  EXPECT_TRUE(condition.try_lock_until(latest));
  EXPECT_FALSE(condition.wait_until(earliest));
  std::thread([&] { EXPECT_FALSE(condition.try_lock_until(earliest)); }).join();
  condition.release();
  taken.release();
  EXPECT_LT(watch.elapsed(), test::kHangGuard);
}

TEST(DeadlineTest, GEN_04_EveryTimePointFromMinToMaxOnEveryClock) {
  using std::chrono::steady_clock;
  using std::chrono::system_clock;
  check_extreme_time_points<steady_clock::time_point>();
  check_extreme_time_points<system_clock::time_point>();
  check_extreme_time_points<std::chrono::time_point<steady_clock, std::chrono::hours>>();
  check_extreme_time_points<std::chrono::time_point<system_clock, std::chrono::seconds>>();
  check_extreme_time_points<
      std::chrono::time_point<system_clock, std::chrono::duration<double, std::milli>>>();
  const auto far = detail::deadline_at(system_clock::time_point::max());
  EXPECT_GT(far, Clock::now() + std::chrono::hours(24 * 365 * 100));
  const auto past_system = detail::deadline_at(system_clock::time_point::min());
  const auto past_steady = detail::deadline_at(steady_clock::time_point::min());
  EXPECT_LE(past_system, Clock::now());
  EXPECT_LE(past_steady, Clock::now());
}

TEST(DeadlineTest, GEN_04_EveryDurationFromMinToMaxOnEveryWait) {
  test::Stopwatch watch;
  const auto shortest = std::chrono::nanoseconds::min();
  const auto longest = std::chrono::hours::max();
  Lock lock;
  EXPECT_TRUE(lock.acquire(longest));
  EXPECT_FALSE(lock.acquire(shortest));
  lock.release();
  Semaphore semaphore(1);
  EXPECT_TRUE(semaphore.acquire(longest));
  EXPECT_FALSE(semaphore.acquire(shortest));
  Event event;
  EXPECT_FALSE(event.wait(shortest));
  event.set();
  EXPECT_TRUE(event.wait(longest));
  Barrier single(1);
  EXPECT_EQ(single.wait(longest), 0u);
  EXPECT_EQ(single.wait(shortest), 0u);
  Queue<int> queue(1);
  queue.put(1, longest);
  EXPECT_THROW(queue.put(2, shortest), QueueFull);
  EXPECT_EQ(queue.get(longest), 1);
  EXPECT_THROW(queue.get(shortest), QueueEmpty);
  SimpleQueue<int> simple;
  EXPECT_THROW(simple.get(std::chrono::duration<double>(-1e300)), QueueEmpty);
  Promise<int> promise;
  EXPECT_THROW(promise.future().result(shortest), TimeoutError);
  promise.set_result(3);
  EXPECT_EQ(promise.future().result(longest), 3);
  EXPECT_LT(watch.elapsed(), test::kHangGuard);
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
