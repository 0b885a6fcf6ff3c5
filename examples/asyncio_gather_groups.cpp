// asyncio, the notes' fourth example: gather groups coroutines, gather of
// groups, cancelling a group makes awaiting it raise CancelledError; wait
// returns (done, pending) and raises nothing.
#include <chrono>
#include <cstdio>
#include <tuple>
#include <vector>

#include "asyncio_check.hpp"
#include "concur/asyncio.hpp"

namespace aio = concur::asyncio;
using namespace std::chrono_literals;

aio::Coroutine<int> number(int n, std::chrono::milliseconds delay) {
  co_await aio::sleep(delay);
  co_return n;
}

aio::Coroutine<std::tuple<int, int>> group(int a, int b, std::chrono::milliseconds delay) {
  co_return co_await aio::gather(number(a, delay), number(b, delay));
}

aio::Coroutine<> demo() {
  auto [first, second] = co_await aio::gather(group(1, 2, 1ms), group(3, 4, 2ms));
  std::printf("groups: (%d, %d) (%d, %d)\n", std::get<0>(first), std::get<1>(first),
              std::get<0>(second), std::get<1>(second));
  check(std::get<1>(second) == 4, "a gather of groups keeps the order");

  aio::Task<std::tuple<int, int>> slow = aio::create_task(group(5, 6, 1h));
  co_await aio::sleep(1ms);
  slow.cancel();
  bool cancelled = false;
  try {
    co_await slow;
  } catch (const concur::CancelledError&) {
    cancelled = true;
  }
  std::printf("the cancelled group raised CancelledError: %s\n", cancelled ? "yes" : "no");
  check(cancelled, "awaiting a cancelled group raises CancelledError");

  std::vector<aio::Task<int>> tasks{aio::create_task(number(1, 1ms)),
                                    aio::create_task(number(2, 1h))};
  auto [done, pending] = co_await aio::wait(tasks, 20ms);
  std::printf("wait: %zu done, %zu pending, no exception\n", done.size(), pending.size());
  check(done.size() == 1 && pending.size() == 1, "wait splits the tasks");
  pending[0].cancel();
}

int main() {
  aio::run(demo());
}
