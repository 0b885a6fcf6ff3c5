// The Executor interface: PYTHON-SEMANTICS.md section EXE, written once as a
// typed suite over every executor (STYLE.md rule 10). The process pool and
// AnyExecutor join the type list when they exist.
#include "concur/executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "concur/event.hpp"
#include "concur/thread_pool_executor.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kHangGuard;
using test::Stopwatch;

template <class E>
class ExecutorTest : public ::testing::Test {
 protected:
  // make: an executor with `workers` workers.
  static std::unique_ptr<E> make(std::ptrdiff_t workers) {
    if constexpr (std::is_same_v<E, AnyExecutor>) {
      return std::make_unique<AnyExecutor>(std::make_unique<ThreadPoolExecutor>(workers));
    } else {
      return std::make_unique<E>(workers);
    }
  }
};
// AnyExecutor runs over a thread pool here; the process pool joins later.
using Executors = ::testing::Types<ThreadPoolExecutor, AnyExecutor>;
TYPED_TEST_SUITE(ExecutorTest, Executors);

int power(int base, int exponent) {
  int result = 1;
  for (int i = 0; i < exponent; ++i)
    result *= base;
  return result;
}

TYPED_TEST(ExecutorTest, EXE_01_SubmitRunsTheCallWithItsArguments) {
  auto executor = this->make(2);
  EXPECT_EQ(executor->submit(power, 2, 8).result(kHangGuard), 256);
  EXPECT_EQ(executor->submit([](const std::string& s) { return s + "!"; }, "hi").result(), "hi!");
  Future<void> nothing = executor->submit([] {});
  nothing.result(kHangGuard);
}

TYPED_TEST(ExecutorTest, EXE_02_MapYieldsResultsInInputOrder) {
  auto executor = this->make(4);
  std::vector<int> xs{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int> got;
  for (int v : executor->map(power, xs, xs))
    got.push_back(v);
  std::vector<int> expected;
  for (int x : xs)
    expected.push_back(power(x, x));
  EXPECT_EQ(got, expected);
}

TYPED_TEST(ExecutorTest, EXE_03_SeveralRangesAreZippedToTheShortest) {
  auto executor = this->make(2);
  std::vector<int> a{1, 2, 3};
  std::vector<int> b{10, 20};
  std::vector<int> got;
  for (int v : executor->map([](int x, int y) { return x + y; }, a, b))
    got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{11, 22}));
}

TYPED_TEST(ExecutorTest, EXE_04_MapSubmitsEverythingBeforeReturning) {
  auto executor = this->make(2);
  std::atomic<int> ran{0};
  std::vector<int> xs(10, 1);
  {
    auto results = executor->map([&ran](int x) { return ran += x; }, xs);
    (void)results;  // never iterated
  }
  executor->shutdown(true);
  EXPECT_EQ(ran, 10);
}

TYPED_TEST(ExecutorTest, EXE_05_EXE_06_AFailedElementRethrowsAtItsPlaceThenTheRestIsCancelled) {
  auto executor = this->make(1);
  Event release;
  std::atomic<int> later_ran{0};
  std::vector<int> xs{1, 0, 2, 3, 4};
  auto results = executor->map(
      [&](int x) {
        if (x == 0) throw std::domain_error("zero");
        if (x == 2) release.wait(kHangGuard);  // holds the only worker
        if (x > 2) ++later_ran;
        return 10 / x;
      },
      xs);
  auto it = results.begin();
  EXPECT_EQ(*it, 10);
  EXPECT_THROW(++it, std::domain_error);
  EXPECT_TRUE(it == results.end());
  release.set();
  executor->shutdown(true);
  EXPECT_EQ(later_ran, 0);  // 3 and 4 never started
}

TYPED_TEST(ExecutorTest, EXE_07_EXE_08_MapTimeoutCountsFromTheCallAndCancelsTheRest) {
  auto executor = this->make(1);
  Event release;
  std::atomic<int> ran{0};
  std::vector<int> xs{0, 1, 2};
  auto results = executor->map(
      [&](int x) {
        if (x == 1) release.wait(kHangGuard);
        ++ran;
        return x;
      },
      xs, MapOptions{.timeout = 50ms});
  auto it = results.begin();
  EXPECT_EQ(*it, 0);
  EXPECT_THROW(++it, TimeoutError);
  release.set();
  executor->shutdown(true);
  EXPECT_EQ(ran, 2);  // 0 and 1 ran; 2 was cancelled
}

TYPED_TEST(ExecutorTest, EXE_09_DestroyingASteppedResultCancelsTheRestAnUnsteppedOneNothing) {
  auto executor = this->make(1);
  Event gate;
  Event second_started;
  std::atomic<int> ran{0};
  std::vector<int> xs{0, 1, 2, 3};
  const auto body = [&](int x) {
    if (x == 1) {
      second_started.set();
      gate.wait(kHangGuard);  // holds the only worker while the range dies
    }
    ++ran;
    return x;
  };
  {
    auto results = executor->map(body, xs);
    auto it = results.begin();
    EXPECT_EQ(*it, 0);
    ASSERT_TRUE(second_started.wait(kHangGuard));
  }  // stepped: 2 and 3, still queued, are cancelled; 1 is running
  gate.set();
  { auto never_stepped = executor->map(body, xs); }  // cancels nothing
  executor->shutdown(true);
  EXPECT_EQ(ran, 2 + 4);
}

TYPED_TEST(ExecutorTest, EXE_10_TheResultRangeDropsWhatItHasYielded) {
  auto executor = this->make(1);
  std::vector<int> xs{1, 2};
  auto results = executor->map([](int x) { return std::make_shared<int>(x); }, xs);
  std::weak_ptr<int> first;
  auto it = results.begin();
  first = *it;
  EXPECT_FALSE(first.expired());
  ++it;  // moved past the first element: the range keeps no copy of it
  EXPECT_TRUE(first.expired());
  EXPECT_EQ(**it, 2);
}

TYPED_TEST(ExecutorTest, EXE_11_ChunksizeBelowOneIsAValueError) {
  auto executor = this->make(1);
  std::vector<int> xs{1, 2};
  EXPECT_THROW(executor->map([](int x) { return x; }, xs, MapOptions{.chunksize = 0}), ValueError);
  std::vector<int> got;
  for (int v : executor->map([](int x) { return x * 2; }, xs, MapOptions{.chunksize = 5})) {
    got.push_back(v);
  }
  EXPECT_EQ(got, (std::vector<int>{2, 4}));
}

TYPED_TEST(ExecutorTest, EXE_12_AnEmptyInputGivesAnEmptyResult) {
  auto executor = this->make(1);
  std::vector<int> none;
  int count = 0;
  for (int v : executor->map([](int x) { return x; }, none))
    count += v + 1;
  EXPECT_EQ(count, 0);
}

TYPED_TEST(ExecutorTest, EXE_13_ShutdownMayBeCalledRepeatedly) {
  auto executor = this->make(2);
  Future<int> f = executor->submit([] { return 1; });
  executor->shutdown(false);
  executor->shutdown(false);
  executor->shutdown(true);
  executor->shutdown(true);
  executor->shutdown(false, true);  // nothing left to cancel
  EXPECT_EQ(f.result(0s), 1);
}

TYPED_TEST(ExecutorTest, EXE_14_EXE_17_DestructionWaitsForEveryQueuedTask) {
  std::atomic<int> done{0};
  std::vector<Future<int>> futures;
  {
    auto executor = this->make(3);
    for (int i = 0; i < 50; ++i) {
      futures.push_back(executor->submit([&done, i] {
        std::this_thread::sleep_for(1ms);
        ++done;
        return i;
      }));
    }
  }
  EXPECT_EQ(done, 50);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(futures[i].result(0s), i);
}

TYPED_TEST(ExecutorTest, EXE_15_TheCallableIsFreedOnceItHasRunEvenIfTheFutureIsKept) {
  auto executor = this->make(1);
  auto payload = std::make_shared<int>(1);
  std::weak_ptr<int> watch = payload;
  Future<int> f = executor->submit([p = std::move(payload)] { return *p; });
  EXPECT_EQ(f.result(kHangGuard), 1);
  EXPECT_TRUE(watch.expired());  // freed before the result was published
}

TYPED_TEST(ExecutorTest, EXE_16_SubmitAfterShutdownThrowsRuntimeError) {
  auto executor = this->make(1);
  executor->shutdown();
  try {
    executor->submit([] { return 1; });
    FAIL() << "submit after shutdown accepted";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot schedule new futures after shutdown");
  }
}

TYPED_TEST(ExecutorTest, EXE_18_CancelFuturesCancelsWhatHasNotStarted) {
  auto executor = this->make(2);
  Event release;
  std::vector<Future<int>> futures;
  for (int i = 0; i < 50; ++i) {
    futures.push_back(executor->submit([&release, i] {
      release.wait(kHangGuard);
      return i;
    }));
  }
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    release.set();
  });
  executor->shutdown(true, true);
  releaser.join();
  int cancelled = 0;
  for (auto& f : futures) {
    ASSERT_TRUE(f.done());
    if (f.cancelled()) {
      ++cancelled;
    } else {
      EXPECT_EQ(f.exception(), nullptr);
    }
  }
  EXPECT_GT(cancelled, 20);
}

TYPED_TEST(ExecutorTest, EXE_19_ShutdownWithoutWaitReturnsAtOnceAndTheWorkStillRuns) {
  auto executor = this->make(2);
  Event release;
  std::vector<Future<int>> futures;
  for (int i = 0; i < 4; ++i) {
    futures.push_back(executor->submit([&release, i] {
      release.wait(kHangGuard);
      return i * i;
    }));
  }
  executor->shutdown(false);  // returns although every task is blocked
  release.set();
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(futures[i].result(kHangGuard), i * i);
}

TYPED_TEST(ExecutorTest, EXE_20_CancelThenShutdownDoesNotHang) {
  auto executor = this->make(1);
  executor->submit([] { return 1; }).cancel();
  executor->shutdown(true);
  SUCCEED();
}

TYPED_TEST(ExecutorTest, EXE_21_MapThenShutdownAtOnceDoesNotHang) {
  auto executor = this->make(2);
  std::vector<int> xs(100, 1);
  auto results = executor->map([](int x) { return x; }, xs);
  executor->shutdown(true);
  int sum = 0;
  for (int v : results)
    sum += v;
  EXPECT_EQ(sum, 100);
}

TYPED_TEST(ExecutorTest, EXE_22_MaxWorkersBelowOneIsAValueError) {
  for (std::ptrdiff_t bad : {0, -1}) {
    try {
      this->make(bad);
      FAIL() << "max_workers " << bad << " accepted";
    } catch (const ValueError& e) {
      EXPECT_STREQ(e.what(), "max_workers must be greater than 0");
    }
  }
}

TYPED_TEST(ExecutorTest, EXE_23_DestructionAfterShutdownWithoutWaitStillWaits) {
  std::atomic<bool> finished{false};
  {
    auto executor = this->make(1);
    executor->submit([&] {
      std::this_thread::sleep_for(20ms);
      finished = true;
    });
    executor->shutdown(false);
  }
  EXPECT_TRUE(finished);
}

TYPED_TEST(ExecutorTest, ATaskExceptionGoesIntoItsFuture) {
  auto executor = this->make(1);
  Future<int> f = executor->submit([]() -> int { throw std::invalid_argument("bad"); });
  EXPECT_THROW(f.result(kHangGuard), std::invalid_argument);
  EXPECT_EQ(executor->submit([] { return 2; }).result(kHangGuard), 2);  // worker survived
}

}  // namespace
}  // namespace concur
