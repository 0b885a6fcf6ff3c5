// Must not compile: a pointer result.
#include <concur/process_pool_executor.hpp>

int* nowhere(int) {
  return nullptr;
}

int main() {
  concur::ProcessPoolExecutor pool(1);
  return pool.submit(nowhere, 1).result() == nullptr;
}
