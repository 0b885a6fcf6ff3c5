// asyncio under load: 10^5 tasks (10^4 under sanitizers) that sleep,
// await each other, await futures completed by other threads, and are
// cancelled or timed out at random. Checked: every task ends - with its
// result, its exception, a cancellation or a timeout - and the counts add
// up. Never timing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <random>
#include <thread>
#include <vector>

#include "concur/asyncio.hpp"
#include "concur/future.hpp"
#include "concur/thread_pool_executor.hpp"

namespace concur::asyncio {
namespace {

using namespace std::chrono_literals;

#if defined(CONCUR_SANITIZED)
constexpr std::size_t kTasks = 10'000;
#else
constexpr std::size_t kTasks = 100'000;
#endif

struct Tally {
  std::size_t results = 0;
  std::size_t failures = 0;
  std::size_t cancellations = 0;
  std::size_t timeouts = 0;
};

Coroutine<int> one_task(std::size_t i, ThreadPoolExecutor& pool, unsigned seed) {
  std::minstd_rand random(seed);
  switch (random() % 4) {
    case 0:
      co_await sleep(std::chrono::microseconds(random() % 500));
      break;
    case 1:
      co_await sleep(0s);
      break;
    case 2:
      // Woken from another thread.
      co_return co_await pool.submit([](std::size_t x) { return static_cast<int>(x % 7); }, i);
    default:
      if (random() % 5 == 0) throw std::runtime_error("a task that fails");
      break;
  }
  co_return static_cast<int>(i % 3);
}

Coroutine<Tally> storm(ThreadPoolExecutor& pool) {
  std::minstd_rand random(12345);
  std::vector<Task<int>> tasks;
  tasks.reserve(kTasks);
  for (std::size_t i = 0; i < kTasks; ++i) {
    const unsigned seed = static_cast<unsigned>(random());
    if (random() % 8 == 0) {
      // Some run under a timeout that may pass.
      tasks.push_back(create_task(
          wait_for(one_task(i, pool, seed), std::chrono::microseconds(random() % 300))));
    } else {
      tasks.push_back(create_task(one_task(i, pool, seed)));
    }
    if (random() % 16 == 0) tasks.back().cancel();  // some before they start
    if (i % 1000 == 999) {
      co_await sleep(0s);
      // ... and some while they run.
      for (int k = 0; k < 50; ++k)
        tasks[random() % tasks.size()].cancel();
    }
  }
  auto outcomes = co_await gather(tasks, GatherOptions{.return_exceptions = true});
  Tally tally;
  for (auto& outcome : outcomes) {
    if (outcome.index() == 0) {
      ++tally.results;
      continue;
    }
    try {
      std::rethrow_exception(std::get<1>(outcome));
    } catch (const CancelledError&) {
      ++tally.cancellations;
    } catch (const TimeoutError&) {
      ++tally.timeouts;
    } catch (const std::runtime_error&) {
      ++tally.failures;
    }
  }
  for (auto& task : tasks)
    EXPECT_TRUE(task.done());
  EXPECT_TRUE(all_tasks().size() == 1u);  // only this one is left
  co_return tally;
}

TEST(AsyncioStressTest,
     EveryOneOfManyTasksEndsUnderRandomCancellationTimeoutsAndCrossThreadWakeUps) {
  ThreadPoolExecutor pool(2);
  const Tally tally = run(storm(pool));
  EXPECT_EQ(tally.results + tally.failures + tally.cancellations + tally.timeouts, kTasks);
  EXPECT_GT(tally.results, 0u);
  EXPECT_GT(tally.failures, 0u);
  EXPECT_GT(tally.cancellations, 0u);
  EXPECT_GT(tally.timeouts, 0u);
}

Coroutine<std::size_t> posted_from_threads(std::size_t per_thread) {
  EventLoop& loop = get_running_loop();
  std::atomic<std::size_t> ran{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&loop, &ran, per_thread] {
      for (std::size_t i = 0; i < per_thread; ++i)
        loop.call_soon_threadsafe([&ran] { ++ran; });
    });
  }
  while (ran.load() < 4 * per_thread)
    co_await sleep(100us);
  for (auto& poster : posters)
    poster.join();
  co_return ran.load();
}

TEST(AsyncioStressTest, CallSoonThreadsafeFromFourThreadsLosesNothing) {
  const std::size_t per_thread = kTasks / 10;
  EXPECT_EQ(run(posted_from_threads(per_thread)), 4 * per_thread);
}

}  // namespace
}  // namespace concur::asyncio
