// Must not compile: a move-only argument taken by value (std::unique_ptr).
#include <concur/process_pool_executor.hpp>

#include <memory>

int dereference(std::unique_ptr<int> p) {
  return *p;
}

int main() {
  concur::ProcessPoolExecutor pool(1);
  return pool.submit(dereference, std::make_unique<int>(1)).result();
}
