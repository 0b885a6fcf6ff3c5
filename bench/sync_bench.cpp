// The synchronisation primitives beside their anchors: std, Boost.Thread.
//
//   ./build/bench/bench/concur_bench_sync --benchmark_min_time=0.2
//
// Each family is a BENCHMARK_TEMPLATE over concur's type and its anchors, so
// one run gives the ratios the README quotes. Threaded cases use real time.
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/thread/condition_variable.hpp>
#include <boost/thread/mutex.hpp>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <semaphore>
#include <thread>

#include "concur/concur.hpp"

namespace {

// --- Lock: uncontended and contended ------------------------------------------

template <class Mutex>
void BM_LockUncontended(benchmark::State& state) {
  Mutex mutex;
  std::int64_t counter = 0;
  for (auto _ : state) {
    mutex.lock();
    benchmark::DoNotOptimize(++counter);
    mutex.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_LockUncontended, concur::Lock);
BENCHMARK_TEMPLATE(BM_LockUncontended, std::mutex);
BENCHMARK_TEMPLATE(BM_LockUncontended, boost::mutex);
BENCHMARK_TEMPLATE(BM_LockUncontended, concur::RLock);
BENCHMARK_TEMPLATE(BM_LockUncontended, std::recursive_mutex);

// Shared<T>: one object per type shared by a benchmark's threads.
template <class T>
T& shared() {
  static T object;
  return object;
}

template <class Mutex>
void BM_LockContended(benchmark::State& state) {
  Mutex& mutex = shared<Mutex>();
  static std::int64_t counter = 0;  // protected by mutex
  for (auto _ : state) {
    mutex.lock();
    ++counter;
    mutex.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_LockContended, concur::Lock)->ThreadRange(2, 4)->UseRealTime();
BENCHMARK_TEMPLATE(BM_LockContended, std::mutex)->ThreadRange(2, 4)->UseRealTime();
BENCHMARK_TEMPLATE(BM_LockContended, boost::mutex)->ThreadRange(2, 4)->UseRealTime();

// --- Semaphore -----------------------------------------------------------------

struct ConcurSemaphore : concur::Semaphore {
  ConcurSemaphore() : concur::Semaphore(1) {}
  void acquire() { concur::Semaphore::acquire(); }
};
struct StdSemaphore : std::counting_semaphore<> {
  StdSemaphore() : std::counting_semaphore<>(1) {}
};

template <class Sem>
void BM_SemaphoreUncontended(benchmark::State& state) {
  Sem sem;
  for (auto _ : state) {
    sem.acquire();
    sem.release();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_SemaphoreUncontended, ConcurSemaphore);
BENCHMARK_TEMPLATE(BM_SemaphoreUncontended, StdSemaphore);

// Ping-pong through two semaphores: each round trip is two hand-offs.
template <class Sem>
void BM_SemaphorePingPong(benchmark::State& state) {
  Sem ping;
  Sem pong;
  ping.acquire();
  pong.acquire();
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    for (;;) {
      ping.acquire();
      if (stop.load(std::memory_order_relaxed)) return;
      pong.release();
    }
  });
  for (auto _ : state) {
    ping.release();
    pong.acquire();
  }
  stop = true;
  ping.release();
  partner.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_SemaphorePingPong, ConcurSemaphore)->UseRealTime();
BENCHMARK_TEMPLATE(BM_SemaphorePingPong, StdSemaphore)->UseRealTime();

// --- Condition ping-pong -------------------------------------------------------
// Two threads take turns: each waits on the condition for its turn, flips it,
// and notifies. Every round trip is two waits and two notifies.

struct ConcurCondition {
  concur::Lock mutex;
  concur::Condition cond{mutex};
  template <class Pred>
  void wait(std::unique_lock<concur::Lock>&, Pred pred) {
    cond.wait_for(pred);
  }
  void notify() { cond.notify(); }
  using Mutex = concur::Lock;
};
struct StdCondition {
  std::mutex mutex;
  std::condition_variable cond;
  template <class Pred>
  void wait(std::unique_lock<std::mutex>& hold, Pred pred) {
    cond.wait(hold, pred);
  }
  void notify() { cond.notify_one(); }
  using Mutex = std::mutex;
};
struct BoostCondition {
  boost::mutex mutex;
  boost::condition_variable_any cond;
  template <class Pred>
  void wait(std::unique_lock<boost::mutex>& hold, Pred pred) {
    cond.wait(hold, pred);
  }
  void notify() { cond.notify_one(); }
  using Mutex = boost::mutex;
};

template <class Cond>
void BM_ConditionPingPong(benchmark::State& state) {
  Cond c;
  int turn = 0;  // guarded by c.mutex; 0: main's turn, 1: partner's, 2: stop
  std::thread partner([&] {
    std::unique_lock hold(c.mutex);
    for (;;) {
      c.wait(hold, [&] { return turn != 0; });
      if (turn == 2) return;
      turn = 0;
      c.notify();
    }
  });
  {
    std::unique_lock hold(c.mutex);
    for (auto _ : state) {
      turn = 1;
      c.notify();
      c.wait(hold, [&] { return turn == 0; });
    }
    turn = 2;
    c.notify();
  }
  partner.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_ConditionPingPong, ConcurCondition)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ConditionPingPong, StdCondition)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ConditionPingPong, BoostCondition)->UseRealTime();

// --- Event ping-pong -----------------------------------------------------------

// FlagEvent: the anchor, an Event made the usual way from a mutex, a
// condition variable and a bool.
class FlagEvent {
 public:
  void set() {
    {
      std::scoped_lock hold(mutex_);
      flag_ = true;
    }
    cond_.notify_all();
  }
  void clear() {
    std::scoped_lock hold(mutex_);
    flag_ = false;
  }
  void wait() {
    std::unique_lock hold(mutex_);
    cond_.wait(hold, [this] { return flag_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cond_;
  bool flag_ = false;
};

template <class Ev>
void BM_EventPingPong(benchmark::State& state) {
  Ev ping;
  Ev pong;
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    for (;;) {
      ping.wait();
      ping.clear();
      if (stop.load(std::memory_order_relaxed)) return;
      pong.set();
    }
  });
  for (auto _ : state) {
    ping.set();
    pong.wait();
    pong.clear();
  }
  stop = true;
  ping.set();
  partner.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_EventPingPong, concur::Event)->UseRealTime();
BENCHMARK_TEMPLATE(BM_EventPingPong, FlagEvent)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
