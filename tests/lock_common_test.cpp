// What Lock and RLock share - threading's BaseLockTests, which CPython runs
// for both - written once as a typed suite. Each thread releases what it
// acquired, as an RLock demands; the behaviours only one of them has are in
// lock_test.cpp and rlock_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "concur/lock.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kShort;
using test::Stopwatch;
using test::Threads;

template <class L>
class AnyLockTest : public ::testing::Test {};

using LockTypes = ::testing::Types<Lock, RLock>;
TYPED_TEST_SUITE(AnyLockTest, LockTypes);

// in_another_thread: runs probe() in a thread of its own; returns its result.
template <class Probe>
auto in_another_thread(Probe probe) {
  decltype(probe()) result{};
  std::thread([&] { result = probe(); }).join();
  return result;
}

TYPED_TEST(AnyLockTest, LOCK_01_LOCK_11_RLOCK_09_LockedWhileHeldAsSeenFromEveryThread) {
  TypeParam lock;
  EXPECT_FALSE(lock.locked());
  lock.acquire();
  EXPECT_TRUE(lock.locked());
  EXPECT_TRUE(in_another_thread([&] { return lock.locked(); }));
  lock.release();
  EXPECT_FALSE(lock.locked());
  EXPECT_FALSE(in_another_thread([&] { return lock.locked(); }));
}

TYPED_TEST(AnyLockTest, LOCK_02_RLOCK_04_ANonHolderTryAcquireFailsAtOnce) {
  TypeParam lock;
  EXPECT_TRUE(lock.try_acquire());
  EXPECT_FALSE(in_another_thread([&] { return lock.try_acquire(); }));
  lock.release();
  EXPECT_TRUE(in_another_thread([&] {
    const bool got = lock.try_lock();
    if (got) lock.unlock();
    return got;
  }));
}

TYPED_TEST(AnyLockTest, LOCK_03_LOCK_12_RLOCK_08_BlockedAcquirersAllPassOneAtATime) {
  // Which thread wins each release is unspecified; that exactly one holds
  // it, and that every one gets it in the end, is not.
  TypeParam lock;
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
      int seen = max_inside.load();
      while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
      }
      --inside;
      lock.release();
      ++finished;
    });
    ASSERT_TRUE(eventually([&] { return started == 5; }));
    EXPECT_EQ(finished, 0);
    lock.release();
    ASSERT_TRUE(eventually([&] { return finished == 5; }));
  }
  EXPECT_EQ(max_inside, 1);
  EXPECT_FALSE(lock.locked());
}

TYPED_TEST(AnyLockTest, LOCK_07_RLOCK_07_ANonHolderTimedAcquireFailsAfterTheTimeout) {
  TypeParam lock;
  lock.acquire();
  Stopwatch watch;
  EXPECT_FALSE(in_another_thread([&] { return lock.acquire(kShort); }));
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  lock.release();
  // Free: a timed acquire succeeds at once.
  EXPECT_TRUE(in_another_thread([&] {
    const bool got = lock.acquire(test::kHangGuard);
    if (got) lock.release();
    return got;
  }));
}

TYPED_TEST(AnyLockTest, LOCK_08_TheLockIsIntactAfterATimedOutAcquire) {
  TypeParam lock;
  lock.acquire();
  EXPECT_FALSE(in_another_thread([&] { return lock.acquire(1ms); }));
  lock.release();
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.try_acquire());
  lock.release();
}

TYPED_TEST(AnyLockTest, LOCK_09_RLOCK_11_ZeroAndNegativeTimeoutsTryOnceWithoutError) {
  TypeParam lock;
  lock.acquire();
  Stopwatch watch;
  EXPECT_FALSE(in_another_thread([&] {
    return lock.try_acquire() || lock.acquire(0s) || lock.acquire(-5s) ||
           lock.acquire(std::chrono::nanoseconds::min());
  }));
  EXPECT_LT(watch.elapsed(), test::kHangGuard);
  lock.release();
  EXPECT_TRUE(lock.acquire(0s));
  lock.release();
}

TYPED_TEST(AnyLockTest, LOCK_10_RLOCK_10_ScopedUseReleasesOnExitAndOnThrow) {
  TypeParam lock;
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
  EXPECT_TRUE(in_another_thread([&] {
    std::unique_lock hold(lock, std::defer_lock);
    return hold.try_lock_for(test::kHangGuard);
  }));
  EXPECT_TRUE(lock.try_lock_until(std::chrono::steady_clock::now() + 1s));
  lock.unlock();
  EXPECT_TRUE(lock.try_lock_until(std::chrono::system_clock::now() + 1s));
  lock.unlock();
}

TYPED_TEST(AnyLockTest, LOCK_13_DestroyingAHeldLockIsAllowed) {
  auto lock = std::make_unique<TypeParam>();
  lock->acquire();
  lock.reset();
  SUCCEED();
}

TYPED_TEST(AnyLockTest, GEN_04_AHugeTimeoutWaitsInsteadOfFailingAtOnce) {
  TypeParam lock;
  lock.acquire();
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    got = lock.acquire(std::chrono::hours::max());
    if (got) lock.release();
  });
  std::this_thread::sleep_for(kShort);
  EXPECT_FALSE(got);  // still waiting, not failed at once
  lock.release();
  waiter.join();
  EXPECT_TRUE(got);
}

}  // namespace
}  // namespace concur
