// Stress: the primitives under 1..16 threads on a 2-core machine
// (oversubscription is the point). Each test asserts conservation - exact
// counts, every item once - never timing. Scaled down under sanitizers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "concur/concur.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::Threads;

#if defined(CONCUR_SANITIZED)
constexpr int kScale = 1;
#else
constexpr int kScale = 10;
#endif

class SyncStressTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  std::size_t threads() const { return GetParam(); }
  // iterations: per thread, so the total work stays similar at every count.
  int iterations() const { return static_cast<int>(20000 * kScale / threads()); }
};

INSTANTIATE_TEST_SUITE_P(Threads, SyncStressTest, ::testing::Values(1, 2, 4, 8, 16),
                         [](const auto& param_info) { return std::to_string(param_info.param); });

TEST_P(SyncStressTest, LockMutualExclusionIsExact) {
  Lock lock;
  std::int64_t counter = 0;  // plain: only the lock protects it
  {
    Threads run(threads(), [&](std::size_t i) {
      for (int n = 0; n < iterations(); ++n) {
        if (n % 3 == 0 && i % 2 == 0) {
          while (!lock.acquire(1ms)) {
          }
        } else {
          lock.acquire();
        }
        ++counter;
        lock.release();
      }
    });
  }
  EXPECT_EQ(counter, static_cast<std::int64_t>(threads()) * iterations());
  EXPECT_FALSE(lock.locked());
}

TEST_P(SyncStressTest, LockHandedBetweenThreadsLosesNoWakeup) {
  // Each thread acquires, and a *different* thread releases: a baton passed
  // around a ring through Lock's cross-thread release.
  Lock baton;
  baton.acquire();
  std::atomic<std::size_t> turn{0};
  std::atomic<int> passes{0};
  const int rounds = 2000 * kScale / static_cast<int>(threads());
  {
    Threads run(threads(), [&](std::size_t i) {
      for (int r = 0; r < rounds; ++r) {
        while (turn.load() != i)
          std::this_thread::yield();
        baton.release();  // released by this thread, acquired by the last one
        baton.acquire();
        ++passes;
        turn = (i + 1) % threads();
      }
    });
  }
  EXPECT_EQ(passes, rounds * static_cast<int>(threads()));
  baton.release();
}

TEST_P(SyncStressTest, RLockNestedHoldsStayExclusive) {
  RLock lock;
  std::int64_t counter = 0;
  {
    Threads run(threads(), [&](std::size_t) {
      for (int n = 0; n < iterations(); ++n) {
        std::scoped_lock outer(lock);
        std::scoped_lock inner(lock);
        ++counter;
      }
    });
  }
  EXPECT_EQ(counter, static_cast<std::int64_t>(threads()) * iterations());
  EXPECT_FALSE(lock.locked());
}

TEST_P(SyncStressTest, ConditionProducersAndConsumersMoveEveryItemOnce) {
  Lock lock;
  Condition not_empty(lock);
  Condition not_full(lock);
  std::deque<std::int64_t> items;
  constexpr std::size_t kCapacity = 8;
  const std::size_t producers = std::max<std::size_t>(1, threads() / 2);
  const std::size_t consumers = std::max<std::size_t>(1, threads() - producers);
  const std::int64_t per_producer = 2000 * kScale;
  const std::int64_t total = per_producer * static_cast<std::int64_t>(producers);
  std::int64_t consumed = 0;  // guarded by lock
  std::atomic<std::int64_t> sum{0};
  std::atomic<std::int64_t> count{0};
  {
    Threads run(producers + consumers, [&](std::size_t i) {
      if (i < producers) {
        for (std::int64_t n = 1; n <= per_producer; ++n) {
          std::scoped_lock hold(not_full);
          not_full.wait_for([&] { return items.size() < kCapacity; });
          items.push_back(n);
          not_empty.notify();
        }
        return;
      }
      for (;;) {
        std::scoped_lock hold(not_empty);
        not_empty.wait_for([&] { return !items.empty() || consumed == total; });
        if (items.empty()) return;  // everything consumed
        sum += items.front();
        ++count;
        items.pop_front();
        if (++consumed == total) not_empty.notify_all();  // release the others
        not_full.notify();
      }
    });
  }
  EXPECT_EQ(count, total);
  EXPECT_EQ(sum, static_cast<std::int64_t>(producers) * per_producer * (per_producer + 1) / 2);
}

TEST_P(SyncStressTest, ConditionNotifyAllReleasesEveryWaiterEveryRound) {
  Condition cond;
  std::int64_t generation = 0;  // guarded by cond
  const int rounds = 200 * kScale;
  std::atomic<int> woken{0};
  std::atomic<std::size_t> ready{0};
  {
    Threads run(threads() + 1, [&](std::size_t i) {
      if (i == threads()) {  // the notifier
        for (int r = 0; r < rounds; ++r) {
          // Wait until every waiter is inside wait() for this generation.
          while (ready.load() != threads())
            std::this_thread::yield();
          ready = 0;
          std::scoped_lock hold(cond);
          ++generation;
          cond.notify_all();
        }
        return;
      }
      for (int r = 0; r < rounds; ++r) {
        std::scoped_lock hold(cond);
        const std::int64_t seen = generation;
        ++ready;  // under the lock: the notifier cannot notify before we wait
        cond.wait_for([&] { return generation != seen; });
        ++woken;
      }
    });
  }
  EXPECT_EQ(woken, rounds * static_cast<int>(threads()));
}

TEST_P(SyncStressTest, SemaphoreNeverAdmitsMoreThanItsValue) {
  constexpr std::ptrdiff_t kSlots = 3;
  BoundedSemaphore slots(kSlots);
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<std::int64_t> passes{0};
  {
    Threads run(threads(), [&](std::size_t i) {
      for (int n = 0; n < iterations() / 4; ++n) {
        if (i % 2 == 1) {
          while (!slots.acquire(1ms)) {
          }
        } else {
          slots.acquire();
        }
        const int now = ++inside;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
        }
        ++passes;
        --inside;
        slots.release();
      }
    });
  }
  EXPECT_LE(max_inside, kSlots);
  EXPECT_EQ(passes, static_cast<std::int64_t>(threads()) * (iterations() / 4));
  EXPECT_EQ(slots.value(), kSlots);
}

TEST_P(SyncStressTest, SemaphoreMultiReleaseWakesEveryBlockedAcquirer) {
  Semaphore sem(0);
  const int per_thread = 500 * kScale / static_cast<int>(threads()) + 1;
  std::atomic<int> acquired{0};
  {
    Threads run(threads(), [&](std::size_t) {
      for (int n = 0; n < per_thread; ++n) {
        sem.acquire();
        ++acquired;
      }
    });
    const int total = per_thread * static_cast<int>(threads());
    for (int released = 0; released < total;) {
      const int batch = std::min(total - released, static_cast<int>(threads()));
      sem.release(static_cast<std::size_t>(batch));
      released += batch;
    }
  }
  EXPECT_EQ(acquired, per_thread * static_cast<int>(threads()));
  EXPECT_EQ(sem.value(), 0);
}

TEST_P(SyncStressTest, EventRoundsLoseNoWakeup) {
  const int rounds = 200 * kScale;
  std::vector<Event> go(static_cast<std::size_t>(rounds));
  std::atomic<int> woken{0};
  {
    Threads run(threads(), [&](std::size_t) {
      for (auto& event : go) {
        event.wait();
        ++woken;
      }
    });
    for (auto& event : go) {
      event.set();
      event.clear();  // a racing clear must not strand anyone (EVT-05)
      event.set();
    }
  }
  EXPECT_EQ(woken, rounds * static_cast<int>(threads()));
}

TEST_P(SyncStressTest, BarrierRoundsRunTheActionOncePerRound) {
  std::int64_t actions = 0;  // written by the action, read after the barrier
  std::atomic<std::int64_t> index_sum{0};
  Barrier barrier(threads(), [&] { ++actions; });
  const int rounds = 100 * kScale;
  {
    Threads run(threads(), [&](std::size_t) {
      for (int r = 0; r < rounds; ++r)
        index_sum += static_cast<std::int64_t>(barrier.wait());
    });
  }
  const auto n = static_cast<std::int64_t>(threads());
  EXPECT_EQ(actions, rounds);
  EXPECT_EQ(index_sum, rounds * n * (n - 1) / 2);
  EXPECT_FALSE(barrier.broken());
}

}  // namespace
}  // namespace concur
