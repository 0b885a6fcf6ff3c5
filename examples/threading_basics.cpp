// The README's first example: Python's threading primitives, in C++.
//
//   Python                                   concur
//   lock = threading.Lock()                  concur::Lock lock;
//   with lock: ...                           std::scoped_lock hold(lock);
//   cond.wait_for(lambda: items, timeout=1)  cond.wait_for([&] { ... }, 1s);
//   done = threading.Event(); done.set()     concur::Event done; done.set();
#include <concur/concur.hpp>

#include <chrono>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

int main() {
  concur::Condition cond;        // owns an RLock, like threading.Condition()
  std::deque<int> items;         // guarded by cond
  concur::Semaphore workers(2);  // at most two consumers at work at once
  concur::Barrier start(3, [] { std::puts("all three threads ready"); });
  concur::Event finished;

  std::vector<std::thread> consumers;
  int total = 0;  // guarded by cond
  for (int id = 0; id < 2; ++id) {
    consumers.emplace_back([&] {
      start.wait();
      for (;;) {
        std::scoped_lock slot(workers);
        std::scoped_lock hold(cond);
        if (!cond.wait_for([&] { return !items.empty() || finished.is_set(); }, 5s)) return;
        if (items.empty()) return;  // finished and drained
        total += items.front();
        items.pop_front();
      }
    });
  }

  start.wait();
  for (int i = 1; i <= 100; ++i) {
    std::scoped_lock hold(cond);
    items.push_back(i);
    cond.notify();
  }
  {
    std::scoped_lock hold(cond);
    finished.set();
    cond.notify_all();
  }
  for (auto& c : consumers)
    c.join();
  std::printf("sum of 1..100 consumed by two threads: %d\n", total);

  concur::Lock lock;
  lock.acquire();
  std::thread([&] { lock.release(); }).join();  // legal in Python, and here
  std::printf("released by another thread, locked() = %s\n", lock.locked() ? "true" : "false");
  return total == 5050 ? 0 : 1;
}
