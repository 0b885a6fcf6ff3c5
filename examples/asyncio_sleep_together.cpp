// asyncio, the notes' first example: ten coroutines that each sleep for
// 200 ms finish together, in about 200 ms, on one thread -
// run_until_complete(wait(tasks)).
#include <chrono>
#include <cstdio>
#include <vector>

#include "asyncio_check.hpp"
#include "concur/asyncio.hpp"

namespace aio = concur::asyncio;
using namespace std::chrono_literals;

aio::Coroutine<> nap(int id, std::vector<int>& events) {
  events.push_back(id);  // started
  co_await aio::sleep(200ms);
  events.push_back(-id - 1);  // finished
}

aio::Coroutine<> all_of_them(std::vector<aio::Task<>>& tasks) {
  co_await aio::wait(tasks);
}

int main() {
  aio::EventLoop loop;
  std::vector<int> events;
  std::vector<aio::Task<>> tasks;
  for (int i = 0; i < 10; ++i)
    tasks.push_back(loop.create_task(nap(i, events)));
  const auto start = loop.time();
  loop.run_until_complete(all_of_them(tasks));
  const double seconds = std::chrono::duration<double>(loop.time() - start).count();
  std::printf("10 coroutines slept 200 ms each; together they took %.3f s\n", seconds);
  check(events.size() == 20, "every coroutine started and finished");
  for (int i = 0; i < 10; ++i)
    check(events[i] >= 0, "all ten started before any finished");
  loop.close();
}
