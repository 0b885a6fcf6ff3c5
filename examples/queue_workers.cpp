// Python's queue-and-workers pattern: put work, let workers task_done() it,
// join(), then shutdown() to send the workers home (Python 3.13).
#include <concur/concur.hpp>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

int main() {
  concur::Queue<int> jobs(8);  // bounded: put() waits while 8 are queued
  std::atomic<long> total{0};

  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&] {
      try {
        for (;;) {
          const int job = jobs.get();  // QueueShutDown once shut down and drained
          total += static_cast<long>(job) * job;
          jobs.task_done();
        }
      } catch (const concur::QueueShutDown&) {
      }
    });
  }

  for (int n = 1; n <= 1000; ++n)
    jobs.put(n);
  jobs.join();      // every job has had its task_done()
  jobs.shutdown();  // wake the idle workers: their get() throws QueueShutDown
  for (auto& w : workers)
    w.join();

  std::printf("sum of squares 1..1000 = %ld\n", total.load());
  concur::PriorityQueue<int> smallest_first;
  for (int v : {5, 1, 3})
    smallest_first.put(v);
  const int first = smallest_first.get();
  const int second = smallest_first.get();
  const int third = smallest_first.get();
  std::printf("priority order: %d %d %d\n", first, second, third);
  return total == 333833500 ? 0 : 1;
}
