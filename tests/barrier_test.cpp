// Barrier: threading.Barrier's behaviours, docs/spec.md section BAR.
#include "concur/barrier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
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

constexpr std::size_t kParties = 5;

// Outcome: what one thread's wait() did.
enum class Outcome { passed, broken, other };

Outcome wait_on(Barrier& barrier) {
  try {
    barrier.wait(kHangGuard);
    return Outcome::passed;
  } catch (const BrokenBarrierError&) {
    return Outcome::broken;
  } catch (...) {
    return Outcome::other;
  }
}

TEST(BarrierTest, BAR_01_ZeroPartiesThrowsValueError) {
  try {
    Barrier barrier(0);
    FAIL() << "zero parties accepted";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "parties must be >= 1");
  }
}

TEST(BarrierTest, BAR_02_PartiesIsTheConstructorValue) {
  Barrier barrier(kParties);
  EXPECT_EQ(barrier.parties(), kParties);
}

TEST(BarrierTest, BAR_03_WaitBlocksUntilAllPartiesArrive) {
  Barrier barrier(kParties);
  std::atomic<int> arrived{0};
  std::atomic<int> passed{0};
  Threads threads(kParties - 1, [&](std::size_t) {
    ++arrived;
    barrier.wait();
    ++passed;
  });
  ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == kParties - 1; }));
  EXPECT_EQ(passed, 0);
  barrier.wait();
  threads.join();
  EXPECT_EQ(passed, static_cast<int>(kParties - 1));
}

TEST(BarrierTest, BAR_04_IndicesAreDistinctAndFollowArrivalOrder) {
  Barrier barrier(kParties);
  std::mutex m;
  std::vector<std::size_t> indices;
  std::atomic<std::size_t> next_to_arrive{0};
  Threads threads(kParties, [&](std::size_t i) {
    // Arrive strictly in order i = 0, 1, 2, ...: each waits for the previous
    // one to be counted by the barrier.
    ASSERT_TRUE(eventually([&] { return next_to_arrive == i; }));
    std::thread announce([&] {
      ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == i + 1 || i + 1 == kParties; }));
      next_to_arrive = i + 1;
    });
    const std::size_t index = barrier.wait();
    announce.join();
    std::scoped_lock hold(m);
    indices.push_back(index * 100 + i);
  });
  threads.join();
  ASSERT_EQ(indices.size(), kParties);
  for (std::size_t v : indices)
    EXPECT_EQ(v / 100, v % 100) << "thread got another index";
}

TEST(BarrierTest, BAR_04_IndicesSumToAFullRound) {
  Barrier barrier(kParties);
  std::atomic<std::size_t> sum{0};
  {
    Threads threads(kParties, [&](std::size_t) { sum += barrier.wait(); });
  }
  EXPECT_EQ(sum, kParties * (kParties - 1) / 2);
}

TEST(BarrierTest, BAR_05_BAR_06_TenRoundsInARowAndCleanStateAfterEach) {
  Barrier barrier(kParties);
  std::atomic<int> rounds_done{0};
  std::vector<std::atomic<int>> per_round(10);
  {
    Threads threads(kParties, [&](std::size_t) {
      for (int round = 0; round < 10; ++round) {
        ++per_round[round];
        barrier.wait();
        // Nobody of the next round passed before this round was complete.
        EXPECT_EQ(per_round[round], static_cast<int>(kParties));
        barrier.wait();  // a second barrier keeps rounds apart
      }
      ++rounds_done;
    });
  }
  EXPECT_EQ(rounds_done, static_cast<int>(kParties));
  EXPECT_EQ(barrier.n_waiting(), 0u);
  EXPECT_FALSE(barrier.broken());
}

TEST(BarrierTest, BAR_07_ActionRunsOnceInTheLastArrivalBeforeAnyoneIsReleased) {
  std::atomic<int> runs{0};
  std::thread::id action_thread;
  Barrier barrier(kParties, [&] {
    ++runs;
    action_thread = std::this_thread::get_id();
  });
  std::mutex m;
  std::thread::id last_arrival;
  std::vector<int> runs_seen;
  {
    Threads threads(kParties, [&](std::size_t) {
      const std::size_t index = barrier.wait();
      std::scoped_lock hold(m);
      if (index == kParties - 1) last_arrival = std::this_thread::get_id();
      runs_seen.push_back(runs);
    });
  }
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(action_thread, last_arrival);
  for (int seen : runs_seen)
    EXPECT_EQ(seen, 1);
}

TEST(BarrierTest, BAR_08_AThrowingActionBreaksTheBarrierItsThreadGetsTheException) {
  Barrier barrier(3, [] { throw std::out_of_range("action failed"); });
  std::mutex m;
  std::vector<std::string> outcomes;
  {
    Threads threads(3, [&](std::size_t) {
      std::string outcome;
      try {
        barrier.wait(kHangGuard);
        outcome = "passed";
      } catch (const BrokenBarrierError&) {
        outcome = "broken";
      } catch (const std::out_of_range& e) {
        outcome = e.what();
      }
      std::scoped_lock hold(m);
      outcomes.push_back(outcome);
    });
  }
  std::sort(outcomes.begin(), outcomes.end());
  EXPECT_EQ(outcomes, (std::vector<std::string>{"action failed", "broken", "broken"}));
  EXPECT_TRUE(barrier.broken());
}

TEST(BarrierTest, BAR_09_ATimedOutWaitBreaksTheBarrierForEveryone) {
  Barrier barrier(3);
  std::atomic<Outcome> patient{Outcome::passed};
  std::thread waiter([&] { patient = wait_on(barrier); });
  ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 1; }));
  Stopwatch watch;
  EXPECT_THROW(barrier.wait(kShort), BrokenBarrierError);
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  waiter.join();
  EXPECT_EQ(patient, Outcome::broken);
  EXPECT_TRUE(barrier.broken());
  EXPECT_THROW(barrier.wait(), BrokenBarrierError);
}

TEST(BarrierTest, BAR_10_TheConstructorTimeoutIsTheDefault) {
  Barrier barrier(2, {}, kShort);
  Stopwatch watch;
  EXPECT_THROW(barrier.wait(), BrokenBarrierError);
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  EXPECT_TRUE(barrier.broken());
}

TEST(BarrierTest, BAR_10_TheDefaultTimeoutTakesAnyDurationType) {
  Barrier fractional(2, {}, std::chrono::duration<double>(0.01));
  EXPECT_THROW(fractional.wait(), BrokenBarrierError);
  Barrier huge(1, {}, std::chrono::hours::max());  // saturates, does not overflow
  EXPECT_EQ(huge.wait(), 0u);
}

TEST(BarrierTest, BAR_11_ZeroTimeoutWhenTheCallerWouldWaitBreaksAtOnce) {
  Barrier barrier(2);
  EXPECT_THROW(barrier.wait(0s), BrokenBarrierError);
  EXPECT_TRUE(barrier.broken());
}

TEST(BarrierTest, BAR_12_AbortBreaksCurrentAndLaterWaits) {
  Barrier barrier(kParties);
  std::vector<Outcome> outcomes(kParties - 1, Outcome::passed);
  {
    Threads threads(kParties - 1, [&](std::size_t i) { outcomes[i] = wait_on(barrier); });
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == kParties - 1; }));
    barrier.abort();
  }
  for (Outcome o : outcomes)
    EXPECT_EQ(o, Outcome::broken);
  EXPECT_TRUE(barrier.broken());
  EXPECT_THROW(barrier.wait(), BrokenBarrierError);
}

TEST(BarrierTest, BAR_13_ResetBreaksCurrentWaitersThenAFullRoundPasses) {
  Barrier barrier(3);
  std::vector<Outcome> outcomes(2, Outcome::passed);
  {
    Threads threads(2, [&](std::size_t i) { outcomes[i] = wait_on(barrier); });
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 2; }));
    barrier.reset();
  }
  for (Outcome o : outcomes)
    EXPECT_EQ(o, Outcome::broken);
  EXPECT_FALSE(barrier.broken());
  std::vector<Outcome> next(3, Outcome::broken);
  {
    Threads threads(3, [&](std::size_t i) { next[i] = wait_on(barrier); });
  }
  for (Outcome o : next)
    EXPECT_EQ(o, Outcome::passed);
}

TEST(BarrierTest, BAR_14_ResetAfterAbortMakesTheBarrierUsableAgain) {
  Barrier barrier(2);
  barrier.abort();
  EXPECT_TRUE(barrier.broken());
  barrier.reset();
  EXPECT_FALSE(barrier.broken());
  std::vector<Outcome> outcomes(2, Outcome::broken);
  {
    Threads threads(2, [&](std::size_t i) { outcomes[i] = wait_on(barrier); });
  }
  for (Outcome o : outcomes)
    EXPECT_EQ(o, Outcome::passed);
}

TEST(BarrierTest, BAR_15_NWaitingCountsTheCurrentFillingPhaseOnly) {
  Barrier barrier(3);
  EXPECT_EQ(barrier.n_waiting(), 0u);
  std::vector<Outcome> outcomes(2, Outcome::passed);
  {
    Threads threads(2, [&](std::size_t i) { outcomes[i] = wait_on(barrier); });
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 2; }));
    barrier.abort();
  }
  EXPECT_EQ(barrier.n_waiting(), 0u);  // broken: 0
}

TEST(BarrierTest, BAR_16_ASinglePartyBarrierAlwaysReturnsZeroAtOnce) {
  Barrier barrier(1);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(barrier.wait(), 0u);
}

TEST(BarrierTest, BAR_17_BrokenBarrierErrorIsAConcurError) {
  Barrier barrier(2);
  barrier.abort();
  EXPECT_THROW(barrier.wait(), Error);
}

}  // namespace
}  // namespace concur
