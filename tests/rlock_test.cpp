// RLock: what threading.RLock does beyond Lock (an owner, a recursion
// count); what both do is in lock_common_test.cpp. Spec: docs/spec.md, RLOCK.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "concur/errors.hpp"
#include "concur/lock.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kShort;
using test::Stopwatch;

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

TEST(RLockTest, RLOCK_04_TheOwnersTryAcquireSucceedsAndDeepens) {
  RLock lock;
  lock.acquire();
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

TEST(RLockTest, RLOCK_07_TheOwnersTimedAcquireSucceedsAtOnce) {
  RLock lock;
  lock.acquire();
  Stopwatch watch;
  EXPECT_TRUE(lock.acquire(test::kHangGuard));
  EXPECT_LT(watch.elapsed(), test::kHangGuard);
  EXPECT_EQ(lock.recursion_count(), 2u);
  lock.release();
  lock.release();
}

TEST(RLockTest, RLOCK_08_NobodyPassesUntilTheCountReachesZero) {
  RLock lock;
  lock.acquire();
  lock.acquire();
  std::atomic<bool> started{false};
  std::atomic<bool> passed{false};
  std::thread waiter([&] {
    started = true;
    lock.acquire();
    passed = true;
    lock.release();
  });
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  lock.release();  // depth 2 -> 1: still owned
  std::this_thread::sleep_for(kShort);
  EXPECT_FALSE(passed);
  lock.release();
  waiter.join();
  EXPECT_TRUE(passed);
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

TEST(RLockTest, RLOCK_11_TheOwnersZeroAndNegativeTimeoutsDeepen) {
  RLock lock;
  EXPECT_TRUE(lock.acquire(0s));
  EXPECT_TRUE(lock.acquire(-1s));
  EXPECT_EQ(lock.recursion_count(), 2u);
  lock.release();
  lock.release();
  EXPECT_FALSE(lock.locked());
}

}  // namespace
}  // namespace concur
