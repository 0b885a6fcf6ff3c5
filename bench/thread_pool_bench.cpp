// ThreadPoolExecutor beside the pools C++ code bases use, 2 workers each:
// a hand-written mutex + condvar + std::packaged_task pool (the common
// design), boost::asio::thread_pool with std::promise,
// boost::executors::basic_thread_pool with boost::async, and - without
// futures, as a ceiling - oneTBB's task_group (when libtbb-dev is there).
//
//   ./build/bench/bench/concur_bench_thread_pool --benchmark_min_time=0.5
//
// (1) SubmitAndCollect: submit 10^5 tasks that each return an int through a
//     future, then collect every result. (2) RoundTrip: submit one task and
//     wait for it, repeated. (3) Map: map over 10^6 ints (concur only;
//     chunksize 1024).
#define BOOST_THREAD_VERSION 4
#define BOOST_THREAD_PROVIDES_EXECUTORS
#include <benchmark/benchmark.h>

#include <boost/thread/executors/basic_thread_pool.hpp>
#include <boost/thread/future.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "concur/thread_pool_executor.hpp"

#if CONCUR_HAVE_TBB  // set by bench/CMakeLists.txt when oneTBB is installed
#include <tbb/global_control.h>
#include <tbb/task_group.h>
#endif

namespace {

constexpr int kWorkers = 2;
constexpr int kTasks = 100000;

// PackagedTaskPool: the usual hand-written pool.
class PackagedTaskPool {
 public:
  PackagedTaskPool() {
    for (int i = 0; i < kWorkers; ++i)
      workers_.emplace_back([this] { work(); });
  }
  ~PackagedTaskPool() {
    {
      std::scoped_lock hold(mutex_);
      stop_ = true;
    }
    ready_.notify_all();
    for (auto& w : workers_)
      w.join();
  }
  template <class F>
  auto submit(F fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto future = task.get_future();
    {
      std::scoped_lock hold(mutex_);
      tasks_.emplace_back(std::move(task));
    }
    ready_.notify_one();
    return future;
  }

 private:
  void work() {
    for (;;) {
      std::packaged_task<int()> task;
      {
        std::unique_lock hold(mutex_);
        ready_.wait(hold, [this] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<int()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// AsioPool: boost::asio::thread_pool, results through std::promise.
class AsioPool {
 public:
  template <class F>
  std::future<int> submit(F fn) {
    auto promise = std::make_shared<std::promise<int>>();
    auto future = promise->get_future();
    boost::asio::post(pool_, [promise, fn] { promise->set_value(fn()); });
    return future;
  }

 private:
  boost::asio::thread_pool pool_{kWorkers};
};

// BoostExecutorPool: boost::executors::basic_thread_pool, boost::async.
class BoostExecutorPool {
 public:
  template <class F>
  boost::future<int> submit(F fn) {
    return boost::async(pool_, fn);
  }

 private:
  boost::executors::basic_thread_pool pool_{kWorkers};
};

struct ConcurPool {
  concur::ThreadPoolExecutor pool{kWorkers};
  template <class F>
  concur::Future<int> submit(F fn) {
    return pool.submit(fn);
  }
};

template <class Pool>
void BM_SubmitAndCollect(benchmark::State& state) {
  Pool pool;
  for (auto _ : state) {
    std::vector<decltype(pool.submit([] { return 1; }))> futures;
    futures.reserve(kTasks);
    for (int i = 0; i < kTasks; ++i)
      futures.push_back(pool.submit([i] { return i; }));
    long sum = 0;
    for (auto& f : futures) {
      if constexpr (std::is_same_v<Pool, ConcurPool>) {
        sum += f.result();
      } else {
        sum += f.get();
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}
BENCHMARK_TEMPLATE(BM_SubmitAndCollect, ConcurPool)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_SubmitAndCollect, PackagedTaskPool)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_SubmitAndCollect, AsioPool)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_SubmitAndCollect, BoostExecutorPool)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

#if CONCUR_HAVE_TBB
// TBB's task_group runs the same tasks without futures: the ceiling.
void BM_SubmitAndCollect_TbbTaskGroupNoFutures(benchmark::State& state) {
  tbb::global_control workers(tbb::global_control::max_allowed_parallelism, kWorkers);
  std::vector<int> results(kTasks);
  for (auto _ : state) {
    tbb::task_group group;
    for (int i = 0; i < kTasks; ++i)
      group.run([&results, i] { results[i] = i; });
    group.wait();
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}
BENCHMARK(BM_SubmitAndCollect_TbbTaskGroupNoFutures)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif

template <class Pool>
void BM_RoundTrip(benchmark::State& state) {
  Pool pool;
  for (auto _ : state) {
    auto f = pool.submit([] { return 1; });
    if constexpr (std::is_same_v<Pool, ConcurPool>) {
      benchmark::DoNotOptimize(f.result());
    } else {
      benchmark::DoNotOptimize(f.get());
    }
  }
}
BENCHMARK_TEMPLATE(BM_RoundTrip, ConcurPool)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_RoundTrip, PackagedTaskPool)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_RoundTrip, AsioPool)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_RoundTrip, BoostExecutorPool)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_Map(benchmark::State& state) {
  concur::ThreadPoolExecutor pool(kWorkers);
  std::vector<int> xs(1000000);
  std::iota(xs.begin(), xs.end(), 0);
  const auto chunksize = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    long sum = 0;
    for (int y :
         pool.map([](int x) { return x + 1; }, xs, concur::MapOptions{.chunksize = chunksize})) {
      sum += y;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<long>(xs.size()));
}
BENCHMARK(BM_Map)
    ->ArgName("chunksize")
    ->Arg(1)
    ->Arg(1024)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
