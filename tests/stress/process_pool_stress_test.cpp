// The process pool under attack: 10^4 calls while another thread kills
// random workers with SIGKILL. Every future must still end, with its result
// or BrokenProcessPool (only the calls that were running die), and nothing
// may outlive the pool.
#include <signal.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "concur/process_pool_executor.hpp"
#include "support/processes.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;

long checksum(long x) {
  return x * 2654435761L % 1000003;
}

class ProcessPoolStress : public test::NothingLeaks,
                          public ::testing::WithParamInterface<StartMethod> {};

INSTANTIATE_TEST_SUITE_P(StartMethods, ProcessPoolStress,
                         ::testing::Values(StartMethod::spawn, StartMethod::fork),
                         [](const ::testing::TestParamInfo<StartMethod>& param) {
                           return param.param == StartMethod::spawn ? "spawn" : "fork";
                         });

TEST_P(ProcessPoolStress, EveryFutureEndsWhileAThreadKillsRandomWorkers) {
  constexpr int kCalls = 10000;
  std::vector<Future<long>> futures;
  futures.reserve(kCalls);
  int kills = 0;
  {
    ProcessPoolExecutor pool(ProcessPoolOptions{.max_workers = 3, .start_method = GetParam()});
    std::atomic<bool> stop{false};
    std::thread killer([&] {
      std::mt19937 random(12345);
      while (!stop.load() && kills < 200) {
        const std::vector<int> pids = pool.worker_pids();
        if (!pids.empty()) {
          ::kill(pids[random() % pids.size()], SIGKILL);
          ++kills;
        }
        std::this_thread::sleep_for(1ms);
      }
    });
    for (long i = 0; i < kCalls; ++i)
      futures.push_back(pool.submit(checksum, i));
    int results = 0;
    int broken = 0;
    for (long i = 0; i < kCalls; ++i) {
      try {
        ASSERT_EQ(futures[static_cast<std::size_t>(i)].result(test::kHangGuard * 3), checksum(i));
        ++results;
      } catch (const BrokenProcessPool&) {
        ++broken;
      }
    }
    stop = true;
    killer.join();
    EXPECT_EQ(results + broken, kCalls);
    EXPECT_GT(results, 0);
    // Each kill fails at most the one call its worker was running.
    EXPECT_LE(broken, kills);
  }
}

}  // namespace
}  // namespace concur
