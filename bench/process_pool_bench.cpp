// ProcessPoolExecutor beside this project's ThreadPoolExecutor, 2 workers
// each; bench/compare_cpython_process_pool.py runs this binary and CPython's
// concurrent.futures.ProcessPoolExecutor on the same machine and prints the
// ratios.
//
//   ./build/bench/bench/concur_bench_process_pool --benchmark_min_time=0.5
//
// (1) SubmitAndCollect: submit 2*10^4 tiny tasks (int -> int), then collect
//     every result. (2) RoundTrip: submit one task and wait for it. (3) Map:
//     map over 10^6 ints with chunksize 256. (4) WorkerStart: build a pool
//     and get one result, i.e. start one worker process (spawn and fork).
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

#include "concur/process_pool_executor.hpp"
#include "concur/thread_pool_executor.hpp"

namespace {

constexpr int kWorkers = 2;
constexpr int kTasks = 20000;
constexpr int kMapItems = 1000000;

int square(int x) {
  return x * x;
}

template <class Pool>
std::unique_ptr<Pool> warm_pool() {
  auto pool = std::make_unique<Pool>(kWorkers);
  // Start both workers before timing.
  std::vector<concur::Future<int>> first;
  for (int i = 0; i < 2 * kWorkers; ++i)
    first.push_back(pool->submit(square, i));
  for (auto& f : first)
    f.result();
  return pool;
}

template <class Pool>
void SubmitAndCollect(benchmark::State& state) {
  auto pool = warm_pool<Pool>();
  std::vector<concur::Future<int>> futures;
  futures.reserve(kTasks);
  for (auto _ : state) {
    for (int i = 0; i < kTasks; ++i)
      futures.push_back(pool->submit(square, i));
    long sum = 0;
    for (auto& f : futures)
      sum += f.result();
    benchmark::DoNotOptimize(sum);
    futures.clear();
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}

template <class Pool>
void RoundTrip(benchmark::State& state) {
  auto pool = warm_pool<Pool>();
  int i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(pool->submit(square, ++i).result());
  state.SetItemsProcessed(state.iterations());
}

template <class Pool>
void Map(benchmark::State& state) {
  auto pool = warm_pool<Pool>();
  std::vector<int> xs(kMapItems);
  std::iota(xs.begin(), xs.end(), 0);
  for (auto _ : state) {
    long sum = 0;
    for (int y : pool->map(square, xs, concur::MapOptions{.chunksize = 256}))
      sum += y;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kMapItems);
}

void WorkerStart(benchmark::State& state, concur::StartMethod method) {
  for (auto _ : state) {
    concur::ProcessPoolExecutor pool(
        concur::ProcessPoolOptions{.max_workers = 1, .start_method = method});
    benchmark::DoNotOptimize(pool.submit(square, 3).result());
  }
}

using concur::ProcessPoolExecutor;
using concur::ThreadPoolExecutor;

BENCHMARK(SubmitAndCollect<ProcessPoolExecutor>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(SubmitAndCollect<ThreadPoolExecutor>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(RoundTrip<ProcessPoolExecutor>)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(RoundTrip<ThreadPoolExecutor>)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(Map<ProcessPoolExecutor>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(Map<ThreadPoolExecutor>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(WorkerStart, spawn, concur::StartMethod::spawn)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(WorkerStart, fork, concur::StartMethod::fork)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

// main(): bench/main_with_init.cpp (concur::init first, for spawned workers).
