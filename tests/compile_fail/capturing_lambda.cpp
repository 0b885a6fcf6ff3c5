// Must not compile: a bare capturing lambda (C++ cannot tell [x] from [&x]).
#include <concur/process_pool_executor.hpp>

int main() {
  concur::ProcessPoolExecutor pool(1);
  int offset = 3;
  return pool.submit([&offset](int x) { return x + offset; }, 2).result();
}
