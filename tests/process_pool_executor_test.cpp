// ProcessPoolExecutor: docs/spec.md section PPE (with concur's
// rules where they differ from Python's), under both start methods. Every test checks
// that no child process or descriptor outlives it.
#include "concur/process_pool_executor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/event.hpp"
#include "support/process_pool_test.hpp"
#include "support/processes.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::failure_of;
using test::FileCounter;
using test::FileGate;
using test::kHangGuard;

int square(int x) {
  return x * x;
}
int own_pid(int) {
  return static_cast<int>(::getpid());
}

// gated_calls: n calls that each wait for `release`, then return their index.
std::vector<Future<int>> gated_calls(ProcessPoolExecutor& pool, FileGate release, int n) {
  std::vector<Future<int>> futures;
  for (int i = 0; i < n; ++i) {
    futures.push_back(pool.submit(by_value([release](int x) {
                                    release.wait();
                                    return x;
                                  }),
                                  i));
  }
  return futures;
}

class ProcessPoolTest : public test::PerStartMethod {};

INSTANTIATE_TEST_SUITE_P(StartMethods, ProcessPoolTest, test::kStartMethods,
                         test::start_method_name);

TEST_P(ProcessPoolTest, TasksRunInOtherProcesses) {
  ProcessPoolExecutor pool(options(2));
  EXPECT_EQ(pool.start_method(), GetParam());
  EXPECT_EQ(pool.submit(square, 12).result(kHangGuard), 144);
  EXPECT_NE(pool.submit(own_pid, 0).result(kHangGuard), static_cast<int>(::getpid()));
}

TEST_P(ProcessPoolTest, LambdasCarryTheirCapturedValues) {
  ProcessPoolExecutor pool(options(1));
  int offset = 40;  // not const: a constant would not need capturing
  double scale = 0.5;
  EXPECT_EQ(pool.submit(by_value([offset, scale](int x) { return offset + x * scale; }), 4)
                .result(kHangGuard),
            42.0);
}

TEST_P(ProcessPoolTest, ArgumentsAndResultsOfLibraryTypesRoundTrip) {
  ProcessPoolExecutor pool(options(1));
  auto joined = pool.submit(
      [](const std::vector<std::string>& words, std::map<std::string, int> extra) {
        std::string out;
        for (const auto& w : words)
          out += w;
        for (const auto& [k, v] : extra)
          out += k + std::to_string(v);
        return std::optional<std::string>(out);
      },
      std::vector<std::string>{"a", "b"}, std::map<std::string, int>{{"c", 1}});
  EXPECT_EQ(joined.result(kHangGuard), std::optional<std::string>("abc1"));
  Future<void> nothing = pool.submit([] {});
  nothing.result(kHangGuard);
}

TEST_P(ProcessPoolTest, AHundredMegabytesRoundTrip) {
  ProcessPoolExecutor pool(options(1));
  std::string payload(100u << 20, 'x');
  payload[12345] = 'y';
  auto echoed = pool.submit(
      [](std::string s) {
        s.back() = 'z';
        return s;
      },
      payload);
  // A generous guard: sanitizers make copying 200 MB slow.
  const std::string& back = echoed.result(kHangGuard * 6);
  ASSERT_EQ(back.size(), payload.size());
  EXPECT_EQ(back[12345], 'y');
  EXPECT_EQ(back.back(), 'z');
}

TEST_P(ProcessPoolTest, PPE_02_MaxWorkersBelowOneIsAValueError) {
  EXPECT_THROW(ProcessPoolExecutor(options(0)), ValueError);
  EXPECT_THROW(ProcessPoolExecutor(options(-1)), ValueError);
}

TEST_P(ProcessPoolTest, PPE_01_DefaultMaxWorkersIsTheUsableCpuCount) {
  ProcessPoolExecutor pool(ProcessPoolOptions{.start_method = GetParam()});
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  EXPECT_EQ(pool.max_workers(), static_cast<std::size_t>(CPU_COUNT(&allowed)));
}

TEST_P(ProcessPoolTest, PPE_04_NeverMoreWorkersThanMaxWorkers) {
  ProcessPoolExecutor pool(options(2));
  FileGate release;
  std::vector<Future<int>> futures = gated_calls(pool, release, 12);
  ASSERT_TRUE(test::eventually([&] { return pool.worker_pids().size() == 2; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(pool.worker_pids().size(), 2u);
  release.set();
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(futures[i].result(kHangGuard), i);
  release.remove();
}

TEST_P(ProcessPoolTest, PPE_03_AWorkerStartsForEachCallWhileNoneIsIdle) {
  ProcessPoolExecutor pool(options(4));
  FileGate release;
  std::vector<Future<int>> futures;
  for (int i = 0; i < 3; ++i) {
    futures.push_back(pool.submit(by_value([release](int) {
                                    release.wait();
                                    return static_cast<int>(::getpid());
                                  }),
                                  i));
  }
  ASSERT_TRUE(test::eventually([&] { return pool.worker_pids().size() == 3; }));
  release.set();
  std::set<int> pids;
  for (auto& f : futures)
    pids.insert(f.result(kHangGuard));
  EXPECT_EQ(pids.size(), 3u);
  release.remove();
}

TEST_P(ProcessPoolTest, PPE_05_AnIdleWorkerIsReused) {
  ProcessPoolExecutor pool(options(4));
  std::set<int> pids;
  for (int i = 0; i < 3; ++i)
    pids.insert(pool.submit(own_pid, i).result(kHangGuard));
  EXPECT_EQ(pids.size(), 1u);
}

TEST_P(ProcessPoolTest, PPE_06_OnlyTwoCallsPerWorkerLeaveTheQueue) {
  ProcessPoolExecutor pool(options(1));
  FileGate release;
  auto blocked = by_value([release](int x) {
    release.wait();
    return x;
  });
  std::vector<Future<int>> futures;
  for (int i = 0; i < 4; ++i)
    futures.push_back(pool.submit(blocked, i));
  ASSERT_TRUE(test::eventually([&] { return futures[1].running(); }));
  EXPECT_TRUE(futures[0].running());
  EXPECT_FALSE(futures[2].running());
  EXPECT_FALSE(futures[0].cancel());
  EXPECT_FALSE(futures[1].cancel());
  EXPECT_TRUE(futures[2].cancel());
  EXPECT_TRUE(futures[3].cancel());
  release.set();
  EXPECT_EQ(futures[1].result(kHangGuard), 1);
  release.remove();
}

TEST_P(ProcessPoolTest, PPE_07_StandardAndConcurExceptionsComeBackAsThemselves) {
  ProcessPoolExecutor pool(options(1));
  auto out_of_range = pool.submit([](int) -> int { throw std::out_of_range("index 7"); }, 0);
  EXPECT_EQ(failure_of<std::out_of_range>(out_of_range), "index 7");
  auto value_error = pool.submit([](int) -> int { throw ValueError("bad value"); }, 0);
  EXPECT_THROW(value_error.result(kHangGuard), ValueError);
  auto runtime = pool.submit([](int) -> int { throw std::runtime_error("plain"); }, 0);
  EXPECT_THROW(runtime.result(kHangGuard), std::runtime_error);
}

struct CustomFailure : std::exception {
  const char* what() const noexcept override { return "custom failure"; }
};

TEST_P(ProcessPoolTest, PPE_07_OtherExceptionsComeBackAsRemoteErrorNamingTheType) {
  ProcessPoolExecutor pool(options(1));
  auto custom = pool.submit([](int) -> int { throw CustomFailure(); }, 0);
  try {
    custom.result(kHangGuard);
    FAIL() << "no exception";
  } catch (const RemoteError& e) {
    EXPECT_NE(e.remote_type().find("CustomFailure"), std::string::npos) << e.remote_type();
    EXPECT_NE(std::string(e.what()).find("custom failure"), std::string::npos);
  }
  auto not_std = pool.submit([](int) -> int { throw 42; }, 0);
  EXPECT_THROW(not_std.result(kHangGuard), RemoteError);
}

TEST_P(ProcessPoolTest, PPE_08_AThrowingTaskLeavesThePoolWorking) {
  ProcessPoolExecutor pool(options(1));
  const int before = pool.submit(own_pid, 0).result(kHangGuard);
  auto failing = pool.submit([](int) -> int { throw std::runtime_error("no"); }, 0);
  EXPECT_THROW(failing.result(kHangGuard), std::runtime_error);
  EXPECT_EQ(pool.submit(own_pid, 0).result(kHangGuard), before);
}

// A worker that dies fails only the task it ran, naming the pid and how it
// died (Python instead breaks the whole pool).
TEST_P(ProcessPoolTest, PPE_09_PPE_11_AWorkerKilledMidTaskFailsOnlyThatTask) {
  ProcessPoolExecutor pool(options(2));
  FileGate started;
  auto victim = pool.submit(by_value([started](int) {
                              started.set();
                              ::pause();
                              return 0;
                            }),
                            0);
  ASSERT_TRUE(started.wait());
  const int victim_pid = [&] {
    for (int pid : pool.worker_pids()) {
      if (pid != 0) return pid;
    }
    return -1;
  }();
  ASSERT_EQ(pool.worker_pids().size(), 1u);
  ::kill(victim_pid, SIGKILL);
  const std::string what = failure_of<BrokenProcessPool>(victim);
  EXPECT_CONTAINS(what, std::to_string(victim_pid));
  EXPECT_CONTAINS(what, "SIGKILL");
  EXPECT_EQ(pool.submit(square, 3).result(kHangGuard), 9);
  started.remove();
}

TEST_P(ProcessPoolTest, PPE_09_ATaskThatAbortsOrExitsFailsWithItsSignalOrStatus) {
  ProcessPoolExecutor pool(options(1));
  auto aborted = pool.submit([](int) -> int { std::abort(); }, 0);
  EXPECT_CONTAINS(failure_of<BrokenProcessPool>(aborted), "SIGABRT");
  auto exited = pool.submit([](int) -> int { std::_Exit(3); }, 0);
  EXPECT_CONTAINS(failure_of<BrokenProcessPool>(exited), "exited with status 3");
  EXPECT_EQ(pool.submit(square, 5).result(kHangGuard), 25);
}

TEST_P(ProcessPoolTest, CallsQueuedBehindADyingTaskStillRun) {
  ProcessPoolExecutor pool(options(1));
  auto dying = pool.submit([](int) -> int { std::_Exit(9); }, 0);
  std::vector<Future<int>> behind;
  for (int i = 0; i < 5; ++i)
    behind.push_back(pool.submit(square, i));
  EXPECT_THROW(dying.result(kHangGuard), BrokenProcessPool);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(behind[i].result(kHangGuard), i * i);
}

struct RefusesToSerialize {
  int value = 0;
  template <class Archive>
  void save(Archive&) const {
    throw std::runtime_error("cannot serialize this one");
  }
  template <class Archive>
  void load(Archive&) {}
};

TEST_P(ProcessPoolTest, PPE_13_AnArgumentThatFailsToSerializeFailsOnlyItsFuture) {
  ProcessPoolExecutor pool(options(1));
  auto refused = pool.submit([](const RefusesToSerialize&) { return 1; }, RefusesToSerialize{});
  EXPECT_THROW(refused.result(kHangGuard), std::runtime_error);
  EXPECT_EQ(pool.submit(square, 4).result(kHangGuard), 16);
}

TEST_P(ProcessPoolTest, PPE_15_AResultThatFailsToSerializeFailsOnlyItsFuture) {
  ProcessPoolExecutor pool(options(1));
  auto refused = pool.submit([](int) { return RefusesToSerialize{}; }, 0);
  EXPECT_EQ(failure_of<std::runtime_error>(refused), "cannot serialize this one");
  EXPECT_EQ(pool.submit(square, 4).result(kHangGuard), 16);
}

TEST_P(ProcessPoolTest, PPE_16_GarbageFromAWorkerFailsItsTaskAndTheWorkerIsReplaced) {
  ProcessPoolExecutor pool(options(1));
  const int before = pool.submit(own_pid, 0).result(kHangGuard);
  // The task writes junk into its worker's channel to the parent (fd 4).
  auto corrupt = pool.submit(
      [](int) {
        const char junk[] = "this is not a frame at all, not even close.";
        [[maybe_unused]] ssize_t n = ::write(4, junk, sizeof junk);
        ::pause();
        return 0;
      },
      0);
  EXPECT_CONTAINS(failure_of<BrokenProcessPool>(corrupt), std::to_string(before));
  const int after = pool.submit(own_pid, 0).result(kHangGuard);
  EXPECT_NE(after, before);
}

TEST_P(ProcessPoolTest, PPE_16_ATruncatedOutcomeFailsItsTask) {
  ProcessPoolExecutor pool(options(1));
  // A well-formed header announcing an outcome whose bytes do not decode.
  auto lying = pool.submit(
      [](int) {
        struct {
          std::uint32_t magic = 0x52434e43, kind = 12;
          std::uint64_t id = 1, size = 3;
          char payload[3] = {0, 1, 2};
        } frame;
        [[maybe_unused]] ssize_t n = ::write(4, &frame, 27);
        ::pause();
        return 0;
      },
      0);
  EXPECT_THROW(lying.result(kHangGuard), BrokenProcessPool);
  EXPECT_EQ(pool.submit(square, 6).result(kHangGuard), 36);
}

int initialized_value = 0;
void initialize_value() {
  initialized_value = 1234;
}
int read_initialized(int) {
  return initialized_value;
}
void failing_initializer() {
  throw std::runtime_error("initializer refused");
}

TEST_P(ProcessPoolTest, PPE_19_TheInitializerRunsInEachWorkerFirst) {
  ProcessPoolExecutor pool(ProcessPoolOptions{
      .max_workers = 2, .initializer = initialize_value, .start_method = GetParam()});
  EXPECT_EQ(pool.submit(read_initialized, 0).result(kHangGuard), 1234);
  EXPECT_EQ(initialized_value, 0);  // not here
}

TEST_P(ProcessPoolTest, PPE_20_AFailingInitializerBreaksThePool) {
  ProcessPoolExecutor pool(ProcessPoolOptions{
      .max_workers = 1, .initializer = failing_initializer, .start_method = GetParam()});
  auto first = pool.submit(square, 2);
  EXPECT_CONTAINS(failure_of<BrokenProcessPool>(first), "initializer refused");
  EXPECT_THROW(pool.submit(square, 3), BrokenProcessPool);
}

TEST_P(ProcessPoolTest, PPE_21_MaxTasksPerChildRecyclesWorkers) {
  ProcessPoolExecutor pool(
      ProcessPoolOptions{.max_workers = 1, .max_tasks_per_child = 3, .start_method = GetParam()});
  std::vector<int> pids;
  for (int i = 0; i < 4; ++i)
    pids.push_back(pool.submit(own_pid, i).result(kHangGuard));
  EXPECT_EQ(pids[0], pids[1]);
  EXPECT_EQ(pids[1], pids[2]);
  EXPECT_NE(pids[2], pids[3]);
  // The retired worker may still be on its way out; then one remains.
  EXPECT_TRUE(test::eventually([&] { return pool.worker_pids().size() == 1; }));
}

TEST_P(ProcessPoolTest, PPE_22_MaxTasksPerChildBelowOneIsAValueError) {
  EXPECT_THROW(
      ProcessPoolExecutor(ProcessPoolOptions{.max_tasks_per_child = 0, .start_method = GetParam()}),
      ValueError);
}

TEST_P(ProcessPoolTest, PPE_24_RecyclingDuringShutdownLosesNothing) {
  std::vector<Future<int>> futures;
  {
    ProcessPoolExecutor pool(
        ProcessPoolOptions{.max_workers = 3, .max_tasks_per_child = 1, .start_method = GetParam()});
    for (int i = 0; i < 6; ++i)
      futures.push_back(pool.submit(square, i));
    pool.shutdown();
  }
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(futures[i].result(), i * i);
}

TEST_P(ProcessPoolTest, PPE_26_MapChunksGiveTheSameResultsInOrder) {
  ProcessPoolExecutor pool(options(2));
  std::vector<int> xs(40);
  for (int i = 0; i < 40; ++i)
    xs[i] = i;
  for (std::size_t chunksize : {1u, 6u, 40u, 50u}) {
    std::vector<int> got;
    for (int v : pool.map(square, xs, MapOptions{.chunksize = chunksize}))
      got.push_back(v);
    ASSERT_EQ(got.size(), 40u);
    for (int i = 0; i < 40; ++i)
      EXPECT_EQ(got[i], i * i) << "chunksize " << chunksize;
  }
}

int checked_inverse(int x) {
  if (x == 0) throw std::domain_error("zero");
  return 100 / x;
}

TEST_P(ProcessPoolTest, PPE_28_AFailingItemFailsItsWholeChunk) {
  ProcessPoolExecutor pool(options(2));
  std::vector<int> xs{2, 3, 0, 5};
  auto results = pool.map(checked_inverse, xs, MapOptions{.chunksize = 4});
  EXPECT_THROW(results.begin(), std::domain_error);
}

TEST_P(ProcessPoolTest, PPE_30_ShutdownWithoutWaitReturnsAndTheWorkFinishes) {
  std::vector<Future<int>> futures;
  FileGate release;
  {
    ProcessPoolExecutor pool(options(2));
    futures = gated_calls(pool, release, 4);
    pool.shutdown(false);
    EXPECT_FALSE(futures[3].done());
    release.set();
  }
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(futures[i].result(), i);
  release.remove();
}

TEST_P(ProcessPoolTest, PPE_31_CancelFuturesCancelsOnlyWhatNoWorkerHas) {
  FileGate release;
  std::vector<Future<int>> futures;
  {
    ProcessPoolExecutor pool(options(1));
    futures = gated_calls(pool, release, 6);
    ASSERT_TRUE(test::eventually([&] { return futures[1].running(); }));
    // Cancel while the worker still holds calls 0 and 1 (released first,
    // it could finish them and be handed 2 and 3 before the cancel came).
    pool.shutdown(false, true);
    release.set();
  }  // the destructor waits for 0 and 1
  EXPECT_EQ(futures[0].result(), 0);
  EXPECT_EQ(futures[1].result(), 1);
  for (int i = 2; i < 6; ++i)
    EXPECT_TRUE(futures[i].cancelled()) << i;
  release.remove();
}

TEST_P(ProcessPoolTest, SubmitAfterShutdownIsARuntimeError) {
  ProcessPoolExecutor pool(options(1));
  pool.shutdown();
  EXPECT_THROW(pool.submit(square, 1), RuntimeError);
}

TEST_P(ProcessPoolTest, ATimedOutTaskFailsWithTimeoutErrorAndItsWorkerIsReplaced) {
  ProcessPoolExecutor pool(options(1));
  const int before = pool.submit(own_pid, 0).result(kHangGuard);
  auto slow = pool.submit(
      TaskOptions{.timeout = 100ms},
      [](int) {
        ::pause();
        return 0;
      },
      0);
  auto quick = pool.submit(TaskOptions{.timeout = 20s}, square, 7);
  EXPECT_THROW(slow.result(kHangGuard), TimeoutError);
  EXPECT_EQ(quick.result(kHangGuard), 49);
  EXPECT_NE(pool.submit(own_pid, 0).result(kHangGuard), before);
}

// 10^3 tasks (10^4 in the stress suite) while a thread kills random workers:
// every future still ends, with its result or BrokenProcessPool.
TEST_P(ProcessPoolTest, EveryFutureEndsWhileWorkersAreKilled) {
  ProcessPoolExecutor pool(options(2));
  std::vector<Future<int>> futures;
  std::atomic<bool> stop{false};
  // At most 50 kills, a few milliseconds apart, so the run always ends.
  std::thread killer([&] {
    for (int kills = 0; kills < 50 && !stop.load();) {
      const std::vector<int> pids = pool.worker_pids();
      if (!pids.empty()) {
        ::kill(pids[static_cast<std::size_t>(std::rand()) % pids.size()], SIGKILL);
        ++kills;
      }
      std::this_thread::sleep_for(3ms);
    }
  });
  for (int i = 0; i < 1000; ++i)
    futures.push_back(pool.submit(square, i));
  int ok = 0;
  for (int i = 0; i < 1000; ++i) {
    try {
      EXPECT_EQ(futures[i].result(kHangGuard), i * i);
      ++ok;
    } catch (const BrokenProcessPool&) {
    }
  }
  stop = true;
  killer.join();
  EXPECT_GT(ok, 0);
}

void slow_initializer() {
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

// Workers that crash while they start (SIGABRT, in a slow initializer; not
// SIGSEGV, which a sanitizer's handler turns into an exit status): the
// call they hold never started, so it goes back to the queue - but not
// forever: after 3 such deaths it fails for good (and with no worker ever
// ready, the pool breaks).
TEST_P(ProcessPoolTest, ACallWhoseWorkersKeepDyingFailsForGood) {
  ProcessPoolExecutor pool(ProcessPoolOptions{
      .max_workers = 1, .initializer = slow_initializer, .start_method = GetParam()});
  std::atomic<bool> stop{false};
  std::thread crasher([&] {
    while (!stop.load()) {
      for (int pid : pool.worker_pids())
        ::kill(pid, SIGABRT);
      std::this_thread::sleep_for(100us);
    }
  });
  auto doomed = pool.submit(square, 3);
  try {
    doomed.result(kHangGuard);
    ADD_FAILURE() << "a result although every worker crashed";
  } catch (const BrokenProcessPool& e) {
    EXPECT_NE(std::string(e.what()).find("SIGABRT"), std::string::npos) << e.what();
  }
  stop = true;
  crasher.join();
}

// Workers killed from outside while they start (SIGKILL: a user, the OOM
// killer) say nothing about the call they held: it waits for a worker that
// lives, however many die.
TEST_P(ProcessPoolTest, ACallOutlivesWorkersKilledFromOutsideWhileStarting) {
  ProcessPoolExecutor pool(ProcessPoolOptions{
      .max_workers = 1, .initializer = slow_initializer, .start_method = GetParam()});
  std::set<int> killed;
  auto survivor = pool.submit(square, 3);
  ASSERT_TRUE(test::eventually([&] {
    for (int pid : pool.worker_pids()) {
      if (killed.size() < 4 && killed.insert(pid).second) ::kill(pid, SIGKILL);
    }
    return killed.size() == 4;
  }));
  EXPECT_EQ(survivor.result(kHangGuard), 9);
}

TEST_P(ProcessPoolTest, ForkNeedsASingleThreadedProcess) {
  if (GetParam() != StartMethod::fork) GTEST_SKIP() << "fork only";
  Event release;
  std::thread other([&] { release.wait(); });
  try {
    ProcessPoolExecutor pool(options(1));
    ADD_FAILURE() << "a fork pool was made in a threaded process";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("concur::init"), std::string::npos) << e.what();
  }
  release.set();
  other.join();
}

// run_helper: starts support/pool_helper.cpp with `args`; its stdout is
// readable from `output`. Returns its pid.
pid_t run_helper(std::vector<std::string> args, int& output) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  args.insert(args.begin(), CONCUR_POOL_HELPER);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(::posix_spawn(&pid, CONCUR_POOL_HELPER, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  output = pipe_fds[0];
  return pid;
}

std::string read_all(int fd) {
  std::string text;
  char buffer[256];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
    text.append(buffer, static_cast<std::size_t>(n));
  return text;
}

// gone: the process has exited (it may linger as a zombie of its new parent).
bool gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}

TEST(ProcessPoolGuards, ASpawnedCopyThatSkipsInitFailsAtOnceAndSaysWhy) {
  int output = -1;
  const pid_t helper = run_helper({"unhooked"}, output);
  const std::string said = read_all(output);
  ::close(output);
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << said;
  EXPECT_NE(said.find("status 127"), std::string::npos) << said;
  EXPECT_NE(said.find("concur::init"), std::string::npos) << said;
}

class OrphanTest : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(StartMethods, OrphanTest, ::testing::Values("spawn", "fork"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           return std::string(param.param);
                         });

TEST_P(OrphanTest, WorkersDieWithTheirParent) {
  int output = -1;
  const pid_t helper = run_helper({"orphan", GetParam()}, output);
  std::string line;
  char c;
  while (::read(output, &c, 1) == 1 && c != '\n')
    line.push_back(c);
  ::close(output);
  const int worker = std::atoi(line.c_str());
  ASSERT_GT(worker, 0) << "the helper printed no worker pid";
  EXPECT_FALSE(gone(worker));
  ::kill(helper, SIGKILL);
  ASSERT_EQ(::waitpid(helper, nullptr, 0), helper);
  EXPECT_TRUE(test::eventually([&] { return gone(worker); }))
      << "worker " << worker << " outlived its parent";
}

TEST(ProcessPoolDefaults, SpawnIsTheDefaultOnceInitWasCalled) {
  ProcessPoolExecutor pool(1);
  EXPECT_EQ(pool.start_method(), StartMethod::spawn);
}

TEST(ProcessPoolDefaults, NonShippableCallsAreRejectedAtCompileTime) {
  std::string text = "x";
  auto captures_string = [text](int) { return 1; };
  int counter = 0;
  auto captures_reference = [&counter](int) { return counter; };
  static_assert(!detail::Shippable<decltype(captures_string)>);
  // C++ cannot tell [&counter] from [counter]: a bare capturing lambda never
  // ships; by_value() is the caller's word that its captures are values.
  static_assert(!detail::Shippable<decltype(captures_reference)>);
  auto captures_value = [counter](int) { return counter; };
  static_assert(!detail::Shippable<decltype(captures_value)>);
  static_assert(detail::Shippable<decltype(by_value(captures_value))>);
  static_assert(!detail::Shippable<decltype(by_value(captures_string))>);
  static_assert(detail::Shippable<decltype([](int x) { return x; })>);  // captureless
  static_assert(detail::Shippable<int (*)(int)>);
  static_assert(!Serializable<const char*>);
  static_assert(!Serializable<int*>);
  static_assert(Serializable<std::vector<std::pair<int, std::string>>>);
  (void)captures_string(0);
  (void)captures_reference(0);
  (void)captures_value(0);
}

// occurrences: how often `part` appears in `text`.
std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++count;
  return count;
}

TEST_P(OrphanTest, OutputTheParentHadBufferedIsWrittenOnceNotByEveryWorker) {
  int output = -1;
  const pid_t helper = run_helper({"buffered", GetParam()}, output);
  const std::string text = read_all(output);
  ::close(output);
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  EXPECT_EQ(occurrences(text, "written before the pool"), 1u) << text;
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(occurrences(text, "task " + std::to_string(i) + " ran"), 1u) << text;
  EXPECT_EQ(occurrences(text, "sum 14"), 1u) << text;
}

}  // namespace
}  // namespace concur
