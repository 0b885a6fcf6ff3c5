// asyncio, the notes' sixth example: cancelling every task on an interrupt -
// all_tasks(), cancel() on each, stop(), run_forever() once more so the
// cancellations are delivered, then close(). close() refuses a running
// loop and may be called again.
#include <cstdio>
#include <string>
#include <vector>

#include "asyncio_check.hpp"
#include "concur/asyncio.hpp"

namespace aio = concur::asyncio;
using namespace std::chrono_literals;

aio::Coroutine<> worker(int id, std::vector<std::string>& log) {
  try {
    for (;;)
      co_await aio::sleep(1ms);
  } catch (const concur::CancelledError&) {
    log.push_back("worker " + std::to_string(id) + " cancelled");
    throw;
  }
}

int main() {
  aio::EventLoop loop;
  std::vector<std::string> log;
  for (int i = 0; i < 3; ++i)
    loop.create_task(worker(i, log));
  bool refused = false;
  loop.call_later(5ms, [&] {  // the "interrupt"
    for (aio::AnyTask& task : aio::all_tasks())
      task.cancel();
    try {
      loop.close();
    } catch (const concur::RuntimeError&) {
      refused = true;  // "Cannot close a running event loop"
    }
    loop.stop();
  });
  loop.run_forever();
  check(log.empty(), "stop() only sets a flag: the cancellations are not delivered yet");
  loop.stop();
  loop.run_forever();  // one more iteration delivers them
  loop.close();
  loop.close();
  for (const std::string& line : log)
    std::printf("%s\n", line.c_str());
  check(log.size() == 3 && refused,
        "every task saw its cancellation; close() refused while running");
  check(aio::all_tasks(loop).empty(), "no task is left");
}
