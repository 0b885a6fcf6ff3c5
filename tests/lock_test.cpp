// Lock: threading.Lock's behaviours, PYTHON-SEMANTICS.md section LOCK.
#include "concur/lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "concur/errors.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kShort;
using test::Stopwatch;
using test::Threads;

TEST(LockTest, LOCK_01_NewLockIsUnlockedAndAcquireLocksIt) {
  Lock lock;
  EXPECT_FALSE(lock.locked());
  lock.acquire();
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
}

TEST(LockTest, LOCK_02_TryAcquireFailsAtOnceWhenHeldByAnyThread) {
  Lock lock;
  EXPECT_TRUE(lock.try_acquire());
  EXPECT_FALSE(lock.try_acquire());  // same thread
  bool other_got_it = true;
  std::thread([&] { other_got_it = lock.try_acquire(); }).join();
  EXPECT_FALSE(other_got_it);
  lock.release();
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

TEST(LockTest, LOCK_03_OneReleaseLetsFiveBlockedAcquirersAllFinish) {
  Lock lock;
  lock.acquire();
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  {
    Threads threads(5, [&](std::size_t) {
      ++started;
      lock.acquire();
      lock.release();
      ++finished;
    });
    ASSERT_TRUE(eventually([&] { return started == 5; }));
    EXPECT_EQ(finished, 0);
    lock.release();
    ASSERT_TRUE(eventually([&] { return finished == 5; }));
  }
  EXPECT_FALSE(lock.locked());
}

TEST(LockTest, LOCK_04_HolderAcquiringAgainBlocksUntilAnotherThreadReleases) {
  Lock lock;
  lock.acquire();
  std::atomic<bool> reacquired{false};
  std::thread holder([&] {
    // Not the lock's first acquirer, but Lock has no owner: this thread now
    // "holds" it by acquiring it again once released elsewhere.
    reacquired = lock.acquire(test::kHangGuard);
  });
  EXPECT_FALSE(lock.acquire(kShort));  // the holder itself blocks too
  EXPECT_FALSE(reacquired);
  lock.release();  // a different thread than the one now blocked
  holder.join();
  EXPECT_TRUE(reacquired);
  lock.release();
}

TEST(LockTest, LOCK_05_AnyThreadMayRelease) {
  Lock lock;
  lock.acquire();
  std::thread([&] { lock.release(); }).join();
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.try_acquire());
  lock.release();
}

TEST(LockTest, LOCK_06_ReleaseUnlockedThrowsRuntimeError) {
  Lock lock;
  try {
    lock.release();
    FAIL() << "release of an unlocked lock did not throw";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "release unlocked lock");
  }
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.try_acquire());  // the failed release changed nothing
  lock.release();
}

TEST(LockTest, LOCK_07_TimedAcquireFailsAfterTimeoutOrSucceedsAtOnce) {
  Lock lock;
  EXPECT_TRUE(lock.acquire(test::kHangGuard));  // free: immediate
  bool got = true;
  Stopwatch watch;
  std::thread([&] { got = lock.acquire(kShort); }).join();
  EXPECT_FALSE(got);
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  lock.release();
}

TEST(LockTest, LOCK_08_LockIsIntactAfterATimedOutAcquire) {
  Lock lock;
  lock.acquire();
  std::thread([&] { EXPECT_FALSE(lock.acquire(1ms)); }).join();
  lock.release();
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.try_acquire());
  lock.release();
}

TEST(LockTest, LOCK_09_TryAcquireNeverBlocksAndZeroOrNegativeTimeoutsTryOnce) {
  Lock lock;
  lock.acquire();
  Stopwatch watch;
  EXPECT_FALSE(lock.try_acquire());
  EXPECT_FALSE(lock.acquire(0s));
  EXPECT_FALSE(lock.acquire(-5s));
  EXPECT_LT(watch.elapsed(), test::kHangGuard);
  lock.release();
  EXPECT_TRUE(lock.acquire(0s));
  lock.release();
}

TEST(LockTest, LOCK_10_ScopedUseReleasesOnExitAndOnThrow) {
  Lock lock;
  {
    std::scoped_lock hold(lock);
    EXPECT_TRUE(lock.locked());
  }
  EXPECT_FALSE(lock.locked());
  try {
    std::unique_lock hold(lock);
    throw std::logic_error("body failed");
  } catch (const std::logic_error&) {
  }
  EXPECT_FALSE(lock.locked());
  bool other_got_it = false;
  std::thread([&] {
    other_got_it = lock.try_lock_for(test::kHangGuard);
    lock.unlock();
  }).join();
  EXPECT_TRUE(other_got_it);
  EXPECT_TRUE(lock.try_lock_until(std::chrono::steady_clock::now() + 1s));
  lock.unlock();
  EXPECT_TRUE(lock.try_lock_until(std::chrono::system_clock::now() + 1s));
  lock.unlock();
}

TEST(LockTest, LOCK_11_LockedIsSeenFromEveryThread) {
  Lock lock;
  lock.acquire();
  bool seen = false;
  std::thread([&] { seen = lock.locked(); }).join();
  EXPECT_TRUE(seen);
  lock.release();
  std::thread([&] { seen = lock.locked(); }).join();
  EXPECT_FALSE(seen);
}

TEST(LockTest, LOCK_12_ExactlyOneBlockedThreadGetsTheLockPerRelease) {
  // Which thread wins is unspecified; that exactly one holds it is not.
  Lock lock;
  lock.acquire();
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<int> started{0};
  {
    Threads threads(4, [&](std::size_t) {
      ++started;
      lock.acquire();
      const int now = ++inside;
      int seen = max_inside.load();
      while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
      }
      --inside;
      lock.release();
    });
    ASSERT_TRUE(eventually([&] { return started == 4; }));
    lock.release();
  }
  EXPECT_EQ(max_inside, 1);
}

TEST(LockTest, LOCK_13_DestroyingAHeldLockIsAllowed) {
  auto lock = std::make_unique<Lock>();
  lock->acquire();
  lock.reset();
  SUCCEED();
}

TEST(LockTest, HugeTimeoutDoesNotOverflowIntoAnImmediateFailure) {
  Lock lock;
  lock.acquire();
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = lock.acquire(std::chrono::hours::max()); });
  EXPECT_FALSE(lock.acquire(kShort));
  EXPECT_FALSE(got);  // still waiting, not failed at once
  lock.release();
  waiter.join();
  EXPECT_TRUE(got);
  lock.release();
}

}  // namespace
}  // namespace concur
