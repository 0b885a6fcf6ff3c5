// The Executor interface: docs/spec.md section EXE, written once as a
// typed suite over every executor: the thread pool, the
// process pool under both start methods, and AnyExecutor over each kind.
// The tasks' gates and counters live in files (support/processes.hpp), so
// the same test runs in threads and in worker processes.
#include "concur/executor.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "concur/errors.hpp"
#include "concur/process_pool_executor.hpp"
#include "concur/thread_pool_executor.hpp"
#include "support/processes.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::FileCounter;
using test::FileGate;
using test::kHangGuard;

// The engines, each a distinct type so the suite can name them.
struct ForkProcessPool : ProcessPoolExecutor {
  explicit ForkProcessPool(std::ptrdiff_t workers)
      : ProcessPoolExecutor(
            ProcessPoolOptions{.max_workers = workers, .start_method = StartMethod::fork}) {}
};
struct AnyOverThreads : AnyExecutor {
  explicit AnyOverThreads(std::ptrdiff_t workers)
      : AnyExecutor(std::make_unique<ThreadPoolExecutor>(workers)) {}
};
struct AnyOverProcesses : AnyExecutor {
  explicit AnyOverProcesses(std::ptrdiff_t workers)
      : AnyExecutor(std::make_unique<ProcessPoolExecutor>(workers)) {}
};

template <class E>
constexpr bool kInProcesses =
    !std::is_same_v<E, ThreadPoolExecutor> && !std::is_same_v<E, AnyOverThreads>;

template <class E>
class ExecutorTest : public test::NothingLeaks {
 protected:
  // make: an executor with `workers` workers.
  static std::unique_ptr<E> make(std::ptrdiff_t workers) { return std::make_unique<E>(workers); }
  // kAhead: calls a worker holds beyond the one it runs (a process pool
  // sends the next one early; those can no longer be cancelled).
  static constexpr int kAhead = kInProcesses<E> ? 1 : 0;

  // Files the test's tasks share; removed when the test ends.
  FileGate gate(int i = 0) { return gates_[static_cast<std::size_t>(i)]; }
  FileCounter counter() { return counter_; }
  void TearDown() override {
    for (const FileGate& g : gates_)
      g.remove();
    counter_.remove();
    test::NothingLeaks::TearDown();
  }

 private:
  FileGate gates_[2];
  FileCounter counter_;
};
using Executors = ::testing::Types<ThreadPoolExecutor, ProcessPoolExecutor, ForkProcessPool,
                                   AnyOverThreads, AnyOverProcesses>;
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
  EXPECT_EQ(executor->submit([](const std::string& s) { return s + "!"; }, std::string("hi"))
                .result(kHangGuard),
            "hi!");
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
  const FileCounter ran = this->counter();
  std::vector<int> xs(10, 1);
  {
    auto results = executor->map(by_value([ran](int x) {
                                   ran.add();
                                   return x;
                                 }),
                                 xs);
    (void)results;  // never iterated
  }
  executor->shutdown(true);
  EXPECT_EQ(ran.value(), 10);
}

TYPED_TEST(ExecutorTest, EXE_05_EXE_06_AFailedElementRethrowsAtItsPlaceThenTheRestIsCancelled) {
  auto executor = this->make(1);
  const FileGate release = this->gate();
  const FileCounter later_ran = this->counter();
  std::vector<int> xs{1, 0, 2, 3, 4, 5};
  auto results = executor->map(by_value([release, later_ran](int x) {
                                 if (x == 0) throw std::domain_error("zero");
                                 if (x == 2) release.wait();  // holds the only worker
                                 if (x > 2) later_ran.add();
                                 return 10 / x;
                               }),
                               xs);
  auto it = results.begin();
  EXPECT_EQ(*it, 10);
  EXPECT_THROW(++it, std::domain_error);
  EXPECT_TRUE(it == results.end());
  release.set();
  executor->shutdown(true);
  // 3, 4 and 5 were cancelled, but for any a process worker already held.
  EXPECT_LE(later_ran.value(), TestFixture::kAhead);
}

TYPED_TEST(ExecutorTest, EXE_07_EXE_08_MapTimeoutCountsFromTheCallAndCancelsTheRest) {
  auto executor = this->make(1);
  executor->submit([] {}).result(kHangGuard);  // the worker is up
  const FileGate release = this->gate();
  const FileCounter ran = this->counter();
  std::vector<int> xs{0, 1, 2, 3};
  auto results = executor->map(by_value([release, ran](int x) {
                                 if (x == 1) release.wait();
                                 ran.add();
                                 return x;
                               }),
                               xs, MapOptions{.timeout = 200ms});
  auto it = results.begin();
  EXPECT_EQ(*it, 0);
  EXPECT_THROW(++it, TimeoutError);
  release.set();
  executor->shutdown(true);
  // 0 and 1 ran; 2 and 3 were cancelled (but one a process worker held).
  EXPECT_GE(ran.value(), 2);
  EXPECT_LE(ran.value(), 2 + TestFixture::kAhead);
}

TYPED_TEST(ExecutorTest, EXE_09_DestroyingASteppedResultCancelsTheRestAnUnsteppedOneNothing) {
  auto executor = this->make(1);
  const FileGate gate = this->gate(0);
  const FileGate second_started = this->gate(1);
  const FileCounter ran = this->counter();
  std::vector<int> xs{0, 1, 2, 3, 4};
  const auto body = by_value([gate, second_started, ran](int x) {
    if (x == 1) {
      second_started.set();
      gate.wait();  // holds the only worker while the range dies
    }
    ran.add();
    return x;
  });
  {
    auto results = executor->map(body, xs);
    auto it = results.begin();
    EXPECT_EQ(*it, 0);
    ASSERT_TRUE(second_started.wait());
  }  // stepped: 2, 3 and 4, still queued, are cancelled; 1 is running
  gate.set();
  { auto never_stepped = executor->map(body, xs); }  // cancels nothing
  executor->shutdown(true);
  EXPECT_GE(ran.value(), 2 + 5);
  EXPECT_LE(ran.value(), 2 + TestFixture::kAhead + 5);
}

TYPED_TEST(ExecutorTest, EXE_10_TheResultRangeDropsWhatItHasYielded) {
  if constexpr (kInProcesses<TypeParam>) {
    GTEST_SKIP() << "a shared_ptr result cannot cross processes; MapResult is the same code";
  } else {
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

// Python 3.14's Executor.map(buffersize=): at most that many calls are
// submitted and not yet yielded.
TYPED_TEST(ExecutorTest, MapBuffersizeBoundsTheCallsInFlight) {
  auto executor = this->make(4);
  const FileGate release = this->gate();
  const FileCounter started = this->counter();
  std::vector<int> xs{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto results = executor->map(by_value([release, started](int x) {
                                 started.add();
                                 release.wait();
                                 return x * 3;
                               }),
                               xs, MapOptions{.buffersize = 2});
  ASSERT_TRUE(test::eventually([&] { return started.value() == 2; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(started.value(), 2);  // four workers idle, yet only two calls out
  release.set();
  std::vector<int> got;
  for (int v : results)
    got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{0, 3, 6, 9, 12, 15, 18, 21, 24, 27}));
  EXPECT_THROW(executor->map([](int x) { return x; }, xs, MapOptions{.buffersize = 0}), ValueError);
}

int plus_one(int x) {
  return x + 1;
}
int seven() {
  return 7;
}

// Naturals: 0, 1, 2, ... without end (std::views::iota, which Clang 14
// cannot compile against libstdc++ 12).
struct Naturals {
  struct iterator {
    using difference_type = std::ptrdiff_t;
    using value_type = int;
    int n = 0;
    int operator*() const { return n; }
    iterator& operator++() {
      ++n;
      return *this;
    }
    iterator operator++(int) {
      iterator before = *this;
      ++n;
      return before;
    }
    bool operator==(std::unreachable_sentinel_t) const { return false; }
  };
  iterator begin() const { return {}; }
  std::unreachable_sentinel_t end() const { return {}; }
};

TYPED_TEST(ExecutorTest, MapWithNoInputRangesIsEmpty) {
  // Python: executor.map(fn) zips nothing, so it calls nothing.
  auto executor = this->make(1);
  int count = 0;
  for ([[maybe_unused]] int v : executor->map(seven))
    ++count;
  for ([[maybe_unused]] int v : executor->map(seven, MapOptions{.buffersize = 2}))
    ++count;
  EXPECT_EQ(count, 0);
}

TYPED_TEST(ExecutorTest, MapWithABuffersizeReadsAnEndlessInputOnlyAsItGoes) {
  auto executor = this->make(2);
  std::vector<int> got;
  for (int v : executor->map(plus_one, Naturals(), MapOptions{.buffersize = 3})) {
    got.push_back(v);
    if (got.size() == 10) break;
  }
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  // Chunked, zipped with a finite range: stops at the shorter.
  got.clear();
  for (int v :
       executor->map([](int a, int b) { return a * b; }, Naturals(), std::vector<int>{5, 6, 7},
                     MapOptions{.chunksize = 2, .buffersize = 1}))
    got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{0, 6, 14}));
}

TYPED_TEST(ExecutorTest, MapWithABuffersizeTakesOverATemporaryRange) {
  auto executor = this->make(1);
  auto results = executor->map(plus_one, std::vector<int>{1, 2, 3, 4}, MapOptions{.buffersize = 1});
  std::vector<int> got;
  for (int v : results)  // the temporary vector is long gone: the result owns it
    got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{2, 3, 4, 5}));
}

TYPED_TEST(ExecutorTest, ABufferedMapResultThatOutlivesItsExecutorThrowsRuntimeError) {
  std::vector<int> xs{1, 2, 3, 4};
  auto results = [&] {
    auto executor = this->make(1);
    return executor->map(plus_one, xs, MapOptions{.buffersize = 1});
  }();  // the executor is gone; the first chunk was submitted and has run
  auto it = results.begin();
  EXPECT_EQ(*it, 2);
  try {
    ++it;
    ADD_FAILURE() << "a submit to a destroyed executor";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("must not outlive the executor"), std::string::npos)
        << e.what();
  }
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
  const FileCounter done = this->counter();
  std::vector<Future<int>> futures;
  {
    auto executor = this->make(3);
    for (int i = 0; i < 50; ++i) {
      futures.push_back(executor->submit(by_value([done](int x) {
                                           std::this_thread::sleep_for(1ms);
                                           done.add();
                                           return x;
                                         }),
                                         i));
    }
  }
  EXPECT_EQ(done.value(), 50);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(futures[i].result(0s), i);
}

TYPED_TEST(ExecutorTest, EXE_15_TheCallableIsFreedOnceItHasRunEvenIfTheFutureIsKept) {
  if constexpr (kInProcesses<TypeParam>) {
    GTEST_SKIP() << "a process pool ships a copy of the callable's bytes; nothing to free here";
  } else {
    auto executor = this->make(1);
    auto payload = std::make_shared<int>(1);
    std::weak_ptr<int> watch = payload;
    Future<int> f = executor->submit([p = std::move(payload)] { return *p; });
    EXPECT_EQ(f.result(kHangGuard), 1);
    EXPECT_TRUE(watch.expired());  // freed before the result was published
  }
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
  const FileGate release = this->gate();
  std::vector<Future<int>> futures;
  for (int i = 0; i < 50; ++i) {
    futures.push_back(executor->submit(by_value([release](int x) {
                                         release.wait();
                                         return x;
                                       }),
                                       i));
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
  const FileGate release = this->gate();
  std::vector<Future<int>> futures;
  for (int i = 0; i < 4; ++i) {
    futures.push_back(executor->submit(by_value([release](int x) {
                                         release.wait();
                                         return x * x;
                                       }),
                                       i));
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
  const FileGate finished = this->gate();
  {
    auto executor = this->make(1);
    executor->submit(by_value([finished] {
      std::this_thread::sleep_for(20ms);
      finished.set();
    }));
    executor->shutdown(false);
  }
  EXPECT_TRUE(finished.is_set());
}

TYPED_TEST(ExecutorTest, ATaskExceptionGoesIntoItsFuture) {
  auto executor = this->make(1);
  Future<int> f = executor->submit([]() -> int { throw std::invalid_argument("bad"); });
  EXPECT_THROW(f.result(kHangGuard), std::invalid_argument);
  EXPECT_EQ(executor->submit([] { return 2; }).result(kHangGuard), 2);  // worker survived
}

TEST(AnyExecutorTest, ACallThatCannotCrossProcessesIsRefusedOverAProcessPool) {
  AnyOverProcesses executor(1);
  std::string captured = "not a plain value";
  EXPECT_THROW(executor.submit([captured] { return captured.size(); }), ValueError);
  AnyOverThreads threads(1);
  EXPECT_EQ(threads.submit([captured] { return captured.size(); }).result(kHangGuard), 17u);
}

// --- Conveniences users reached for -----------------------------------------------

TYPED_TEST(ExecutorTest, EXE_24_FuturesAreKeysByIdentity) {
  auto executor = this->make(2);
  std::unordered_map<Future<int>, int> input_of;  // Python's {ex.submit(f, x): x for x in xs}
  for (int x = 0; x < 20; ++x)
    input_of.emplace(executor->submit(power, x, 2), x);
  ASSERT_EQ(input_of.size(), 20u);
  std::vector<Future<int>> futures;
  for (const auto& [future, x] : input_of)
    futures.push_back(future);
  for (const Future<int>& done : as_completed(futures, kHangGuard)) {
    const auto found = input_of.find(done);
    ASSERT_NE(found, input_of.end());
    EXPECT_EQ(done.result(), found->second * found->second);
  }
  const Future<int> copy = futures.front();
  EXPECT_TRUE(copy == futures.front());
  EXPECT_EQ(std::hash<Future<int>>{}(copy), std::hash<Future<int>>{}(futures.front()));
  EXPECT_FALSE(futures[0] == futures[1]);
}

void fail_on_three(int x) {
  if (x == 3) throw std::invalid_argument("three");
}

TYPED_TEST(ExecutorTest, EXE_25_MapOverAVoidFunctionYieldsOneStepPerCallAndRethrowsAtItsPlace) {
  auto executor = this->make(2);
  const FileCounter ran = this->counter();
  std::vector<int> xs{0, 1, 2, 3, 4, 5};
  std::size_t steps = 0;
  for (std::monostate step : executor->map(by_value([ran](int) { ran.add(); }), xs)) {
    (void)step;
    ++steps;
  }
  EXPECT_EQ(steps, xs.size());
  EXPECT_EQ(ran.value(), 6);
  auto results = executor->map(fail_on_three, xs, MapOptions{.chunksize = 1});
  std::size_t before_failure = 0;
  try {
    for ([[maybe_unused]] std::monostate step : results)
      ++before_failure;
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "three");
  }
  EXPECT_EQ(before_failure, 3u);
}

TYPED_TEST(ExecutorTest, EXE_26_AMapResultConstructsAContainer) {
  auto executor = this->make(2);
  std::vector<int> xs{1, 2, 3, 4};
  auto results = executor->map(power, xs, xs);
  const std::vector<int> squares(results.begin(), results.end());
  EXPECT_EQ(squares, (std::vector<int>{1, 4, 27, 256}));
  std::vector<Future<int>> futures{executor->submit(power, 2, 3), executor->submit(power, 3, 2)};
  auto completed = as_completed(futures, kHangGuard);
  const std::vector<Future<int>> done(completed.begin(), completed.end());
  EXPECT_EQ(done.size(), 2u);
}

}  // namespace
}  // namespace concur
