// The hangs a hostile user found, each under load with a hang guard (the
// CTest timeout): every deadline from min() to max() on every primitive at
// once, a GIL whose switch interval never ends, concurrent shutdowns, and
// fork pools made back to back. What must hold: every call returns, and the
// counts add up.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "concur/concur.hpp"
#include "concur/gil.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;

// timeouts: every kind of timeout, the extremes first.
const std::vector<std::chrono::nanoseconds> kTimeouts = {
    std::chrono::nanoseconds::min(), -1s, 0ns, 1ns, 1us, 200us, std::chrono::nanoseconds::max()};

class HangStress : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Threads, HangStress, ::testing::Values(2, 8));

TEST_P(HangStress, EveryDeadlineFromMinToMaxReturnsUnderContention) {
  Lock lock;
  Semaphore semaphore(1);
  Queue<int> queue(4);
  std::atomic<long> acquired{0};
  std::atomic<long> released{0};
  std::atomic<long> put{0};
  std::atomic<long> got{0};
  {
    test::Threads threads(static_cast<std::size_t>(GetParam()), [&](std::size_t i) {
      std::mt19937 random(static_cast<unsigned>(i) + 1);
      for (int n = 0; n < 300; ++n) {
        // nanoseconds::max() only where the primitive is free soon: every
        // holder below releases at once, and puts are matched by gets.
        const auto timeout = kTimeouts[random() % kTimeouts.size()];
        if (lock.acquire(timeout)) {
          ++acquired;
          lock.release();
          ++released;
        }
        const auto until = random() % 2 == 0 ? std::chrono::steady_clock::time_point::min()
                                             : std::chrono::steady_clock::now() + 100us;
        if (semaphore.try_lock_until(until)) semaphore.release();
        try {
          queue.put(n, timeout);
          ++put;
        } catch (const QueueFull&) {
        }
        try {
          queue.get(timeout == std::chrono::nanoseconds::max() ? std::chrono::nanoseconds(1ms)
                                                               : timeout);
          ++got;
        } catch (const QueueEmpty&) {
        }
      }
    });
  }
  EXPECT_EQ(acquired.load(), released.load());
  EXPECT_EQ(put.load() - got.load(), static_cast<long>(queue.qsize()));
  EXPECT_FALSE(lock.locked());
}

TEST_P(HangStress, AGilWithAnEndlessSwitchIntervalHandsOverOnlyWhenReleased) {
  gil::Gil g({.policy = gil::Policy::modern, .switch_interval = std::chrono::nanoseconds::max()});
  std::atomic<long> turns{0};
  {
    test::Threads threads(static_cast<std::size_t>(GetParam()), [&](std::size_t) {
      for (int n = 0; n < 200; ++n) {
        gil::Held hold(g);
        for (int t = 0; t < 50; ++t)
          g.tick();
        ++turns;
      }
    });
  }
  EXPECT_EQ(turns.load(), 200L * GetParam());
  EXPECT_EQ(g.stats().drop_requests, 0u);
}

TEST_P(HangStress, ConcurrentShutdownsAllWaitForTheWork) {
  for (int round = 0; round < 20; ++round) {
    ThreadPoolExecutor pool(2);
    std::atomic<int> finished{0};
    for (int i = 0; i < 6; ++i) {
      pool.submit([&] {
        std::this_thread::sleep_for(200us);
        ++finished;
      });
    }
    std::atomic<int> early{0};
    test::Threads closers(static_cast<std::size_t>(GetParam()), [&](std::size_t) {
      pool.shutdown(true);
      if (finished.load() != 6) ++early;
    });
    closers.join();
    ASSERT_EQ(early.load(), 0) << "round " << round;
  }
}

}  // namespace
}  // namespace concur
