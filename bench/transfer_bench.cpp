// Big payloads: what moving bytes to and from a task costs, each engine
// beside the floor, in one binary. bench/compare_transfer.py runs it beside
// CPython's ProcessPoolExecutor (pickle, and multiprocessing.shared_memory)
// and prints the ratios.
//
//   ./build/bench/bench/concur_bench_transfer --benchmark_min_time=0.5
//
// Shapes: 48 tasks x 1 MiB, 4 x 64 MiB, 1 x 512 MiB, each task's bytes a
// std::vector<std::uint8_t>.
//   Arguments/<engine>: each task receives its bytes and reads two of them.
//   Results/<engine>:   each task returns that many bytes (value-initialised).
// Engines: Memcpy (the floor: one copy of the same bytes into a buffer
// allocated once), FreshCopy (one copy into a new std::vector, as any task
// that gets its own copy pays: allocation and first-touch page faults
// included), Threads (a 2-worker ThreadPoolExecutor, which copies the
// argument into the task), Processes (2 workers, the default shm_threshold:
// shared memory), Socket (2 workers, shm_threshold = 0: everything through
// the worker's socket, as before shared memory).
//   HandOff/<bytes>: round trip of a task that receives a SharedBuffer of
//   that size and returns its size, beside TinyRoundTrip (int -> int).
//   SmallTasks/<threshold>: submit+collect of 2*10^4 int tasks with the
//   default threshold and with 0 (the threshold costs nothing below it).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "concur/process_pool_executor.hpp"
#include "concur/shared_memory.hpp"
#include "concur/thread_pool_executor.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr int kWorkers = 2;
constexpr std::size_t kMiB = std::size_t{1} << 20;

std::uint64_t touch(const Bytes& bytes) {
  return bytes.front() + bytes.back();
}
Bytes make_bytes(std::size_t size) {
  return Bytes(size);
}
std::size_t size_of(concur::SharedBuffer buffer) {
  return buffer.size();
}
int square(int x) {
  return x * x;
}

// The pools, made once: starting workers is not what is measured.
concur::ThreadPoolExecutor& threads() {
  static concur::ThreadPoolExecutor pool(kWorkers);
  return pool;
}
concur::ProcessPoolExecutor& processes(std::size_t threshold) {
  static concur::ProcessPoolExecutor shared(
      concur::ProcessPoolOptions{.max_workers = kWorkers, .shm_threshold = 64 << 10});
  static concur::ProcessPoolExecutor socket(
      concur::ProcessPoolOptions{.max_workers = kWorkers, .shm_threshold = 0});
  return threshold == 0 ? socket : shared;
}

enum class Engine { memcpy_floor, fresh_copy, threads, processes, socket };

template <class Pool, class F, class Arg>
std::uint64_t run_tasks(Pool& pool, F fn, const Arg& arg, int tasks) {
  std::vector<decltype(pool.submit(fn, arg))> futures;
  for (int i = 0; i < tasks; ++i)
    futures.push_back(pool.submit(fn, arg));
  std::uint64_t sum = 0;
  for (auto& f : futures) {
    if constexpr (std::is_same_v<decltype(f.result()), const Bytes&>) {
      sum += f.result().size();
    } else {
      sum += f.result();
    }
  }
  return sum;
}

// one_shape: moves `tasks` payloads of `size` bytes once on `engine`, as
// arguments or as results; the sum keeps the work from being optimised out.
std::uint64_t one_shape(Engine engine, bool results, int tasks, const Bytes& payload,
                        Bytes& floor_target) {
  const std::size_t size = payload.size();
  std::uint64_t sum = 0;
  switch (engine) {
    case Engine::memcpy_floor:
      for (int i = 0; i < tasks; ++i) {
        std::memcpy(floor_target.data(), payload.data(), size);
        benchmark::ClobberMemory();
        sum += floor_target.back();
      }
      return sum;
    case Engine::fresh_copy:
      for (int i = 0; i < tasks; ++i) {
        Bytes copy(payload);
        benchmark::DoNotOptimize(copy.data());
        sum += copy.back();
      }
      return sum;
    case Engine::threads:
      return results ? run_tasks(threads(), make_bytes, size, tasks)
                     : run_tasks(threads(), touch, payload, tasks);
    case Engine::processes:
    case Engine::socket: {
      auto& pool = processes(engine == Engine::socket ? 0 : 64 << 10);
      return results ? run_tasks(pool, make_bytes, size, tasks)
                     : run_tasks(pool, touch, payload, tasks);
    }
  }
  return sum;
}

void Transfer(benchmark::State& state, Engine engine, bool results) {
  const int tasks = static_cast<int>(state.range(0));
  const std::size_t size = static_cast<std::size_t>(state.range(1)) * kMiB;
  const Bytes payload(size, 1);
  Bytes floor_target(engine == Engine::memcpy_floor ? size : 0);
  try {
    // Once untimed: the steady state is measured, with the workers' regions
    // made and the allocator warm, as in a program that moves such
    // payloads more than once.
    one_shape(engine, results, tasks, payload, floor_target);
    for (auto _ : state)
      benchmark::DoNotOptimize(one_shape(engine, results, tasks, payload, floor_target));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());  // the socket path refuses results over 512 MiB
    return;
  }
  state.SetBytesProcessed(state.iterations() * tasks * static_cast<std::int64_t>(size));
}

void Arguments(benchmark::State& state, Engine engine) {
  Transfer(state, engine, false);
}
void Results(benchmark::State& state, Engine engine) {
  Transfer(state, engine, true);
}

void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"tasks", "MiB"})->Args({48, 1})->Args({4, 64})->Args({1, 512});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK_CAPTURE(Arguments, Memcpy, Engine::memcpy_floor)->Apply(shapes);
BENCHMARK_CAPTURE(Arguments, FreshCopy, Engine::fresh_copy)->Apply(shapes);
BENCHMARK_CAPTURE(Arguments, Threads, Engine::threads)->Apply(shapes);
BENCHMARK_CAPTURE(Arguments, Processes, Engine::processes)->Apply(shapes);
BENCHMARK_CAPTURE(Arguments, Socket, Engine::socket)->Apply(shapes);
BENCHMARK_CAPTURE(Results, Memcpy, Engine::memcpy_floor)->Apply(shapes);
BENCHMARK_CAPTURE(Results, FreshCopy, Engine::fresh_copy)->Apply(shapes);
BENCHMARK_CAPTURE(Results, Threads, Engine::threads)->Apply(shapes);
BENCHMARK_CAPTURE(Results, Processes, Engine::processes)->Apply(shapes);
BENCHMARK_CAPTURE(Results, Socket, Engine::socket)->Apply(shapes);

void HandOff(benchmark::State& state) {
  auto& pool = processes(64 << 10);
  const concur::SharedBuffer buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(pool.submit(size_of, buffer).result());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(HandOff)
    ->ArgName("bytes")
    ->Arg(1 << 10)
    ->Arg(1 << 20)
    ->Arg(64 << 20)
    ->Arg(1 << 30)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void TinyRoundTrip(benchmark::State& state) {
  auto& pool = processes(64 << 10);
  int i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(pool.submit(square, ++i).result());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(TinyRoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

void SmallTasks(benchmark::State& state) {
  auto& pool = processes(static_cast<std::size_t>(state.range(0)));
  constexpr int kTasks = 20000;
  std::vector<concur::Future<int>> futures;
  futures.reserve(kTasks);
  for (auto _ : state) {
    for (int i = 0; i < kTasks; ++i)
      futures.push_back(pool.submit(square, i));
    long sum = 0;
    for (auto& f : futures)
      sum += f.result();
    benchmark::DoNotOptimize(sum);
    futures.clear();
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}
BENCHMARK(SmallTasks)
    ->ArgName("threshold")
    ->Arg(64 << 10)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

// main(): bench/main_with_init.cpp (concur::init first, for spawned workers).
