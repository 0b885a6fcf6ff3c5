// The queues beside their anchors: a std::mutex + std::condition_variable +
// std::deque queue (the common design), boost::sync_queue and
// boost::sync_bounded_queue, boost::lockfree::queue (consumers spin), and
// moodycamel::BlockingConcurrentQueue (when libconcurrentqueue-dev is there).
//
//   ./build/bench/bench/concur_bench_queue --benchmark_min_time=0.5
//
// Each iteration moves kItems items from P producer threads to C consumer
// threads through one queue, so items/s is the throughput of the whole
// hand-off. Arguments: producers, consumers, capacity (0 = unbounded).
#define BOOST_THREAD_VERSION 4
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/lockfree/queue.hpp>
#include <boost/thread/concurrent_queues/sync_bounded_queue.hpp>
#include <boost/thread/concurrent_queues/sync_queue.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if __has_include(<concurrentqueue/blockingconcurrentqueue.h>)
#include <concurrentqueue/blockingconcurrentqueue.h>
#define CONCUR_HAVE_MOODYCAMEL 1
#endif

#include "concur/detail/parking.hpp"
#include "concur/queue.hpp"

namespace {

constexpr std::int64_t kItems = 240000;  // divisible by 1..4 producers/consumers

// Payload64: a 64-byte, trivially copyable item.
struct Payload64 {
  std::int64_t words[8];
};

template <class T>
T make_item(std::int64_t n) {
  if constexpr (std::is_same_v<T, int>) {
    return static_cast<int>(n);
  } else {
    T item{};
    item.words[0] = n;
    return item;
  }
}

// --- The queues under test, each behind push()/pop() --------------------------

template <class T>
struct ConcurQueue {
  explicit ConcurQueue(std::size_t capacity) : queue(capacity) {}
  void push(T item) { queue.put(std::move(item)); }
  T pop() { return queue.get(); }
  concur::Queue<T> queue;
};

template <class T>
struct ConcurSimpleQueue {
  explicit ConcurSimpleQueue(std::size_t) {}
  void push(T item) { queue.put(std::move(item)); }
  T pop() { return queue.get(); }
  concur::SimpleQueue<T> queue;
};

// StdQueue: the design most C++ code bases write by hand.
template <class T>
struct StdQueue {
  explicit StdQueue(std::size_t cap) : capacity(cap) {}
  void push(T item) {
    {
      std::unique_lock hold(mutex);
      not_full.wait(hold, [&] { return capacity == 0 || items.size() < capacity; });
      items.push_back(std::move(item));
    }
    not_empty.notify_one();
  }
  T pop() {
    T item;
    {
      std::unique_lock hold(mutex);
      not_empty.wait(hold, [&] { return !items.empty(); });
      item = std::move(items.front());
      items.pop_front();
    }
    not_full.notify_one();
    return item;
  }
  std::size_t capacity;
  std::mutex mutex;
  std::condition_variable not_empty;
  std::condition_variable not_full;
  std::deque<T> items;
};

template <class T>
struct BoostSyncQueue {
  explicit BoostSyncQueue(std::size_t) {}
  void push(T item) { queue.push(std::move(item)); }
  T pop() { return queue.pull(); }
  boost::concurrent::sync_queue<T> queue;
};

template <class T>
struct BoostSyncBoundedQueue {
  explicit BoostSyncBoundedQueue(std::size_t capacity) : queue(capacity) {}
  void push(T item) { queue.push(std::move(item)); }
  T pop() { return queue.pull(); }
  boost::concurrent::sync_bounded_queue<T> queue;
};

// SpinningLockfree: a boost::lockfree::queue cannot block, so both sides spin.
template <class T, class Queue>
struct SpinningLockfree {
  template <class... QueueArgs>
  explicit SpinningLockfree(QueueArgs... args) : queue(args...) {}
  void push(const T& item) {
    while (!queue.push(item))
      concur::detail::cpu_relax();
  }
  T pop() {
    T item;
    while (!queue.pop(item))
      concur::detail::cpu_relax();
    return item;
  }
  Queue queue;
};

// Unbounded: grows as needed (1024 nodes preallocated).
template <class T>
struct BoostLockfreeQueue : SpinningLockfree<T, boost::lockfree::queue<T>> {
  explicit BoostLockfreeQueue(std::size_t)
      : SpinningLockfree<T, boost::lockfree::queue<T>>(std::size_t{1024}) {}
};

// Bounded: a fixed ring of 64.
template <class T>
struct BoostLockfreeBoundedQueue
    : SpinningLockfree<T, boost::lockfree::queue<T, boost::lockfree::capacity<64>>> {
  explicit BoostLockfreeBoundedQueue(std::size_t) {}
};

#if CONCUR_HAVE_MOODYCAMEL
template <class T>
struct MoodycamelQueue {
  explicit MoodycamelQueue(std::size_t) {}
  void push(T item) { queue.enqueue(std::move(item)); }
  T pop() {
    T item;
    queue.wait_dequeue(item);
    return item;
  }
  moodycamel::BlockingConcurrentQueue<T> queue;
};
#endif

// --- The benchmark --------------------------------------------------------------

template <template <class> class Q, class T>
void BM_Transfer(benchmark::State& state) {
  const auto producers = static_cast<std::int64_t>(state.range(0));
  const auto consumers = static_cast<std::int64_t>(state.range(1));
  const auto capacity = static_cast<std::size_t>(state.range(2));
  for (auto _ : state) {
    auto queue = std::make_unique<Q<T>>(capacity);
    std::atomic<std::int64_t> checksum{0};
    std::vector<std::thread> threads;
    for (std::int64_t p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        const std::int64_t per = kItems / producers;
        for (std::int64_t n = p * per; n < (p + 1) * per; ++n)
          queue->push(make_item<T>(n));
      });
    }
    for (std::int64_t c = 0; c < consumers; ++c) {
      threads.emplace_back([&] {
        std::int64_t local = 0;
        for (std::int64_t n = 0; n < kItems / consumers; ++n) {
          T item = queue->pop();
          if constexpr (std::is_same_v<T, int>) {
            local += item;
          } else {
            local += item.words[0];
          }
        }
        checksum += local;
      });
    }
    for (auto& t : threads)
      t.join();
    if (checksum != kItems * (kItems - 1) / 2) state.SkipWithError("lost or duplicated items");
  }
  state.SetItemsProcessed(state.iterations() * kItems);
}

void Shapes(benchmark::internal::Benchmark* b, std::int64_t capacity) {
  b->ArgNames({"producers", "consumers", "capacity"});
  for (std::int64_t n : {1, 2, 4})
    b->Args({n, n, capacity});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}
void Unbounded(benchmark::internal::Benchmark* b) {
  Shapes(b, 0);
}
void Bounded(benchmark::internal::Benchmark* b) {
  Shapes(b, 64);
}

#define CONCUR_QUEUE_BENCH(Q, T, shapes) BENCHMARK_TEMPLATE(BM_Transfer, Q, T)->Apply(shapes)

#if CONCUR_HAVE_MOODYCAMEL
#define CONCUR_MOODYCAMEL_BENCH(T) CONCUR_QUEUE_BENCH(MoodycamelQueue, T, Unbounded)
#else
#define CONCUR_MOODYCAMEL_BENCH(T) static_assert(true)
#endif

// Every queue for one item type: the unbounded ones, then the bounded ones.
#define CONCUR_QUEUE_BENCHES(T)                          \
  CONCUR_QUEUE_BENCH(ConcurQueue, T, Unbounded);         \
  CONCUR_QUEUE_BENCH(ConcurSimpleQueue, T, Unbounded);   \
  CONCUR_QUEUE_BENCH(StdQueue, T, Unbounded);            \
  CONCUR_QUEUE_BENCH(BoostSyncQueue, T, Unbounded);      \
  CONCUR_QUEUE_BENCH(BoostLockfreeQueue, T, Unbounded);  \
  CONCUR_MOODYCAMEL_BENCH(T);                            \
  CONCUR_QUEUE_BENCH(ConcurQueue, T, Bounded);           \
  CONCUR_QUEUE_BENCH(StdQueue, T, Bounded);              \
  CONCUR_QUEUE_BENCH(BoostSyncBoundedQueue, T, Bounded); \
  CONCUR_QUEUE_BENCH(BoostLockfreeBoundedQueue, T, Bounded)

CONCUR_QUEUE_BENCHES(int);
CONCUR_QUEUE_BENCHES(Payload64);

}  // namespace

BENCHMARK_MAIN();
