// A program the process-pool tests run as a child, for what a test cannot do
// inside its own process:
//   pool_helper unhooked - creates a spawn pool in a program whose spawned
//       copies skip concur::init (they see CONCUR_TEST_SKIP_INIT): each must
//       fail at once with the guard's message instead of running main again;
//       prints the pool's error and exits 0.
//   pool_helper orphan <spawn|fork> - starts a worker busy on a task, prints
//       its pid, then waits to be killed: the test checks that the worker
//       dies with it.
//   pool_helper buffered <spawn|fork> - leaves a line in stdout's buffer
//       (a pipe: fully buffered), then runs tasks on two workers that each
//       print a line: the test counts that every line is written once.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "concur/process_pool_executor.hpp"

namespace {

int busy_pid(int) {
  std::printf("%d\n", static_cast<int>(::getpid()));
  std::fflush(stdout);
  ::pause();
  return 0;
}

int square(int x) {
  return x * x;
}

int print_and_square(int x) {
  std::printf("task %d ran\n", x);
  return x * x;
}

}  // namespace

int main(int argc, char** argv) {
  const bool skip_init = std::getenv("CONCUR_TEST_SKIP_INIT") != nullptr;
  if (!skip_init) concur::init(argc, argv);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "unhooked" || skip_init) {
    // The parent and (wrongly) every spawned copy get here.
    ::setenv("CONCUR_TEST_SKIP_INIT", "1", 1);
    concur::ProcessPoolExecutor pool(1);
    try {
      pool.submit(square, 2).result();
      std::printf("no error\n");
    } catch (const concur::BrokenProcessPool& e) {
      std::printf("%s\n", e.what());
    }
    return 0;
  }
  if (mode == "orphan" && argc > 2) {
    const auto method =
        std::strcmp(argv[2], "fork") == 0 ? concur::StartMethod::fork : concur::StartMethod::spawn;
    concur::ProcessPoolExecutor pool(
        concur::ProcessPoolOptions{.max_workers = 1, .start_method = method});
    auto never = pool.submit(busy_pid, 0);
    ::pause();
    return 0;
  }
  if (mode == "buffered" && argc > 2) {
    const auto method =
        std::strcmp(argv[2], "fork") == 0 ? concur::StartMethod::fork : concur::StartMethod::spawn;
    std::printf("written before the pool\n");  // stays in the buffer: stdout is a pipe
    concur::ProcessPoolExecutor pool(
        concur::ProcessPoolOptions{.max_workers = 2, .start_method = method});
    int sum = 0;
    for (int i = 0; i < 4; ++i)
      sum += pool.submit(print_and_square, i).result();
    std::printf("sum %d\n", sum);
    return 0;
  }
  std::fprintf(stderr, "usage: %s unhooked | orphan spawn|fork | buffered spawn|fork\n", argv[0]);
  return 2;
}
