// asyncio, the notes' fifth example: run_until_complete stops the loop once
// its future is done (through a done-callback that calls stop()), and
// run_forever runs until stop().
#include <cstdio>

#include "asyncio_check.hpp"
#include "concur/asyncio.hpp"

namespace aio = concur::asyncio;
using namespace std::chrono_literals;

aio::Coroutine<int> quick() {
  co_await aio::sleep(1ms);
  co_return 3;
}

int main() {
  aio::EventLoop loop;
  int ticks = 0;
  // A callback that reschedules itself: run_until_complete must still stop.
  std::function<void()> tick = [&] {
    ++ticks;
    loop.call_later(1ms, tick);
  };
  loop.call_soon(tick);
  const int answer = loop.run_until_complete(quick());
  std::printf("run_until_complete returned %d after %d tick(s)\n", answer, ticks);
  check(answer == 3 && !loop.is_running(), "run_until_complete stops with its task");

  loop.call_later(5ms, [&] { loop.stop(); });
  const int before = ticks;
  loop.run_forever();
  std::printf("run_forever ran until stop(): %d more tick(s)\n", ticks - before);
  check(ticks > before, "run_forever ran the loop until stop()");
  loop.close();
}
