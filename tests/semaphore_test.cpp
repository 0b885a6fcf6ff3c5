// Semaphore and BoundedSemaphore: docs/spec.md sections SEM and BSEM.
// The Semaphore behaviours run as a typed suite over both types (BSEM-01).
#include "concur/semaphore.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kHangGuard;
using test::kShort;
using test::Stopwatch;
using test::Threads;

template <class S>
class SemaphoreTest : public ::testing::Test {};
using SemaphoreTypes = ::testing::Types<Semaphore, BoundedSemaphore>;
TYPED_TEST_SUITE(SemaphoreTest, SemaphoreTypes);

TYPED_TEST(SemaphoreTest, SEM_01_DefaultValueIsOne) {
  TypeParam sem;
  sem.acquire();
  std::atomic<bool> other{false};
  std::thread t([&] {
    sem.acquire();
    other = true;
  });
  EXPECT_FALSE(sem.acquire(1ms));
  EXPECT_FALSE(other);
  sem.release();
  t.join();
  EXPECT_TRUE(other);
}

TYPED_TEST(SemaphoreTest, SEM_02_NegativeInitialValueThrowsValueErrorZeroIsAllowed) {
  try {
    TypeParam sem(-1);
    FAIL() << "negative initial value accepted";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "semaphore initial value must be >= 0");
  }
  TypeParam zero(0);
  EXPECT_FALSE(zero.try_acquire());
}

TYPED_TEST(SemaphoreTest, SEM_03_AcquireDecrementsAndBlocksAtZero) {
  TypeParam sem(2);
  sem.acquire();
  EXPECT_EQ(sem.value(), 1);
  sem.acquire();
  EXPECT_EQ(sem.value(), 0);
  std::atomic<bool> got{false};
  std::thread t([&] {
    sem.acquire();
    got = true;
  });
  EXPECT_FALSE(sem.acquire(1ms));
  EXPECT_FALSE(got);
  sem.release();
  t.join();
  EXPECT_TRUE(got);
  sem.release();
  sem.release();
}

TYPED_TEST(SemaphoreTest, SEM_04_TryAcquireTrueTrueFalseThenTrueAfterRelease) {
  TypeParam sem(2);
  EXPECT_TRUE(sem.try_acquire());
  EXPECT_TRUE(sem.try_acquire());
  EXPECT_FALSE(sem.try_acquire());
  sem.release();
  EXPECT_TRUE(sem.try_acquire());
}

TYPED_TEST(SemaphoreTest, SEM_05_ConcurrentTryAcquiresSucceedExactlyValueTimes) {
  TypeParam sem(4);
  sem.acquire();
  std::atomic<int> successes{0};
  std::atomic<int> failures{0};
  {
    Threads threads(5, [&](std::size_t) {
      for (int i = 0; i < 2; ++i)
        (sem.try_acquire() ? successes : failures)++;
    });
  }
  EXPECT_EQ(successes, 3);
  EXPECT_EQ(failures, 7);
}

TYPED_TEST(SemaphoreTest, SEM_06_TimedAcquireGetsAUnitOrFailsAfterTheTimeout) {
  TypeParam sem(2);
  EXPECT_TRUE(sem.acquire(kHangGuard));
  EXPECT_TRUE(sem.acquire(kHangGuard));
  Stopwatch watch;
  EXPECT_FALSE(sem.acquire(kShort));
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  std::thread releaser([&] { sem.release(); });
  EXPECT_TRUE(sem.acquire(kHangGuard));
  releaser.join();
}

TYPED_TEST(SemaphoreTest, SEM_07_NegativeTimeoutIsANonBlockingAttempt) {
  TypeParam sem(1);
  EXPECT_TRUE(sem.acquire(-1s));
  EXPECT_FALSE(sem.acquire(-1s));
  EXPECT_FALSE(sem.acquire(0s));
}

// The phased test of CPython's test_acquire_contended / test_multirelease:
// a 7-valued semaphore with one unit taken, 10 threads acquiring twice each.
template <class S>
void run_phases(bool multirelease) {
  S sem(7);
  sem.acquire();
  std::atomic<int> phase{0};
  std::mutex results_mutex;
  std::vector<int> results;
  const auto record = [&] {
    std::scoped_lock hold(results_mutex);
    results.push_back(phase.load());
  };
  const auto count = [&] {
    std::scoped_lock hold(results_mutex);
    return results.size();
  };
  const auto count_of = [&](int p) {
    std::scoped_lock hold(results_mutex);
    return std::count(results.begin(), results.end(), p);
  };
  const auto release = [&](std::size_t n) {
    if (multirelease) {
      sem.release(n);
    } else {
      for (std::size_t i = 0; i < n; ++i)
        sem.release();
    }
  };
  Threads threads(10, [&](std::size_t) {
    sem.acquire();
    record();
    sem.acquire();
    record();
  });
  ASSERT_TRUE(eventually([&] { return count() == 6; }));
  EXPECT_FALSE(sem.try_acquire());  // exactly 6 passed: the value is 0
  EXPECT_EQ(count(), 6u);
  phase = 1;
  release(7);
  ASSERT_TRUE(eventually([&] { return count() == 13; }));
  EXPECT_FALSE(sem.try_acquire());
  EXPECT_EQ(count_of(1), 7);
  phase = 2;
  release(6);
  ASSERT_TRUE(eventually([&] { return count() == 19; }));
  EXPECT_FALSE(sem.try_acquire());
  EXPECT_EQ(count(), 19u);
  EXPECT_EQ(count_of(2), 6);
  sem.release();  // the last thread's second acquire
  threads.join();
  EXPECT_EQ(count(), 20u);
}

TYPED_TEST(SemaphoreTest, SEM_08_KReleasesLetExactlyKBlockedAcquirersThrough) {
  run_phases<TypeParam>(false);
}

TYPED_TEST(SemaphoreTest, SEM_09_ReleaseNWakesExactlyNAtOnce) {
  run_phases<TypeParam>(true);
}

TYPED_TEST(SemaphoreTest, SEM_10_ReleaseZeroThrowsValueError) {
  TypeParam sem(0);
  try {
    sem.release(0);
    FAIL() << "release(0) accepted";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "n must be one or more");
  }
  EXPECT_EQ(sem.value(), 0);
}

TYPED_TEST(SemaphoreTest, SEM_12_AnyThreadMayRelease) {
  TypeParam sem(1);
  sem.acquire();
  std::thread([&] { sem.release(); }).join();
  EXPECT_TRUE(sem.try_acquire());
}

TYPED_TEST(SemaphoreTest, SEM_13_ScopedUseAcquiresAndReleasesAlsoOnThrow) {
  TypeParam sem(2);
  {
    std::scoped_lock hold(sem);
    EXPECT_TRUE(sem.try_acquire());
    sem.release();
    {
      std::scoped_lock inner(sem);
      EXPECT_FALSE(sem.try_acquire());
    }
  }
  try {
    std::scoped_lock hold(sem);
    throw std::logic_error("body failed");
  } catch (const std::logic_error&) {
  }
  EXPECT_EQ(sem.value(), 2);
}

TYPED_TEST(SemaphoreTest, SEM_14_EveryBlockedAcquirerEventuallyGetsAUnit) {
  // The order is unspecified; that nobody is lost is not.
  TypeParam sem(6);
  for (int i = 0; i < 6; ++i)
    sem.acquire();
  std::atomic<int> done{0};
  Threads threads(6, [&](std::size_t) {
    sem.acquire();
    ++done;
  });
  for (int i = 0; i < 6; ++i) {
    // Release one at a time and wait for its taker.
    sem.release();
    ASSERT_TRUE(eventually([&] { return done == i + 1; }));
  }
}

TYPED_TEST(SemaphoreTest, SEM_15_DestroyingASemaphoreWithTakenUnitsIsAllowed) {
  auto sem = std::make_unique<TypeParam>(3);
  sem->acquire();
  sem->acquire();
  sem.reset();
  SUCCEED();
}

TEST(PlainSemaphoreTest, SEM_11_ReleaseWithoutAcquireRaisesTheValue) {
  Semaphore sem(1);
  sem.release();
  EXPECT_TRUE(sem.try_acquire());
  EXPECT_TRUE(sem.try_acquire());
  EXPECT_FALSE(sem.try_acquire());
}

TEST(BoundedSemaphoreTest, BSEM_02_ReleaseAboveTheInitialValueThrowsValueError) {
  BoundedSemaphore sem(3);
  try {
    sem.release();
    FAIL() << "over-release accepted";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "Semaphore released too many times");
  }
  EXPECT_EQ(sem.value(), 3);
}

TEST(BoundedSemaphoreTest, BSEM_03_FreshOrBalancedReleaseThrows) {
  BoundedSemaphore sem;
  EXPECT_THROW(sem.release(), ValueError);
  sem.acquire();
  sem.release();
  EXPECT_THROW(sem.release(), ValueError);
  Semaphore& as_base = sem;  // the bound holds through the base class too
  EXPECT_THROW(as_base.release(), ValueError);
}

TEST(BoundedSemaphoreTest, BSEM_04_OverReleaseIsAllOrNothing) {
  BoundedSemaphore sem(2);
  sem.acquire();
  EXPECT_THROW(sem.release(2), ValueError);
  EXPECT_EQ(sem.value(), 1);
  sem.release(1);
  EXPECT_EQ(sem.value(), 2);
}

TEST(BoundedSemaphoreTest, BSEM_05_ReleasesFromOtherThreadsCount) {
  for (std::size_t limit = 1; limit <= 9; ++limit) {
    BoundedSemaphore sem(static_cast<std::ptrdiff_t>(limit));
    {
      Threads acquirers(limit, [&](std::size_t) { sem.acquire(); });
    }
    {
      Threads releasers(limit, [&](std::size_t) { sem.release(); });
    }
    EXPECT_THROW(sem.release(), ValueError) << "limit " << limit;
  }
}

}  // namespace
}  // namespace concur
