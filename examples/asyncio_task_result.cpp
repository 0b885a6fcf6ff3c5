// asyncio, the notes' second example: a coroutine's return value read back
// through its task - create_task, run_until_complete(task), task.result().
#include <cstdio>

#include "asyncio_check.hpp"
#include "concur/asyncio.hpp"

namespace aio = concur::asyncio;
using namespace std::chrono_literals;

aio::Coroutine<int> slow_answer() {
  co_await aio::sleep(10ms);
  co_return 42;
}

int main() {
  aio::EventLoop loop;
  aio::Task<int> task = loop.create_task(slow_answer());  // ensure_future: create_task
  check(!task.done(), "a task runs only once the loop does");
  loop.run_until_complete(task);
  std::printf("task %s returned %d\n", task.get_name().c_str(), task.result());
  check(task.done() && task.result() == 42, "the result is read back through the task");
  loop.close();
}
