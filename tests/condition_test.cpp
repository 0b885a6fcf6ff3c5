// Condition: threading.Condition's behaviours, docs/spec.md section COND.
#include "concur/condition.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "concur/lock.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kHangGuard;
using test::kShort;
using test::Stopwatch;
using test::Threads;

// Waiters: n threads that each wait once on `cond` and record the wake-up.
// Each registers under the lock before waiting, so once the caller holds the
// lock after `registered == n`, every one of them is inside wait().
struct Waiters {
  Condition& cond;
  std::atomic<int> registered{0};
  std::atomic<int> woken{0};
  std::vector<bool> results;
  std::unique_ptr<Threads> threads;

  Waiters(Condition& c, std::size_t n) : cond(c), results(n, false) {
    threads = std::make_unique<Threads>(n, [this](std::size_t i) {
      std::scoped_lock hold(cond);
      ++registered;
      results[i] = cond.wait(kHangGuard);
      ++woken;
    });
  }
  // all_waiting: blocks until `n` threads are inside wait().
  bool all_waiting(int n) {
    if (!eventually([&] { return registered == n; })) return false;
    std::scoped_lock hold(cond);  // they released it inside wait()
    return true;
  }
};

TEST(ConditionTest, COND_01_DefaultConditionOwnsAnRLock) {
  Condition cond;
  cond.acquire();
  cond.acquire();
  cond.release();
  cond.release();
  EXPECT_THROW(cond.release(), RuntimeError);
}

TEST(ConditionTest, COND_02_ConditionOverALockUsesThatLock) {
  Lock lock;
  Condition cond(lock);
  cond.acquire();
  EXPECT_FALSE(lock.try_acquire());
  cond.release();
  EXPECT_TRUE(lock.try_acquire());
  EXPECT_FALSE(cond.try_acquire());
  bool other = true;
  std::thread([&] { other = cond.acquire(1ms); }).join();
  EXPECT_FALSE(other);
  lock.release();
  {
    std::scoped_lock hold(cond);
    EXPECT_TRUE(lock.locked());
  }
  EXPECT_FALSE(lock.locked());
}

TEST(ConditionTest, COND_03_DefaultConditionBehavesAsAnRLock) {
  Condition cond;
  cond.acquire();
  bool other_acquired = true;
  bool other_release_threw = false;
  std::thread([&] {
    other_acquired = cond.try_acquire();
    try {
      cond.release();
    } catch (const RuntimeError&) {
      other_release_threw = true;
    }
  }).join();
  EXPECT_FALSE(other_acquired);
  EXPECT_TRUE(other_release_threw);
  EXPECT_TRUE(cond.try_acquire());  // owner re-enters
  cond.release();
  cond.release();
  EXPECT_THROW(cond.release(), RuntimeError);
}

TEST(ConditionTest, COND_04_WaitWithoutTheLockThrowsRuntimeError) {
  Condition cond;
  try {
    cond.wait(1ms);
    FAIL() << "wait without the lock did not throw";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot wait on un-acquired lock");
  }
  EXPECT_THROW(cond.wait(), RuntimeError);
}

TEST(ConditionTest, COND_05_NotifyWithoutTheLockThrowsRuntimeError) {
  Condition cond;
  try {
    cond.notify();
    FAIL() << "notify without the lock did not throw";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot notify on un-acquired lock");
  }
  EXPECT_THROW(cond.notify_all(), RuntimeError);
}

TEST(ConditionTest, COND_06_OverAnRLockHeldMeansHeldByTheCaller) {
  Condition cond;
  cond.acquire();
  bool threw = false;
  std::thread([&] {
    try {
      cond.notify();
    } catch (const RuntimeError&) {
      threw = true;
    }
  }).join();
  EXPECT_TRUE(threw);
  cond.release();
}

TEST(ConditionTest, COND_07_WaitReleasesEveryLevelAndRestoresTheDepth) {
  RLock lock;
  Condition cond(lock);
  lock.acquire();
  lock.acquire();
  lock.acquire();
  std::atomic<bool> other_got_it{false};
  std::thread other([&] {
    lock.acquire();  // possible only if wait() released all three levels
    other_got_it = true;
    cond.notify();
    lock.release();
  });
  EXPECT_TRUE(cond.wait(kHangGuard));
  EXPECT_TRUE(other_got_it);
  EXPECT_EQ(lock.recursion_count(), 3u);
  other.join();
  EXPECT_FALSE(cond.wait(1ms));  // after a timeout too
  EXPECT_EQ(lock.recursion_count(), 3u);
  lock.release();
  lock.release();
  lock.release();
  EXPECT_FALSE(lock.locked());
}

// held_elsewhere: whether another thread finds the condition's lock taken.
bool held_elsewhere(Condition& cond) {
  bool taken = false;
  std::thread([&] {
    taken = !cond.try_acquire();
    if (!taken) cond.release();
  }).join();
  return taken;
}

TEST(ConditionTest, COND_08_WaitReturnsTrueWhenNotifiedFalseAfterTimeoutLockHeldEither) {
  Condition cond;
  std::scoped_lock hold(cond);
  Stopwatch watch;
  EXPECT_FALSE(cond.wait(kShort));
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  EXPECT_TRUE(held_elsewhere(cond));
  std::thread notifier([&] {
    std::scoped_lock inner(cond);
    cond.notify();
  });
  EXPECT_TRUE(cond.wait(kHangGuard));
  EXPECT_TRUE(held_elsewhere(cond));
  notifier.join();
}

TEST(ConditionTest, COND_09_ZeroOrNegativeTimeoutReleasesAndReacquiresWithoutBlocking) {
  Lock lock;
  Condition cond(lock);
  std::scoped_lock hold(cond);
  Stopwatch watch;
  EXPECT_FALSE(cond.wait(0s));
  EXPECT_FALSE(cond.wait(-1s));
  EXPECT_LT(watch.elapsed(), kHangGuard);
  EXPECT_TRUE(lock.locked());
}

TEST(ConditionTest, COND_10_NotifyNWakesExactlyMinOfNAndTheWaiting) {
  Condition cond;
  std::atomic<int> phase{0};
  std::atomic<int> registered{0};
  std::atomic<int> woken_phase1{0};
  std::atomic<int> woken_phase2{0};
  Threads threads(5, [&](std::size_t) {
    std::scoped_lock hold(cond);
    ++registered;
    ASSERT_TRUE(cond.wait(kHangGuard));
    if (phase == 1) {
      ++woken_phase1;
      ++registered;  // wait again for phase 2
      ASSERT_TRUE(cond.wait(kHangGuard));
    }
    ++woken_phase2;
  });
  ASSERT_TRUE(eventually([&] { return registered == 5; }));
  {
    std::scoped_lock hold(cond);  // all 5 are inside wait()
    phase = 1;
    cond.notify(3);
  }
  // The 3 woken re-register under the lock and wait again.
  ASSERT_TRUE(eventually([&] { return registered == 8; }));
  {
    std::scoped_lock hold(cond);
    EXPECT_EQ(woken_phase1, 3);
    EXPECT_EQ(woken_phase2, 0);
    phase = 2;
    cond.notify(5);
  }
  ASSERT_TRUE(eventually([&] { return woken_phase2 == 5; }));
  EXPECT_EQ(woken_phase1, 3);
}

TEST(ConditionTest, COND_10_NotifyWithNoWaitersAndNotifyZeroDoNothing) {
  Condition cond;
  std::scoped_lock hold(cond);
  cond.notify();
  cond.notify(0);
  cond.notify_all();
  EXPECT_FALSE(cond.wait(1ms));
}

TEST(ConditionTest, COND_11_NotifyAllWakesEveryCurrentWaiterAndNoLaterOne) {
  Condition cond;
  Waiters waiters(cond, 4);
  ASSERT_TRUE(waiters.all_waiting(4));
  {
    std::scoped_lock hold(cond);
    cond.notify_all();
  }
  ASSERT_TRUE(eventually([&] { return waiters.woken == 4; }));
  waiters.threads->join();
  for (bool r : waiters.results)
    EXPECT_TRUE(r);
  std::scoped_lock hold(cond);
  EXPECT_FALSE(cond.wait(1ms));  // a later waiter is not woken by that notify_all
}

TEST(ConditionTest, COND_12_ANotifiedWaiterReturnsOnlyAfterTheNotifierReleases) {
  Condition cond;
  Waiters waiters(cond, 1);
  ASSERT_TRUE(waiters.all_waiting(1));
  cond.acquire();
  cond.notify();
  // The waiter needs the lock back; it cannot return while we hold it. (The
  // pause only gives a broken implementation the chance to show itself.)
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(waiters.woken, 0);
  cond.release();
  ASSERT_TRUE(eventually([&] { return waiters.woken == 1; }));
}

TEST(ConditionTest, COND_13_NotificationsAreNotRemembered) {
  Condition cond;
  std::scoped_lock hold(cond);
  cond.notify();
  Stopwatch watch;
  EXPECT_FALSE(cond.wait(kShort));
  EXPECT_WAITED_AT_LEAST(watch, kShort);
}

TEST(ConditionTest, COND_14_WaitersAreWokenInTheOrderTheyBeganWaiting) {
  Condition cond;
  std::vector<int> woken_order;
  std::atomic<int> registered{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::scoped_lock hold(cond);
      ++registered;
      ASSERT_TRUE(cond.wait(kHangGuard));
      woken_order.push_back(i);
    });
    // Thread i is inside wait() before thread i+1 starts.
    ASSERT_TRUE(eventually([&] { return registered == i + 1; }));
    std::scoped_lock hold(cond);
  }
  for (int i = 0; i < 4; ++i) {
    std::scoped_lock hold(cond);
    cond.notify();
    // Wait until that one has recorded itself before waking the next.
    cond.release();
    ASSERT_TRUE(eventually([&] {
      std::scoped_lock inner(cond);
      return woken_order.size() == static_cast<std::size_t>(i + 1);
    }));
    cond.acquire();
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(woken_order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(ConditionTest, COND_15_WaitForChecksThePredicateFirstThenAfterEveryWakeup) {
  Condition cond;
  int state = 0;
  int evaluations = 0;
  {
    std::scoped_lock hold(cond);
    EXPECT_TRUE(cond.wait_for([&] {
      ++evaluations;
      return true;
    }));
    EXPECT_EQ(evaluations, 1);  // no wait at all
  }
  std::atomic<bool> waiting{false};
  std::thread setter([&] {
    ASSERT_TRUE(eventually([&] { return waiting.load(); }));
    for (int i = 1; i <= 3; ++i) {
      std::scoped_lock hold(cond);
      state = i;
      cond.notify();
    }
  });
  std::scoped_lock hold(cond);
  evaluations = 0;
  EXPECT_TRUE(cond.wait_for([&] {
    ++evaluations;
    waiting = true;
    return state == 3;
  }));
  EXPECT_EQ(state, 3);
  EXPECT_GE(evaluations, 2);
  cond.release();
  setter.join();
  cond.acquire();
}

TEST(ConditionTest, COND_16_COND_17_WaitForTimeoutIsOneDeadlineAndReturnsTheLastValue) {
  Condition cond;
  int state = 0;
  std::atomic<bool> waiting{false};
  std::thread setter([&] {
    ASSERT_TRUE(eventually([&] { return waiting.load(); }));
    for (int i = 0; i < 3; ++i) {  // 3 notifies; the predicate needs 4
      std::scoped_lock hold(cond);
      ++state;
      cond.notify();
    }
  });
  const auto timeout = 200ms;
  Stopwatch watch;
  bool result = true;
  int evaluations_after_deadline = 0;
  {
    std::scoped_lock hold(cond);
    result = cond.wait_for(
        [&] {
          waiting = true;
          if (watch.elapsed() >= timeout) ++evaluations_after_deadline;
          return state == 4;
        },
        timeout);
  }
  setter.join();
  EXPECT_FALSE(result);
  EXPECT_WAITED_AT_LEAST(watch, timeout);
  EXPECT_EQ(evaluations_after_deadline, 1);  // evaluated once more, then returned
  EXPECT_EQ(state, 3);
}

TEST(ConditionTest, COND_16_WaitForReturnsTrueWhenSatisfiedBeforeTheTimeout) {
  Condition cond;
  bool flag = false;
  std::thread setter([&] {
    std::scoped_lock hold(cond);
    flag = true;
    cond.notify_all();
  });
  std::scoped_lock hold(cond);
  EXPECT_TRUE(cond.wait_for([&] { return flag; }, kHangGuard));
  cond.release();
  setter.join();
  cond.acquire();
}

TEST(ConditionTest, COND_18_WaitForWithATruePredicateNeedsNoLock) {
  Condition cond;
  EXPECT_TRUE(cond.wait_for([] { return true; }));
  EXPECT_TRUE(cond.wait_for([] { return true; }, 1s));
  EXPECT_THROW(cond.wait_for([] { return false; }, 1ms), RuntimeError);
}

TEST(ConditionTest, COND_19_ConditionsSharingALockWakeOnlyTheirOwnWaiters) {
  Lock lock;
  Condition not_empty(lock);
  Condition not_full(lock);
  Waiters empty_waiters(not_empty, 1);
  Waiters full_waiters(not_full, 1);
  ASSERT_TRUE(empty_waiters.all_waiting(1));
  ASSERT_TRUE(full_waiters.all_waiting(1));
  {
    std::scoped_lock hold(lock);
    not_full.notify_all();
  }
  ASSERT_TRUE(eventually([&] { return full_waiters.woken == 1; }));
  EXPECT_EQ(empty_waiters.woken, 0);
  {
    std::scoped_lock hold(lock);
    not_empty.notify();
  }
  ASSERT_TRUE(eventually([&] { return empty_waiters.woken == 1; }));
}

TEST(ConditionTest, WorksAsATimedLockableForStdUniqueLock) {
  Condition cond;
  std::unique_lock hold(cond, std::defer_lock);
  EXPECT_TRUE(hold.try_lock_for(10ms));
  EXPECT_FALSE(cond.wait_until(std::chrono::steady_clock::now() + 1ms));
}

}  // namespace
}  // namespace concur
