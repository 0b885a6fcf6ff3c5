// The GIL emulator: the behaviours of docs/gil.md ("What the emulator must
// show") that can be checked without timing (mutual exclusion, who may take
// it when, what is counted), under each policy. Timing - switch rates, slices, the convoy -
// is measured beside CPython by bench/gil_experiments.cpp.
#include "concur/gil.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "concur/event.hpp"
#include "concur/thread_pool_executor.hpp"
#include "support/threads.hpp"

namespace concur::gil {
namespace {

using namespace std::chrono_literals;
using test::kHangGuard;
using test::Threads;

// busy: holds the GIL for `ticks` check points of real work, as a
// CPU-bound Python thread does.
long busy(Gil& gil, long ticks) {
  Held hold(gil);
  long sum = 0;
  for (long i = 0; i < ticks; ++i) {
    for (int k = 0; k < 50; ++k)
      sum += (i ^ k) & 7;
    gil.tick();
  }
  return sum;
}

class LockingPolicies : public ::testing::TestWithParam<Policy> {};
INSTANTIATE_TEST_SUITE_P(Gil, LockingPolicies, ::testing::Values(Policy::modern, Policy::legacy),
                         [](const ::testing::TestParamInfo<Policy>& param) {
                           return param.param == Policy::modern ? "modern" : "legacy";
                         });

TEST_P(LockingPolicies, OnlyOneThreadHoldsTheGil) {
  Gil gil({.policy = GetParam(), .switch_interval = 100us, .check_interval = 10});
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  long unguarded = 0;  // a plain counter: the GIL is its only protection
  Threads threads(4, [&](std::size_t) {
    Held hold(gil);
    for (int i = 0; i < 20000; ++i) {
      const int now = inside.fetch_add(1) + 1;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      ++unguarded;
      inside.fetch_sub(1);
      gil.tick();  // switches happen here, never inside the section above
    }
  });
  threads.join();
  EXPECT_EQ(most.load(), 1);
  EXPECT_EQ(unguarded, 4 * 20000);
  const Stats stats = gil.stats();
  EXPECT_GE(stats.acquisitions, 4u);
  EXPECT_GE(stats.switches, 3u);  // every thread got it at least once
  EXPECT_EQ(stats.threads.size(), 4u);
}

TEST(GilNone, ThreadsOverlapUnderFreeThreading) {
  Gil gil({.policy = Policy::none});
  Event first_inside;
  Event second_inside;
  std::thread first([&] {
    Held hold(gil);
    first_inside.set();
    EXPECT_TRUE(second_inside.wait(kHangGuard));  // both inside at once
  });
  ASSERT_TRUE(first_inside.wait(kHangGuard));
  {
    Held hold(gil);
    second_inside.set();
  }
  first.join();
  EXPECT_EQ(gil.stats().switches, 0u);
  EXPECT_FALSE(gil.held_by_me());
}

TEST(GilModern, TwoBusyThreadsSwitchOnDropRequests) {
  Gil gil({.policy = Policy::modern, .switch_interval = 1ms});
  // Both threads stay busy until the GIL has changed hands several times:
  // a fixed amount of work may end before the other thread has waited a
  // whole interval on a fast machine. Only the holder touches the counters.
  constexpr int kHandOffs = 6;
  int hand_offs = 0;
  std::size_t last_holder = 2;
  const auto give_up = std::chrono::steady_clock::now() + kHangGuard;
  Threads threads(2, [&](std::size_t me) {
    Held hold(gil);
    while (hand_offs < kHandOffs && std::chrono::steady_clock::now() < give_up) {
      if (last_holder != me) {
        hand_offs += last_holder != 2;
        last_holder = me;
      }
      gil.tick();
    }
  });
  threads.join();
  EXPECT_EQ(hand_offs, kHandOffs);
  const Stats stats = gil.stats();
  EXPECT_GT(stats.drop_requests, 0u);
  EXPECT_GT(stats.forced_switches, 0u);
  EXPECT_GT(stats.switches, 1u);
  // Every forced switch answered a request; a request never carries over,
  // so there are never more forced switches than requests.
  EXPECT_LE(stats.forced_switches, stats.drop_requests);
}

TEST(GilModern, AHolderThatNeverTicksKeepsTheGil) {
  Gil gil({.policy = Policy::modern, .switch_interval = 1ms});
  Event holding;
  std::atomic<bool> holder_done{false};
  std::atomic<bool> waiter_got_it_early{false};
  std::thread holder([&] {
    Held hold(gil);
    holding.set();
    std::this_thread::sleep_for(50ms);  // a long C call: no check point
    holder_done = true;
  });
  ASSERT_TRUE(holding.wait(kHangGuard));
  {
    Held hold(gil);  // asks (drop request) after 1 ms, but nobody ticks
    waiter_got_it_early = !holder_done.load();
  }
  holder.join();
  EXPECT_FALSE(waiter_got_it_early.load());
  EXPECT_GE(gil.stats().drop_requests, 1u);
}

TEST(GilModern, AnEndlessSwitchIntervalNeverAsksTheHolderToDrop) {
  // nanoseconds::max() is a legal interval: a waiter then waits for the
  // holder to let go by itself. (Added to the clock, it overflowed into the
  // past: every wait timed out at once, 100% CPU and a drop request per turn.)
  Gil gil({.policy = Policy::modern, .switch_interval = std::chrono::nanoseconds::max()});
  Event holding;
  Event waiter_started;
  std::atomic<bool> waiter_has_it{false};
  std::thread holder([&] {
    Held hold(gil);
    holding.set();
    ASSERT_TRUE(waiter_started.wait(kHangGuard));
    // Tick for a while: a drop request, if one came, would be honoured here
    // (how long only decides how surely the old overflow is caught).
    const auto until = std::chrono::steady_clock::now() + 300ms;
    while (!waiter_has_it.load() && std::chrono::steady_clock::now() < until)
      gil.tick();
  });
  ASSERT_TRUE(holding.wait(kHangGuard));
  std::thread waiter([&] {
    waiter_started.set();
    Held hold(gil);
    waiter_has_it = true;
  });
  holder.join();
  waiter.join();
  EXPECT_TRUE(waiter_has_it.load());
  EXPECT_EQ(gil.stats().drop_requests, 0u);
  EXPECT_EQ(gil.stats().forced_switches, 0u);
}

TEST(GilModern, ReleasedLetsAnotherThreadIn) {
  Gil gil({.policy = Policy::modern, .switch_interval = 5ms});
  Event other_ran;
  Held hold(gil);
  std::thread other([&] {
    Held inner(gil);
    other_ran.set();
  });
  {
    Released blocking(gil);  // Py_BEGIN_ALLOW_THREADS
    EXPECT_TRUE(other_ran.wait(kHangGuard));
  }
  EXPECT_TRUE(gil.held_by_me());
  other.join();
}

TEST(GilModern, ForcedSwitchingHandsTheGilToTheRequester) {
  // After a drop request, the dropping thread may not win the GIL straight
  // back: the requester gets it (step 4 of drop_gil).
  Gil gil({.policy = Policy::modern, .switch_interval = 200us});
  std::atomic<bool> requester_holds{false};
  Event requester_started;
  std::thread requester;
  {
    Held hold(gil);
    requester = std::thread([&] {
      requester_started.set();
      Held inner(gil);
      requester_holds = true;
      std::this_thread::sleep_for(20ms);
      requester_holds = false;
    });
    ASSERT_TRUE(requester_started.wait(kHangGuard));
    while (gil.stats().drop_requests == 0)
      gil.tick();
    gil.tick();  // honours the request: returns only after the requester took it
    // We hold it again, so the requester has had it and let go.
    EXPECT_FALSE(requester_holds.load());
  }
  requester.join();
  EXPECT_GE(gil.stats().forced_switches, 1u);
  EXPECT_GE(gil.stats().switches, 2u);
}

TEST(GilLegacy, ReleasesEveryCheckIntervalWithoutRequests) {
  Gil gil({.policy = Policy::legacy, .check_interval = 100});
  {
    Held hold(gil);
    for (int i = 0; i < 1000; ++i)
      gil.tick();
  }
  const Stats stats = gil.stats();
  // The first, then one per check: CPython 2 tests `--_Py_Ticker < 0` and
  // resets the ticker to 100, so a check comes every 101 ticks: 9 in 1000.
  EXPECT_EQ(stats.acquisitions, 10u);
  EXPECT_EQ(stats.drop_requests, 0u);
  EXPECT_EQ(stats.switches, 1u);  // re-taking your own GIL is not a switch
}

TEST(GilErrors, BadOptionsAndMisuseThrow) {
  EXPECT_THROW(Gil({.switch_interval = 0ns}), ValueError);
  EXPECT_THROW(Gil({.switch_interval = -1ms}), ValueError);
  EXPECT_THROW(Gil({.policy = Policy::legacy, .check_interval = 0}), ValueError);
  Gil gil;
  EXPECT_THROW(gil.release(), RuntimeError);
  gil.acquire();
  EXPECT_THROW(gil.acquire(), RuntimeError);
  gil.release();
}

TEST(GilStats, ResetAndPrint) {
  Gil gil({.policy = Policy::modern, .switch_interval = 1ms});
  Threads threads(2, [&](std::size_t) { busy(gil, 20000); });
  threads.join();
  Stats stats = gil.stats();
  EXPECT_GT(stats.held.count(), 0);
  EXPECT_GT(stats.wall.count(), 0);
  EXPECT_GT(stats.held_fraction(), 0.0);
  EXPECT_LE(stats.held_fraction(), 1.0);
  std::ostringstream printed;
  printed << stats;
  EXPECT_NE(printed.str().find("switches"), std::string::npos);
  const std::string json = stats.json();
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_NE(json.find("\"drop_requests\": " + std::to_string(stats.drop_requests)),
            std::string::npos);
  gil.reset_stats();
  stats = gil.stats();
  EXPECT_EQ(stats.acquisitions, 0u);
  EXPECT_TRUE(stats.threads.empty());
}

TEST(GilThreadPool, EveryTaskRunsHoldingTheGil) {
  Gil gil({.policy = Policy::modern, .switch_interval = 1ms});
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  {
    ThreadPoolExecutor pool(ThreadPoolOptions{.max_workers = 4, .gil = &gil});
    std::vector<Future<bool>> futures;
    for (int i = 0; i < 40; ++i) {
      futures.push_back(pool.submit([&] {
        const int now = inside.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        const bool held = gil.held_by_me();
        inside.fetch_sub(1);
        return held;
      }));
    }
    for (auto& f : futures)
      EXPECT_TRUE(f.result(kHangGuard));
  }
  EXPECT_EQ(most.load(), 1);
  EXPECT_GE(gil.stats().acquisitions, 40u);
}

TEST(GilThreadPool, ReleasedTasksOverlapInsideThePool) {
  Gil gil({.policy = Policy::modern, .switch_interval = 5ms});
  Event both_blocked;
  std::atomic<int> blocked{0};
  ThreadPoolExecutor pool(ThreadPoolOptions{.max_workers = 2, .gil = &gil});
  auto io = [&] {
    Released blocking(gil);
    if (blocked.fetch_add(1) + 1 == 2) both_blocked.set();
    return both_blocked.wait(kHangGuard);  // both in "I/O" at once
  };
  auto a = pool.submit(io);
  auto b = pool.submit(io);
  EXPECT_TRUE(a.result(kHangGuard));
  EXPECT_TRUE(b.result(kHangGuard));
}

}  // namespace
}  // namespace concur::gil
