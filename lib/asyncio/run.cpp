// asyncio.run's shutdown: cancel what is left, let it finish, close.
#include <exception>
#include <vector>

#include "concur/asyncio/exception_handler.hpp"
#include "concur/asyncio/run.hpp"
#include "concur/asyncio/task.hpp"

namespace concur::asyncio::detail {
namespace {

Coroutine<> wait_for_all(std::vector<AnyTask> tasks) {
  for (AnyTask& task : tasks) {
    try {
      co_await FutureAwaiter{*task.state()};
    } catch (...) {
      // Its outcome is looked at below.
    }
  }
}

}  // namespace

void finish_run(EventLoop& loop) noexcept {
  try {
    std::vector<AnyTask> left = all_tasks(loop);
    if (!left.empty()) {
      for (AnyTask& task : left)
        task.cancel();
      loop.run_until_complete(wait_for_all(left));
      for (AnyTask& task : left) {
        if (task.done() && !task.cancelled() && task.exception() != nullptr) {
          call_exception_handler(
              ExceptionContext{"unhandled exception during asyncio.run() shutdown",
                               task.exception(), task.get_name()});
        }
      }
    }
    loop.shutdown_default_executor();
  } catch (...) {
    call_exception_handler(
        ExceptionContext{"asyncio.run(): the shutdown failed", std::current_exception(), {}});
  }
  try {
    loop.close();
  } catch (...) {
  }
}

}  // namespace concur::asyncio::detail
