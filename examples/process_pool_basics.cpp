// ProcessPoolExecutor: the same calls as the thread pool, on worker
// processes. Shows shipping a function, a lambda with captured values, a
// user type, a remote exception, a crash that costs one task only, and map
// with a chunksize.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <concur/concur.hpp>

// A user type crosses the boundary by opting in, the way cereal expects.
struct Order {
  std::string item;
  int quantity = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(item, quantity);
  }
};

std::string describe(const Order& order) {
  return std::to_string(order.quantity) + " x " + order.item + " (packed by pid " +
         std::to_string(::getpid()) + ")";
}

long collatz_steps(long n) {
  long steps = 0;
  for (; n != 1; ++steps)
    n = n % 2 == 0 ? n / 2 : 3 * n + 1;
  return steps;
}

int main(int argc, char** argv) {
  concur::init(argc, argv);  // a worker process diverts here and never returns

  concur::ProcessPoolExecutor pool(2);
  std::printf("%s\n", pool.submit(describe, Order{"teapot", 3}).result().c_str());

  int bonus = 100;  // by_value: the caller's word that the captures are values; their bytes travel
  std::printf("lambda: %d\n",
              pool.submit(concur::by_value([bonus](int x) { return x + bonus; }), 1).result());

  try {
    pool.submit([](int x) -> int { throw std::out_of_range("no item " + std::to_string(x)); }, 7)
        .result();
  } catch (const std::out_of_range& e) {
    std::printf("came back as std::out_of_range: %s\n", e.what());
  }

  try {
    pool.submit([](int) -> int { std::abort(); }, 0).result();
  } catch (const concur::BrokenProcessPool& e) {
    std::printf("one task lost: %s\n", e.what());
  }

  std::vector<long> starts;
  for (long n = 1; n <= 10000; ++n)
    starts.push_back(n);
  long most = 0;
  for (long steps : pool.map(collatz_steps, starts, concur::MapOptions{.chunksize = 256})) {
    most = std::max(most, steps);
  }
  std::printf("longest Collatz chain below 10^4: %ld steps\n", most);
  return most == 261 ? 0 : 1;
}
