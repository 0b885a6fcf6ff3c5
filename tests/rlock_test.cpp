// RLock: threading.RLock's behaviours, PYTHON-SEMANTICS.md section RLOCK.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "concur/lock.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kShort;
using test::Stopwatch;
using test::Threads;

TEST(RLockTest, RLOCK_01_OwnerReacquiresAndOnlyTheLastReleaseFreesIt) {
  RLock lock;
  lock.acquire();
  lock.acquire();
  lock.release();
  lock.acquire();
  lock.release();
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
}

TEST(RLockTest, RLOCK_02_ReleaseOfAnUnownedRLockThrowsRuntimeError) {
  RLock lock;
  EXPECT_THROW(lock.release(), RuntimeError);
  lock.acquire();
  lock.acquire();
  lock.release();
  lock.release();
  try {
    lock.release();
    FAIL() << "release of an unowned RLock did not throw";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot release un-acquired lock");
  }
}

TEST(RLockTest, RLOCK_03_ReleaseByANonOwnerThrowsAndTheOwnerKeepsIt) {
  RLock lock;
  lock.acquire();
  bool threw = false;
  std::thread([&] {
    try {
      lock.release();
    } catch (const RuntimeError&) {
      threw = true;
    }
  }).join();
  EXPECT_TRUE(threw);
  EXPECT_TRUE(lock.is_owned());
  EXPECT_EQ(lock.recursion_count(), 1u);
  lock.release();
}

TEST(RLockTest, RLOCK_04_NonOwnerTryAcquireFailsOwnerSucceedsAndDeepens) {
  RLock lock;
  lock.acquire();
  bool other = true;
  std::thread([&] { other = lock.try_acquire(); }).join();
  EXPECT_FALSE(other);
  EXPECT_TRUE(lock.try_acquire());
  EXPECT_EQ(lock.recursion_count(), 2u);
  lock.release();
  lock.release();
}

TEST(RLockTest, RLOCK_05_RecursionCountIsPerOwner) {
  RLock lock;
  EXPECT_EQ(lock.recursion_count(), 0u);
  lock.acquire();
  EXPECT_EQ(lock.recursion_count(), 1u);
  lock.acquire();
  lock.acquire();
  EXPECT_EQ(lock.recursion_count(), 3u);
  std::size_t seen_elsewhere = 99;
  std::thread([&] { seen_elsewhere = lock.recursion_count(); }).join();
  EXPECT_EQ(seen_elsewhere, 0u);
  lock.release();
  EXPECT_EQ(lock.recursion_count(), 2u);
  lock.release();
  lock.release();
  EXPECT_EQ(lock.recursion_count(), 0u);
}

TEST(RLockTest, RLOCK_06_IsOwnedOnlyInTheOwningThread) {
  RLock lock;
  EXPECT_FALSE(lock.is_owned());
  lock.acquire();
  lock.acquire();
  EXPECT_TRUE(lock.is_owned());
  bool elsewhere = true;
  std::thread([&] { elsewhere = lock.is_owned(); }).join();
  EXPECT_FALSE(elsewhere);
  lock.release();
  EXPECT_TRUE(lock.is_owned());
  lock.release();
  EXPECT_FALSE(lock.is_owned());
}

TEST(RLockTest, RLOCK_07_NonOwnerTimedAcquireFailsAfterTimeoutOwnerSucceedsAtOnce) {
  RLock lock;
  lock.acquire();
  EXPECT_TRUE(lock.acquire(test::kHangGuard));  // owner: immediate
  bool other = true;
  Stopwatch watch;
  std::thread([&] { other = lock.acquire(kShort); }).join();
  EXPECT_FALSE(other);
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  lock.release();
  lock.release();
}

TEST(RLockTest, RLOCK_08_BlockedAcquirersProceedOneAtATimeOnceTheCountReachesZero) {
  RLock lock;
  lock.acquire();
  lock.acquire();
  std::atomic<int> started{0};
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<int> finished{0};
  {
    Threads threads(5, [&](std::size_t) {
      ++started;
      lock.acquire();
      const int now = ++inside;
      if (now > max_inside) max_inside = now;
      --inside;
      lock.release();
      ++finished;
    });
    ASSERT_TRUE(eventually([&] { return started == 5; }));
    lock.release();  // depth 2 -> 1: still owned, nobody may pass
    EXPECT_TRUE(lock.is_owned());
    EXPECT_EQ(finished, 0);
    lock.release();
    ASSERT_TRUE(eventually([&] { return finished == 5; }));
  }
  EXPECT_EQ(max_inside, 1);
}

TEST(RLockTest, RLOCK_09_LockedWhileOwnedAtAnyDepth) {
  RLock lock;
  EXPECT_FALSE(lock.locked());
  lock.acquire();
  lock.acquire();
  EXPECT_TRUE(lock.locked());
  bool seen = false;
  std::thread([&] { seen = lock.locked(); }).join();
  EXPECT_TRUE(seen);
  lock.release();
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
}

TEST(RLockTest, RLOCK_10_ScopedUseReleasesExactlyOneLevelAlsoOnThrow) {
  RLock lock;
  lock.acquire();
  {
    std::scoped_lock hold(lock);
    EXPECT_EQ(lock.recursion_count(), 2u);
  }
  EXPECT_EQ(lock.recursion_count(), 1u);
  try {
    std::unique_lock hold(lock);
    throw std::logic_error("body failed");
  } catch (const std::logic_error&) {
  }
  EXPECT_EQ(lock.recursion_count(), 1u);
  lock.release();
  EXPECT_FALSE(lock.locked());
}

TEST(RLockTest, RLOCK_11_ZeroAndNegativeTimeoutsTryOnceWithoutError) {
  RLock lock;
  std::thread([&] {
    EXPECT_TRUE(lock.acquire(0s));
    EXPECT_TRUE(lock.acquire(-1s));  // owner: deepens
    lock.release();
    lock.release();
  }).join();
  lock.acquire();
  bool other = true;
  std::thread([&] { other = lock.acquire(-1s); }).join();
  EXPECT_FALSE(other);
  lock.release();
}

TEST(RLockTest, TimedLockableWithStdUniqueLock) {
  RLock lock;
  std::unique_lock hold(lock, std::defer_lock);
  EXPECT_TRUE(hold.try_lock_for(10ms));
  EXPECT_TRUE(lock.try_lock_until(std::chrono::steady_clock::now()));
  lock.unlock();
}

}  // namespace
}  // namespace concur
