// asyncio, the notes' third example: a done-callback with extra arguments
// bound in (Python's functools.partial, C++'s std::bind_front). It runs on
// the loop after the coroutine returned, with the task as its last
// argument.
#include <cstdio>
#include <functional>
#include <string>

#include "asyncio_check.hpp"
#include "concur/asyncio.hpp"

namespace aio = concur::asyncio;
using namespace std::chrono_literals;

aio::Coroutine<int> work(std::string& log) {
  co_await aio::sleep(5ms);
  log += "coroutine returned;";
  co_return 7;
}

void report(std::string& log, const std::string& label, const aio::Task<int>& task) {
  log += label + " saw " + std::to_string(task.result()) + ";";
}

int main() {
  aio::EventLoop loop;
  std::string log;
  aio::Task<int> task = loop.create_task(work(log));
  task.add_done_callback(std::bind_front(report, std::ref(log), std::string("callback")));
  loop.run_until_complete(task);
  loop.call_soon([&] { loop.stop(); });  // the callback runs on the next iteration
  loop.run_forever();
  std::printf("%s\n", log.c_str());
  check(log == "coroutine returned;callback saw 7;",
        "the callback runs after the coroutine, with the task");
  loop.close();
}
