// Event: threading.Event's behaviours, docs/spec.md section EVT.
#include "concur/event.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "concur/detail/parking.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kHangGuard;
using test::kShort;
using test::Stopwatch;
using test::Threads;

TEST(EventTest, EVT_01_ANewEventIsNotSet) {
  Event event;
  EXPECT_FALSE(event.is_set());
}

TEST(EventTest, EVT_02_SetAndClearAreIdempotent) {
  Event event;
  event.set();
  EXPECT_TRUE(event.is_set());
  event.set();
  EXPECT_TRUE(event.is_set());
  event.clear();
  EXPECT_FALSE(event.is_set());
  event.clear();
  EXPECT_FALSE(event.is_set());
}

TEST(EventTest, EVT_03_SetWakesEveryWaiterAndLaterWaitsReturnAtOnce) {
  Event event;
  std::atomic<int> started{0};
  std::atomic<int> returned_true{0};
  {
    Threads threads(5, [&](std::size_t i) {
      ++started;
      if (i % 2 == 0) {
        event.wait();
        ++returned_true;
      } else if (event.wait(kHangGuard)) {
        ++returned_true;
      }
    });
    ASSERT_TRUE(eventually([&] { return started == 5; }));
    event.set();
  }
  EXPECT_EQ(returned_true, 5);
  Stopwatch watch;
  EXPECT_TRUE(event.wait(kHangGuard));
  event.wait();
  EXPECT_LT(watch.elapsed(), kHangGuard);
}

TEST(EventTest, EVT_04_TimedWaitOnAnUnsetEventReturnsFalseAfterTheTimeout) {
  Event event;
  EXPECT_FALSE(event.wait(0s));
  Stopwatch watch;
  EXPECT_FALSE(event.wait(kShort));
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  event.set();
  EXPECT_TRUE(event.wait(0s));
  EXPECT_TRUE(event.wait(kShort));
}

TEST(EventTest, EVT_05_SetThenClearStillWakesEveryoneWhoWasWaiting) {
  // Repeated, because the race is the point: a waiter woken by set() must
  // not re-check the flag, find it cleared, and sleep again.
  for (int round = 0; round < 50; ++round) {
    Event event;
    const std::size_t parked_before = detail::parked_threads();
    std::atomic<int> returned_true{0};
    Threads threads(4, [&](std::size_t) {
      if (event.wait(kHangGuard)) ++returned_true;
    });
    // All four must really be waiting (asleep, their snapshot taken) before
    // the set: a thread that arrives after set+clear rightly waits on.
    ASSERT_TRUE(eventually([&] { return detail::parked_threads() >= parked_before + 4; }));
    event.set();
    event.clear();
    threads.join();
    ASSERT_EQ(returned_true, 4) << "round " << round;
  }
}

TEST(EventTest, EVT_06_WaitIsTrueUnlessATimeoutExpired) {
  Event event;
  std::thread setter([&] { event.set(); });
  EXPECT_TRUE(event.wait(kHangGuard));
  setter.join();
  event.clear();
  EXPECT_FALSE(event.wait(1ms));
}

TEST(EventTest, EVT_07_AClearedEventCanBeUsedAgain) {
  Event event;
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> woke{false};
    std::thread waiter([&] { woke = event.wait(kHangGuard); });
    EXPECT_FALSE(event.wait(1ms));
    event.set();
    waiter.join();
    EXPECT_TRUE(woke);
    event.clear();
    EXPECT_FALSE(event.is_set());
  }
}

TEST(EventTest, SetHappensBeforeTheWakeup) {
  Event event;
  int payload = 0;  // plain, not atomic: the Event must order it
  std::thread setter([&] {
    payload = 42;
    event.set();
  });
  event.wait();
  EXPECT_EQ(payload, 42);
  setter.join();
}

}  // namespace
}  // namespace concur
