// Must not compile: a const char* argument (an address means nothing in a worker).
#include <concur/process_pool_executor.hpp>

int first(const char* text) {
  return text[0];
}

int main() {
  concur::ProcessPoolExecutor pool(1);
  return pool.submit(first, "x").result();
}
