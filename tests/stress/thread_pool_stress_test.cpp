// Stress: many tasks with random cancellation and a concurrent shutdown;
// every future handed out must end (result or cancelled), and the counts
// must add up. The seed is printed so a failure can be replayed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "concur/thread_pool_executor.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

#if defined(CONCUR_SANITIZED)
constexpr int kTasks = 10000;
#else
constexpr int kTasks = 100000;
#endif

class ThreadPoolStressTest : public ::testing::TestWithParam<std::ptrdiff_t> {};
INSTANTIATE_TEST_SUITE_P(Workers, ThreadPoolStressTest, ::testing::Values(1, 2, 4, 16),
                         [](const auto& param_info) { return std::to_string(param_info.param); });

TEST_P(ThreadPoolStressTest, EveryFutureEndsUnderCancellationAndConcurrentShutdown) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  ThreadPoolExecutor pool(GetParam());
  std::atomic<std::int64_t> ran{0};
  std::vector<Future<int>> futures;
  futures.reserve(kTasks);
  std::atomic<bool> stop_submitting{false};
  std::thread shutter([&] {
    test::eventually([&] { return ran.load() > kTasks / 2; });
    pool.shutdown(false, true);  // concurrent with the submits and cancels
    stop_submitting = true;
  });
  int rejected = 0;
  for (int i = 0; i < kTasks; ++i) {
    try {
      futures.push_back(pool.submit([&ran, i] {
        ++ran;
        return i;
      }));
    } catch (const RuntimeError&) {
      ++rejected;  // submitted after the shutdown
    }
    if (random() % 8 == 0 && !futures.empty()) futures[random() % futures.size()].cancel();
  }
  shutter.join();
  pool.shutdown(true);
  std::int64_t results = 0;
  std::int64_t cancelled = 0;
  for (auto& f : futures) {
    ASSERT_TRUE(f.done());
    if (f.cancelled()) {
      ++cancelled;
    } else {
      f.result();
      ++results;
    }
  }
  EXPECT_EQ(results, ran.load());
  EXPECT_EQ(results + cancelled, static_cast<std::int64_t>(futures.size()));
  EXPECT_EQ(static_cast<int>(futures.size()) + rejected, kTasks);
}

}  // namespace
}  // namespace concur
