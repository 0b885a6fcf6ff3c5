// A program that knows concur only through its installed package.
#include <concur/concur.hpp>

#include <cstdio>
#include <mutex>
#include <thread>

int main() {
  concur::Event ready;
  concur::Semaphore slots(1);
  int value = 0;
  std::thread worker([&] {
    std::scoped_lock hold(slots);
    value = 42;
    ready.set();
  });
  ready.wait();
  worker.join();
  const concur::SharedArray<int> shared(4);  // the library's shared memory
  shared[3] = value;
  if (shared.size() != 4 || shared[3] != 42) return 1;
  try {
    concur::BoundedSemaphore bounded(1);
    bounded.release();
  } catch (const concur::ValueError&) {
    std::printf("consumer: %s\n", value == 42 ? "ok" : "wrong value");
    return value == 42 ? 0 : 1;
  }
  return 1;
}
