// ThreadPoolExecutor specifics: docs/spec.md section TPE.
#include "concur/thread_pool_executor.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "concur/event.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kHangGuard;

std::string os_thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

TEST(ThreadPoolExecutorTest, TPE_01_DefaultMaxWorkersIsMin32UsableCpusPlus4) {
  ThreadPoolExecutor pool;
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  const auto cpus = static_cast<std::size_t>(CPU_COUNT(&allowed));
  EXPECT_EQ(pool.max_workers(), std::min<std::size_t>(32, cpus + 4));
}

TEST(ThreadPoolExecutorTest, TPE_02_ThreadsStartLazily) {
  ThreadPoolExecutor pool(4);
  EXPECT_EQ(pool.thread_count(), 0u);
  pool.submit([] {}).result(kHangGuard);
  EXPECT_EQ(pool.thread_count(), 1u);
}

TEST(ThreadPoolExecutorTest, TPE_04_AnIdleThreadIsReused) {
  ThreadPoolExecutor pool(4);
  for (int i = 0; i < 3; ++i)
    pool.submit([] {}).result(kHangGuard);
  EXPECT_EQ(pool.thread_count(), 1u);
}

TEST(ThreadPoolExecutorTest, TPE_05_SaturationNeverStartsMoreThanMaxWorkers) {
  ThreadPoolExecutor pool(4);
  Event release;
  std::vector<Future<void>> futures;
  for (int i = 0; i < 15 * 4; ++i) {
    futures.push_back(pool.submit([&] { release.wait(kHangGuard); }));
  }
  EXPECT_EQ(pool.thread_count(), 4u);
  release.set();
  for (auto& f : futures)
    f.result(kHangGuard);
  EXPECT_EQ(pool.thread_count(), 4u);
}

TEST(ThreadPoolExecutorTest, TPE_06_ThreeBlockingTasksOnFiveWorkersUseThreeThreads) {
  ThreadPoolExecutor pool(5);
  Event release;
  std::vector<Future<void>> futures;
  for (int i = 0; i < 3; ++i)
    futures.push_back(pool.submit([&] { release.wait(kHangGuard); }));
  release.set();
  for (auto& f : futures)
    f.result(kHangGuard);
  EXPECT_EQ(pool.thread_count(), 3u);
}

TEST(ThreadPoolExecutorTest, TPE_07_TasksStartInSubmissionOrder) {
  ThreadPoolExecutor pool(1);
  std::vector<int> order;  // one worker: no race
  std::vector<Future<void>> futures;
  for (int i = 0; i < 100; ++i)
    futures.push_back(pool.submit([&order, i] { order.push_back(i); }));
  for (auto& f : futures)
    f.result(kHangGuard);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(order[i], i);
}

TEST(ThreadPoolExecutorTest, TPE_08_ThreadsAreNamedPrefixUnderscoreIndex) {
  ThreadPoolExecutor pool(ThreadPoolOptions{.max_workers = 5, .thread_name_prefix = "SpecialPool"});
  Event release;
  std::mutex m;
  std::set<std::string> names;
  std::vector<Future<void>> futures;
  for (int i = 0; i < 5; ++i) {
    futures.push_back(pool.submit([&] {
      {
        std::scoped_lock hold(m);
        names.insert(os_thread_name());
      }
      release.wait(kHangGuard);
    }));
  }
  ASSERT_TRUE(eventually([&] {
    std::scoped_lock hold(m);
    return names.size() == 5;
  }));
  release.set();
  for (auto& f : futures)
    f.result(kHangGuard);
  for (const auto& name : names)
    EXPECT_TRUE(std::regex_match(name, std::regex("SpecialPool_[0-4]")));
}

TEST(ThreadPoolExecutorTest, TPE_09_TheDefaultPrefixIsThreadPoolExecutorAndACounter) {
  ThreadPoolExecutor pool(1);
  const std::string name = pool.submit(os_thread_name).result(kHangGuard);
  // The OS keeps 15 characters of "ThreadPoolExecutor-<k>_0".
  EXPECT_EQ(name, std::string("ThreadPoolExecutor-").substr(0, 15));
}

TEST(ThreadPoolExecutorTest, TPE_10_TheInitializerRunsInEachWorkerBeforeItsTasks) {
  static thread_local int initialized = 0;
  std::atomic<int> calls{0};
  ThreadPoolExecutor pool(ThreadPoolOptions{.max_workers = 3, .initializer = [&calls] {
                                              initialized = 42;
                                              ++calls;
                                            }});
  Event release;
  std::vector<Future<int>> futures;
  for (int i = 0; i < 3; ++i) {
    futures.push_back(pool.submit([&] {
      release.wait(kHangGuard);
      return initialized;
    }));
  }
  release.set();
  for (auto& f : futures)
    EXPECT_EQ(f.result(kHangGuard), 42);
  pool.shutdown(true);  // every started worker has run its initializer
  EXPECT_EQ(calls, 3);
}

TEST(ThreadPoolExecutorTest, TPE_12_TPE_13_AThrowingInitializerBreaksThePool) {
  ThreadPoolExecutor pool(ThreadPoolOptions{
      .max_workers = 1, .initializer = [] { throw std::runtime_error("init failed"); }});
  std::vector<Future<int>> futures;
  for (int i = 0; i < 5; ++i) {
    try {
      futures.push_back(pool.submit([i] { return i; }));
    } catch (const BrokenThreadPool&) {
      // Submitting while it breaks may also raise (TPE-13).
    }
  }
  for (auto& f : futures) {
    try {
      f.result(kHangGuard);
      FAIL() << "a task ran on a broken pool";
    } catch (const BrokenThreadPool& e) {
      EXPECT_STREQ(e.what(), "A thread initializer failed, the thread pool is not usable anymore");
    }
  }
  ASSERT_TRUE(eventually([&] {
    try {
      pool.submit([] { return 0; }).result(kHangGuard);
      return false;
    } catch (const BrokenThreadPool&) {
      return true;
    }
  }));
  pool.shutdown();
  EXPECT_THROW(pool.submit([] { return 0; }), BrokenThreadPool);  // broken beats shut down
}

TEST(ThreadPoolExecutorTest, TPE_14_AWorkerSurvivesAnyTaskException) {
  ThreadPoolExecutor pool(1);
  EXPECT_THROW(pool.submit([] { throw 7; }).result(kHangGuard), int);
  EXPECT_THROW(pool.submit([] { throw std::logic_error("x"); }).result(kHangGuard),
               std::logic_error);
  EXPECT_EQ(pool.submit([] { return 3; }).result(kHangGuard), 3);
  EXPECT_EQ(pool.thread_count(), 1u);
}

TEST(ThreadPoolExecutorTest, TPE_15_CancelFuturesWithoutWaitCancelsTheQueueAtOnce) {
  ThreadPoolExecutor pool(1);
  Event release;
  Event started;
  Future<void> running = pool.submit([&] {
    started.set();
    release.wait(kHangGuard);
  });
  ASSERT_TRUE(started.wait(kHangGuard));
  std::vector<Future<int>> queued;
  for (int i = 0; i < 10; ++i)
    queued.push_back(pool.submit([i] { return i; }));
  pool.shutdown(false, true);
  for (auto& f : queued)
    EXPECT_TRUE(f.cancelled());
  release.set();
  running.result(kHangGuard);  // the running one completes
}

TEST(ThreadPoolExecutorTest, TPE_16_CancelWithoutWaitThenDestructionLetsTheRunningTaskFinish) {
  std::atomic<bool> finished{false};
  {
    ThreadPoolExecutor pool(1);
    Event started;
    pool.submit([&] {
      started.set();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      finished = true;
    });
    ASSERT_TRUE(started.wait(kHangGuard));
    pool.shutdown(false, true);
  }
  EXPECT_TRUE(finished);
}

TEST(ThreadPoolExecutorTest, TPE_17_ADroppedPoolFinishesItsQueuedWorkAndMapResultsStayRight) {
  std::vector<int> xs{1, 2, 3, 4, 5};
  std::vector<int> got;
  {
    auto pool = std::make_unique<ThreadPoolExecutor>(2);
    auto results = pool->map([](int x) { return x * 10; }, xs);
    pool.reset();  // no explicit shutdown: the destructor drains and joins
    for (int v : results)
      got.push_back(v);
  }
  EXPECT_EQ(got, (std::vector<int>{10, 20, 30, 40, 50}));
}

// os_threads: the threads of this process, as the kernel counts them.
std::ptrdiff_t os_threads() {
  return std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                       std::filesystem::directory_iterator());
}

TEST(ThreadPoolExecutorTest, TPE_18_AfterShutdownTheWorkersExitAndAreJoined) {
  // ThreadSanitizer starts a helper thread along with the first thread the
  // program makes: let that happen before counting.
  std::thread([] {}).join();
  const std::ptrdiff_t before = os_threads();
  std::atomic<int> alive{0};
  ThreadPoolExecutor pool(
      ThreadPoolOptions{.max_workers = 3, .initializer = [&alive] { ++alive; }});
  Event release;
  for (int i = 0; i < 3; ++i)
    pool.submit([&] { release.wait(kHangGuard); });
  release.set();
  EXPECT_EQ(os_threads(), before + 3);
  pool.shutdown(true);  // returns once every worker has exited
  EXPECT_EQ(alive, 3);
  EXPECT_EQ(os_threads(), before);  // nothing left behind
  EXPECT_THROW(pool.submit([] {}), RuntimeError);
}

TEST(ThreadPoolExecutorTest, TPE_19_ShutdownWaitFromAPoolTaskThrowsInsteadOfDeadlocking) {
  ThreadPoolExecutor pool(2);
  Future<bool> f = pool.submit([&pool] {
    try {
      pool.shutdown(true);
      return false;
    } catch (const RuntimeError&) {
      return true;
    }
  });
  EXPECT_TRUE(f.result(kHangGuard));
}

TEST(ThreadPoolExecutorTest, TPE_20_ATaskMaySubmitMoreTasks) {
  ThreadPoolExecutor pool(2);
  Future<int> outer = pool.submit([&pool] { return pool.submit([] { return 5; }).result() + 1; });
  EXPECT_EQ(outer.result(kHangGuard), 6);
}

TEST(ThreadPoolExecutorTest, TPE_21_BrokenThreadPoolIsABrokenExecutor) {
  static_assert(std::is_base_of_v<BrokenExecutor, BrokenThreadPool>);
  SUCCEED();
}

TEST(ThreadPoolExecutorTest, WorkersGetTheRequestedStackSize) {
  ThreadPoolExecutor pool(ThreadPoolOptions{.max_workers = 1, .stack_size = 4 << 20});
  const std::size_t stack = pool.submit([] {
                                  pthread_attr_t attr;
                                  pthread_getattr_np(pthread_self(), &attr);
                                  std::size_t size = 0;
                                  pthread_attr_getstacksize(&attr, &size);
                                  pthread_attr_destroy(&attr);
                                  return size;
                                })
                                .result(kHangGuard);
  EXPECT_GE(stack, std::size_t{4} << 20);
}

// --- Faults -------------------------------------------------------------------

TEST(ThreadPoolFaultTest, ASubmitWhoseThreadCannotStartThrowsAndQueuesNothing) {
  // A stack no machine can give: every thread start fails.
  std::atomic<int> ran{0};
  {
    ThreadPoolExecutor pool(
        ThreadPoolOptions{.max_workers = 1, .stack_size = std::size_t{1} << 60});
    for (int attempt = 0; attempt < 3; ++attempt) {
      try {
        pool.submit([&] { ++ran; });
        ADD_FAILURE() << "a submit with no thread to run it returned";
      } catch (const RuntimeError& e) {
        EXPECT_NE(std::string(e.what()).find("cannot start a worker thread"), std::string::npos)
            << e.what();
      }
      EXPECT_EQ(pool.thread_count(), 0u);  // no phantom thread
    }
  }
  EXPECT_EQ(ran.load(), 0);  // nothing queued ran later either
}

TEST(ThreadPoolFaultTest, ConcurrentShutdownsWithWaitAllReturnOnlyWhenThePoolIsDone) {
  ThreadPoolExecutor pool(1);
  Event release;
  std::atomic<bool> task_finished{false};
  auto running = pool.submit([&] {
    release.wait(kHangGuard);
    task_finished = true;
  });
  std::atomic<int> early_returns{0};
  std::vector<std::thread> closers;
  for (int i = 0; i < 3; ++i) {
    closers.emplace_back([&] {
      pool.shutdown(true);
      if (!task_finished.load()) ++early_returns;
    });
  }
  // Give the closers time to be inside shutdown (a closer that is late
  // proves nothing, but cannot fail the test).
  std::this_thread::sleep_for(50ms);
  release.set();
  for (auto& t : closers)
    t.join();
  EXPECT_EQ(early_returns.load(), 0);
  running.result(kHangGuard);
}

TEST(ThreadPoolFaultTest, APoolDestroyedByItsOwnTaskFinishesTheRestAndFreesItself) {
  const int threads_before = test::settled_thread_count();
  auto* pool = new ThreadPoolExecutor(2);
  Event release;
  std::atomic<int> others{0};
  auto first = pool->submit([&] { release.wait(kHangGuard); });
  for (int i = 0; i < 5; ++i)
    pool->submit([&] { ++others; });
  auto destroyer = pool->submit([pool] { delete pool; });
  release.set();
  destroyer.result(kHangGuard);  // the destructor has returned by now
  first.result(kHangGuard);
  EXPECT_EQ(others.load(), 5);
  // The destroying worker leaves by itself; nothing of the pool remains.
  EXPECT_TRUE(eventually([&] { return test::thread_count() == threads_before; }));
}

TEST(ThreadPoolFaultTest, APoolDestroyedByADoneCallbackFreesItself) {
  const int threads_before = test::settled_thread_count();
  auto* pool = new ThreadPoolExecutor(1);
  Event release;
  Event destroyed;
  auto f = pool->submit([&] {
    release.wait(kHangGuard);
    return 7;
  });
  f.add_done_callback([pool, &destroyed](const Future<int>&) {
    delete pool;  // on the worker that completed f
    destroyed.set();
  });
  release.set();
  ASSERT_TRUE(destroyed.wait(kHangGuard));
  EXPECT_EQ(f.result(), 7);
  EXPECT_TRUE(eventually([&] { return test::thread_count() == threads_before; }));
}

// ThrowsWhenDestroyed: a captured object whose destructor throws.
struct ThrowsWhenDestroyed {
  bool armed = true;
  ThrowsWhenDestroyed() = default;
  ThrowsWhenDestroyed(const ThrowsWhenDestroyed&) = default;
  ThrowsWhenDestroyed(ThrowsWhenDestroyed&& other) noexcept
      : armed(std::exchange(other.armed, false)) {}
  ~ThrowsWhenDestroyed() noexcept(false) {
    if (armed) throw std::runtime_error("destructor threw");
  }
};

std::atomic<int> reported_errors{0};
void count_reported(std::exception_ptr) noexcept {
  ++reported_errors;
}

TEST(ThreadPoolFaultTest, ACapturedObjectWhoseDestructorThrowsIsReportedAndThePoolGoesOn) {
  reported_errors = 0;
  const CallbackErrorHandler previous = set_callback_error_handler(&count_reported);
  {
    ThreadPoolExecutor pool(1);
    ThrowsWhenDestroyed bomb;
    auto ran = pool.submit([bomb = std::move(bomb)] { return 5; });
    EXPECT_EQ(ran.result(kHangGuard), 5);  // the call's own outcome
    ThrowsWhenDestroyed second;
    auto failed =
        pool.submit([second = std::move(second)]() -> int { throw std::domain_error("x"); });
    EXPECT_THROW(failed.result(kHangGuard), std::domain_error);
    // Cancelled while queued: dropped without running, and reported too.
    Event release;
    auto blocker = pool.submit([&] { release.wait(kHangGuard); });
    ThrowsWhenDestroyed third;
    auto never = pool.submit([third = std::move(third)] {});
    EXPECT_TRUE(never.cancel());
    release.set();
    blocker.result(kHangGuard);
    EXPECT_EQ(pool.submit([] { return 1; }).result(kHangGuard), 1);  // the worker survived
  }
  EXPECT_EQ(reported_errors.load(), 3);
  set_callback_error_handler(previous);
}

}  // namespace
}  // namespace concur
