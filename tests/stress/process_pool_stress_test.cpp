// The process pool under attack: 10^4 calls while another thread kills
// random workers with SIGKILL. Every future must still end, with its result
// or BrokenProcessPool (only the calls that were running die), and nothing
// may outlive the pool.
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "concur/process_pool_executor.hpp"
#include "support/process_pool_test.hpp"
#include "support/processes.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;

long checksum(long x) {
  return x * 2654435761L % 1000003;
}

class ProcessPoolStress : public test::PerStartMethod {};

INSTANTIATE_TEST_SUITE_P(StartMethods, ProcessPoolStress, test::kStartMethods,
                         test::start_method_name);

TEST_P(ProcessPoolStress, EveryFutureEndsWhileAThreadKillsRandomWorkers) {
  constexpr int kCalls = 10000;
  std::vector<Future<long>> futures;
  futures.reserve(kCalls);
  int kills = 0;
  {
    ProcessPoolExecutor pool(options(3));
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
    int innocent = 0;  // failed although no worker died running them
    for (long i = 0; i < kCalls; ++i) {
      try {
        ASSERT_EQ(futures[static_cast<std::size_t>(i)].result(test::kHangGuard * 3), checksum(i));
        ++results;
      } catch (const BrokenProcessPool& e) {
        ++broken;
        if (std::string(e.what()).find("terminated abruptly while the future was running") ==
            std::string::npos) {
          ++innocent;
          ADD_FAILURE() << "call " << i << ": " << e.what();
        }
      }
    }
    stop = true;
    killer.join();
    EXPECT_EQ(results + broken, kCalls);
    EXPECT_GT(results, 0);
    // Each kill fails at most the one call its worker was running.
    EXPECT_LE(broken, kills);
    EXPECT_EQ(innocent, 0);
  }
}

int sleep_forever(int) {
  ::pause();
  return 0;
}

// A storm of calls that overrun their timeouts, among ordinary ones: the
// pool's own kills fail exactly the overrunning calls, never one behind.
TEST_P(ProcessPoolStress, ATimeoutStormFailsOnlyTheCallsThatOverran) {
  constexpr int kCalls = 1000;
  std::vector<Future<long>> innocent;
  std::vector<Future<int>> overrunning;
  {
    ProcessPoolExecutor pool(options(3));
    std::mt19937 random(777);
    // Innocent calls carry timeouts too, up to a month and max(): none of
    // them may disable the short ones (an epoll timeout cast to a negative
    // int once did).
    const std::chrono::nanoseconds generous[] = {std::chrono::hours(24 * 30),
                                                 std::chrono::nanoseconds::max(), 20s};
    for (long i = 0; i < kCalls; ++i) {
      if (random() % 10 < 3) {
        overrunning.push_back(pool.submit(
            TaskOptions{.timeout = std::chrono::microseconds(random() % 2000)}, sleep_forever, 0));
      } else if (random() % 2 == 0) {
        innocent.push_back(
            pool.submit(TaskOptions{.timeout = generous[random() % 3]}, checksum, i));
      } else {
        innocent.push_back(pool.submit(checksum, i));
      }
    }
    int innocent_failures = 0;
    for (auto& f : innocent) {
      try {
        f.result(test::kHangGuard * 3);
      } catch (const std::exception& e) {
        if (++innocent_failures <= 3) ADD_FAILURE() << e.what();
      }
    }
    EXPECT_EQ(innocent_failures, 0);
    for (auto& f : overrunning)
      EXPECT_THROW(f.result(test::kHangGuard * 3), TimeoutError);
  }
}

// forge_header: from inside a task, a frame header on the worker's channel
// to the parent (fd 4), announcing `size` bytes for call `id`.
int forge_header(long id_and_size) {
  struct {
    std::uint32_t magic = 0x52434e43;
    std::uint32_t kind = 12;  // an outcome
    std::uint64_t id;
    std::uint64_t size;
  } header;
  header.id = static_cast<std::uint64_t>(id_and_size % 7);
  header.size = id_and_size % 2 == 0 ? std::uint64_t{1} << 30 : 0;
  ::send(4, &header, sizeof header, MSG_NOSIGNAL);
  return 0;
}

// Hostile frames among ordinary calls: each forging call fails alone, with
// BrokenProcessPool; the others all succeed; the pool's destructor returns.
TEST_P(ProcessPoolStress, ForgedFramesFailOnlyTheCallsThatSentThem) {
  constexpr int kCalls = 600;
  std::vector<Future<long>> ordinary;
  std::vector<Future<int>> forging;
  {
    ProcessPoolExecutor pool(options(3));
    std::mt19937 random(4242);
    for (long i = 0; i < kCalls; ++i) {
      if (random() % 10 == 0) {
        forging.push_back(pool.submit(forge_header, static_cast<long>(random() % 1000)));
      } else {
        ordinary.push_back(pool.submit(checksum, i));
      }
    }
    for (auto& f : ordinary)
      EXPECT_NO_THROW(f.result(test::kHangGuard * 3));
    // Refused whatever they forged: a size over the limit, an id not the
    // running call's, or (with the right id) an empty outcome.
    for (auto& f : forging)
      EXPECT_THROW(f.result(test::kHangGuard * 3), BrokenProcessPool);
  }
}

// Fork pools made back to back: the previous pool's manager thread must be
// gone before the next one counts threads.
TEST(ForkPoolStress, ForkPoolsMadeBackToBackAreNeverRefused) {
  for (int i = 0; i < 150; ++i) {
    ProcessPoolExecutor pool(
        ProcessPoolOptions{.max_workers = 1, .start_method = StartMethod::fork});
    ASSERT_EQ(pool.submit(checksum, i).result(test::kHangGuard), checksum(i)) << "pool " << i;
  }
}

}  // namespace
}  // namespace concur
