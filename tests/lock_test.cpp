// Lock: what threading.Lock does and RLock does not (no owner, not
// re-entrant); what both do is in lock_common_test.cpp. Spec: docs/spec.md, LOCK.
#include "concur/lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "concur/errors.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::kShort;

TEST(LockTest, LOCK_02_LOCK_04_TheHolderAcquiringAgainFailsOrBlocksUntilAnotherThreadReleases) {
  Lock lock;
  lock.acquire();
  EXPECT_FALSE(lock.try_acquire());  // not re-entrant: the holder is refused too
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

}  // namespace
}  // namespace concur
