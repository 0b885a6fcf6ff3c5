// ProcessPoolExecutor under faults: timeouts from min() to max(), storms of
// overrunning tasks, workers that send frames the parent did not ask for.
// Under both start methods; every test checks that nothing outlives it.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "concur/event.hpp"
#include "concur/process_pool_executor.hpp"
#include "process_pool/wire.hpp"
#include "process_pool/worker.hpp"
#include "support/process_pool_test.hpp"
#include "support/processes.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::failure_of;
using test::FileGate;
using test::kHangGuard;

int square(int x) {
  return x * x;
}
int sleep_forever(int) {
  ::pause();
  return 0;
}

class ProcessPoolFaultTest : public test::PerStartMethod {};

INSTANTIATE_TEST_SUITE_P(StartMethods, ProcessPoolFaultTest, test::kStartMethods,
                         test::start_method_name);

// --- Timeouts from min() to max() ------------------------------------------------

TEST_P(ProcessPoolFaultTest, TimeoutsWeeksLongOrMaxLeaveOtherWorkersTimeoutsWorking) {
  ProcessPoolExecutor pool(options(3));
  const FileGate release;
  auto gated = by_value([release](int x) {
    release.wait();
    return x;
  });
  auto month = pool.submit(TaskOptions{.timeout = std::chrono::hours(24 * 30)}, gated, 1);
  auto forever = pool.submit(TaskOptions{.timeout = std::chrono::nanoseconds::max()}, gated, 2);
  auto overrun = pool.submit(TaskOptions{.timeout = 50ms}, sleep_forever, 0);
  EXPECT_CONTAINS(failure_of<TimeoutError>(overrun), "ran past its timeout");
  EXPECT_FALSE(month.done());
  EXPECT_FALSE(forever.done());
  release.set();
  EXPECT_EQ(month.result(kHangGuard), 1);
  EXPECT_EQ(forever.result(kHangGuard), 2);
  release.remove();
}

TEST_P(ProcessPoolFaultTest, AZeroOrNegativeTimeoutGivesTheTaskNoTime) {
  ProcessPoolExecutor pool(options(1));
  auto never =
      pool.submit(TaskOptions{.timeout = std::chrono::nanoseconds::min()}, sleep_forever, 0);
  auto zero = pool.submit(TaskOptions{.timeout = 0s}, sleep_forever, 0);
  EXPECT_CONTAINS(failure_of<TimeoutError>(never), "ran past its timeout");
  EXPECT_CONTAINS(failure_of<TimeoutError>(zero), "ran past its timeout");
  EXPECT_EQ(pool.submit(square, 5).result(kHangGuard), 25);
}

// A storm of overrunning tasks: the pool's own kills must not count against
// the calls already sent to those workers (they go back to the queue).
TEST_P(ProcessPoolFaultTest, TimeoutKillsNeverFailTheInnocentCallsBehindThem) {
  ProcessPoolExecutor pool(options(2));
  std::vector<Future<int>> overrunning;
  std::vector<Future<int>> innocent;
  for (int i = 0; i < 150; ++i) {
    overrunning.push_back(pool.submit(TaskOptions{.timeout = 2ms}, sleep_forever, i));
    innocent.push_back(pool.submit(square, i));
    if (i % 3 == 0)
      overrunning.push_back(pool.submit(TaskOptions{.timeout = 1ms}, sleep_forever, i));
  }
  int innocent_failures = 0;
  for (std::size_t i = 0; i < innocent.size(); ++i) {
    try {
      EXPECT_EQ(innocent[i].result(kHangGuard), static_cast<int>(i * i));
    } catch (const std::exception& e) {
      ++innocent_failures;
      ADD_FAILURE() << "innocent call " << i << ": " << e.what();
    }
  }
  EXPECT_EQ(innocent_failures, 0);
  for (auto& f : overrunning)
    EXPECT_THROW(f.result(kHangGuard), TimeoutError);
}

// --- Frames the parent did not ask for ---------------------------------------------

// send_fake_header: from inside a task, a frame header on the worker's own
// channel to the parent, as a corrupt or hostile worker would write it.
void send_fake_header(detail::wire::Kind kind, std::uint64_t id, std::uint64_t size) {
  detail::wire::Header header;
  header.kind = kind;
  header.id = id;
  header.size = size;
  ::send(detail::kWorkerOutFd, &header, sizeof header, MSG_NOSIGNAL);
}

int announce_a_gibibyte(int) {
  // The right id cannot be guessed, so try the ones a fresh pool uses.
  for (std::uint64_t id = 1; id <= 2; ++id)
    send_fake_header(detail::wire::Kind::outcome, id, std::uint64_t{1} << 30);
  return 1;
}

int answer_for_another_call(int) {
  send_fake_header(detail::wire::Kind::outcome, 999, 0);
  return 1;
}

int send_a_second_ready(int) {
  send_fake_header(detail::wire::Kind::ready, 0, 0);
  return 1;
}

TEST_P(ProcessPoolFaultTest, AFrameAnnouncingAGibibyteFailsItsTaskAndTheWorkerIsReplaced) {
  {
    ProcessPoolExecutor pool(options(1));
    auto hostile = pool.submit(announce_a_gibibyte, 0);
    EXPECT_CONTAINS(failure_of<BrokenProcessPool>(hostile), "a frame announcing 1073741824 bytes");
    EXPECT_EQ(pool.submit(square, 6).result(kHangGuard), 36);
  }  // and the destructor returns
}

TEST_P(ProcessPoolFaultTest, AnOutcomeForACallTheWorkerIsNotRunningIsRefused) {
  ProcessPoolExecutor pool(options(1));
  auto hostile = pool.submit(answer_for_another_call, 0);
  EXPECT_CONTAINS(failure_of<BrokenProcessPool>(hostile), "a frame for call 999");
  auto again = pool.submit(send_a_second_ready, 0);
  EXPECT_CONTAINS(failure_of<BrokenProcessPool>(again), "a second reply to its setup");
  EXPECT_EQ(pool.submit(square, 7).result(kHangGuard), 49);
}

// --- A dying fork server, destruction from a callback --------------------------------

// parent_of: the parent pid of `pid`, from /proc/<pid>/stat.
int parent_of(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  char state = 0;
  int ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

TEST_P(ProcessPoolFaultTest, AForkServerThatDiesBreaksThePoolAndANewPoolStartsANewOne) {
  if (GetParam() != StartMethod::fork) GTEST_SKIP() << "fork only";
  {
    ProcessPoolExecutor pool(options(1));
    const FileGate release;
    auto running = pool.submit(by_value([release](int x) {
                                 release.wait();
                                 return x;
                               }),
                               1);
    ASSERT_TRUE(test::eventually([&] { return !pool.worker_pids().empty(); }));
    const int server = parent_of(pool.worker_pids().front());
    ASSERT_GT(server, 1);
    ASSERT_NE(server, static_cast<int>(::getpid()));
    ::kill(server, SIGKILL);  // as the OOM killer would
    EXPECT_CONTAINS(failure_of<BrokenProcessPool>(running), "fork server");
    EXPECT_THROW(pool.submit(square, 2), BrokenProcessPool);
    release.remove();
  }
  ProcessPoolExecutor fresh(options(1));
  EXPECT_EQ(fresh.submit(square, 3).result(kHangGuard), 9);
}

TEST_P(ProcessPoolFaultTest, APoolDestroyedByADoneCallbackFinishesItsWorkAndFreesItself) {
  const int threads_before = test::settled_thread_count();
  auto* pool = new ProcessPoolExecutor(options(1));
  Event destroyed;
  auto first = pool->submit(square, 4);
  auto second = pool->submit(square, 5);
  first.add_done_callback([pool, &destroyed](const Future<int>&) {
    delete pool;  // on the manager thread, or here if already done
    destroyed.set();
  });
  ASSERT_TRUE(destroyed.wait(kHangGuard));
  EXPECT_EQ(first.result(kHangGuard), 16);
  EXPECT_EQ(second.result(kHangGuard), 25);
  EXPECT_TRUE(test::eventually([&] { return test::thread_count() == threads_before; }));
  EXPECT_TRUE(test::eventually([] { return test::child_processes().empty(); }));
}

TEST_P(ProcessPoolFaultTest, AForkPoolMadeRightAfterAnotherWasDestroyedIsNeverRefused) {
  if (GetParam() != StartMethod::fork) GTEST_SKIP() << "fork only";
  // Each pool's manager thread has just been joined when the next pool
  // counts this process's threads.
  for (int i = 0; i < 60; ++i) {
    ProcessPoolExecutor pool(options(1));
    ASSERT_EQ(pool.submit(square, i).result(kHangGuard), i * i) << "pool " << i;
  }
}

std::string own_name(int) {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

TEST_P(ProcessPoolFaultTest, WorkersAreNamedAfterTheProgram) {
  ProcessPoolExecutor pool(options(1));
  const std::string name = pool.submit(own_name, 0).result(kHangGuard);
  // "<program>-worker", the program's name cut to fit the kernel's 15 bytes.
  EXPECT_EQ(name, std::string("process_pool_faults_test").substr(0, 8) + "-worker");
}

// --- Exceptions of every kind come back named ---------------------------------------

struct Unusual {
  int code;
};

int throw_int(int) {
  throw 42;
}
int throw_string(int) {
  throw std::string("a plain string");
}
int throw_literal(int) {
  throw "a literal";
}
int throw_unusual(int) {
  throw Unusual{3};
}
int throw_system_error(int) {
  throw std::system_error(std::make_error_code(std::errc::permission_denied), "opening /etc/x");
}
int throw_bare_system_error(int) {
  throw std::system_error(ENOENT, std::system_category());
}
int throw_filesystem_error(int) {
  throw std::filesystem::filesystem_error("cannot copy", "/from/here", "/to/there",
                                          std::make_error_code(std::errc::file_exists));
}

TEST_P(ProcessPoolFaultTest, ANonStandardExceptionComesBackNamingWhatWasThrown) {
  ProcessPoolExecutor pool(options(1));
  EXPECT_EQ(failure_of<RemoteError>(pool.submit(throw_int, 0)), "int: 42");
  EXPECT_EQ(failure_of<RemoteError>(pool.submit(throw_string, 0)), "std::string: a plain string");
  EXPECT_EQ(failure_of<RemoteError>(pool.submit(throw_literal, 0)), "const char*: a literal");
  const std::string unusual = failure_of<RemoteError>(pool.submit(throw_unusual, 0));
  EXPECT_CONTAINS(unusual, "Unusual");
  EXPECT_CONTAINS(unusual, "not a std::exception");
}

TEST_P(ProcessPoolFaultTest, SystemAndFilesystemErrorsComeBackWithTheirCode) {
  ProcessPoolExecutor pool(options(1));
  const std::system_error local(std::make_error_code(std::errc::permission_denied),
                                "opening /etc/x");
  try {
    pool.submit(throw_system_error, 0).result(kHangGuard);
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::permission_denied);
    EXPECT_EQ(e.code().category(), std::generic_category());
    EXPECT_STREQ(e.what(), local.what());
  }
  try {
    pool.submit(throw_bare_system_error, 0).result(kHangGuard);
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::error_code(ENOENT, std::system_category()));
    EXPECT_STREQ(e.what(), std::system_error(ENOENT, std::system_category()).what());
  }
  const std::filesystem::filesystem_error local_fs("cannot copy", "/from/here", "/to/there",
                                                   std::make_error_code(std::errc::file_exists));
  try {
    pool.submit(throw_filesystem_error, 0).result(kHangGuard);
    ADD_FAILURE() << "no exception";
  } catch (const std::filesystem::filesystem_error& e) {
    EXPECT_EQ(e.code(), std::errc::file_exists);
    EXPECT_EQ(e.path1(), "/from/here");
    EXPECT_EQ(e.path2(), "/to/there");
    EXPECT_STREQ(e.what(), local_fs.what());
  }
}

// --- Workers that cannot start ----------------------------------------------------

// FdLimit: no new descriptor can be opened in this process (EMFILE) while
// it lives: the limit is lowered to the highest open descriptor, and the
// free numbers below it are taken.
class FdLimit {
 public:
  // supported: false under UBSan, whose checks open a pipe to probe memory
  // and, finding no descriptor, report false errors.
  static bool supported() {
#if defined(CONCUR_UBSAN)
    return false;
#else
    return true;
#endif
  }

  FdLimit() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (int fd : test::open_descriptors())
      highest = std::max(highest, fd);
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(highest + 1);
    ::setrlimit(RLIMIT_NOFILE, &low);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
      fillers_.push_back(fd);
  }
  FdLimit(const FdLimit&) = delete;
  FdLimit& operator=(const FdLimit&) = delete;
  ~FdLimit() {
    for (int fd : fillers_)
      ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> fillers_;
};

TEST_P(ProcessPoolFaultTest, WorkersThatCannotStartLeaveThePoolRunningOnTheOnesItHas) {
  if (!FdLimit::supported()) GTEST_SKIP() << "UBSan needs a free descriptor for its own checks";
  ProcessPoolExecutor pool(options(3));
  ASSERT_EQ(pool.submit(square, 2).result(kHangGuard), 4);  // one worker up
  const FileGate release;
  std::vector<Future<int>> futures;
  {
    FdLimit limit;  // EMFILE for every new channel from now on
    for (int i = 0; i < 4; ++i) {
      futures.push_back(pool.submit(by_value([release](int x) {
                                      release.wait();
                                      return x;
                                    }),
                                    i));
    }
    std::this_thread::sleep_for(100ms);  // a few attempts to start more fail meanwhile
    for (auto& f : futures)
      EXPECT_FALSE(f.done());  // none failed: the pool is not broken
  }
  release.set();
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(futures[static_cast<std::size_t>(i)].result(kHangGuard), i);
  release.remove();
}

TEST_P(ProcessPoolFaultTest, APoolThatCanStartNoWorkerBreaksNamingTheCause) {
  if (!FdLimit::supported()) GTEST_SKIP() << "UBSan needs a free descriptor for its own checks";
  ProcessPoolExecutor pool(options(2));
  Future<int> doomed;
  {
    FdLimit limit;
    doomed = pool.submit(square, 3);
    const std::string message = failure_of<BrokenProcessPool>(doomed);
    EXPECT_CONTAINS(message, "Too many open files");
    EXPECT_CONTAINS(message, "attempts");
  }
  EXPECT_THROW(pool.submit(square, 1), BrokenProcessPool);
}

void slow_initializer() {
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

TEST_P(ProcessPoolFaultTest, WorkersTerminatedFromOutsideWhileStartingDoNotBreakThePool) {
  ProcessPoolExecutor pool(ProcessPoolOptions{
      .max_workers = 3, .initializer = slow_initializer, .start_method = GetParam()});
  std::vector<Future<int>> futures;
  for (int i = 0; i < 3; ++i)
    futures.push_back(pool.submit(square, i));
  // SIGTERM each of the first three workers once, while they initialise.
  std::set<int> terminated;
  ASSERT_TRUE(test::eventually([&] {
    for (int pid : pool.worker_pids()) {
      if (terminated.size() < 3 && terminated.insert(pid).second) ::kill(pid, SIGTERM);
    }
    return terminated.size() == 3;
  }));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(futures[static_cast<std::size_t>(i)].result(kHangGuard), i * i);
}

}  // namespace
}  // namespace concur
