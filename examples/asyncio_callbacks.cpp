// asyncio, the notes' eighth example: call_soon runs on the next iteration
// in FIFO order, call_later after a delay, call_at at a time of loop.time().
// Everything ready runs before timers due later (call_soon is its own
// queue, not call_later(0)).
#include <chrono>
#include <cstdio>
#include <string>

#include "asyncio_check.hpp"
#include "concur/asyncio.hpp"

namespace aio = concur::asyncio;
using namespace std::chrono_literals;

int main() {
  aio::EventLoop loop;
  std::string order;
  loop.call_later(1ms, [&] { order += "later+1ms "; });
  // Read after call_later: the deadline below is later than its, however
  // long this thread is held up in between (the order does not depend on
  // the machine's speed).
  const auto now = loop.time();
  loop.call_at(now + 3ms, [&] {
    order += "at+3ms ";
    loop.stop();
  });
  loop.call_soon([&] { order += "soon1 "; });
  loop.call_soon([&] { order += "soon2 "; });
  loop.run_forever();
  std::printf("%s\n", order.c_str());
  check(order == "soon1 soon2 later+1ms at+3ms ", "ready callbacks first, then timers by deadline");
  loop.close();
}
