// A program the process-pool tests run as a child, for what a test cannot do
// inside its own process:
//   pool_helper unhooked - creates a spawn pool in a program whose spawned
//       copies skip concur::init (they see CONCUR_TEST_SKIP_INIT): each must
//       fail at once with the guard's message instead of running main again;
//       prints the pool's error and exits 0.
//   pool_helper orphan <spawn|fork> - starts a worker busy on a task, prints
//       its pid, then waits to be killed: the test checks that the worker
//       dies with it.
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
  std::fprintf(stderr, "usage: %s unhooked | orphan spawn|fork\n", argv[0]);
  return 2;
}
