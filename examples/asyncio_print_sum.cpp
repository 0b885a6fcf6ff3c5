// asyncio, the notes' seventh example: a coroutine awaiting a coroutine
// (print_sum awaiting compute). The task drives the outer one, the inner
// one suspends through it, and the result - or an exception - travels back
// up the chain.
#include <cstdio>
#include <stdexcept>

#include "asyncio_check.hpp"
#include "concur/asyncio.hpp"

namespace aio = concur::asyncio;
using namespace std::chrono_literals;

aio::Coroutine<int> compute(int x, int y) {
  std::printf("Compute %d + %d ...\n", x, y);
  co_await aio::sleep(10ms);
  if (x < 0) throw std::invalid_argument("negative input");
  co_return x + y;
}

aio::Coroutine<int> print_sum(int x, int y) {
  const int result = co_await compute(x, y);
  std::printf("%d + %d = %d\n", x, y, result);
  co_return result;
}

int main() {
  check(aio::run(print_sum(1, 2)) == 3, "the inner result reaches the outer coroutine");
  bool raised = false;
  try {
    aio::run(print_sum(-1, 2));
  } catch (const std::invalid_argument& e) {
    std::printf("the inner exception came back up: %s\n", e.what());
    raised = true;
  }
  check(raised, "the inner exception travels up the chain");
}
