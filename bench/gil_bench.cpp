// The GIL emulator's costs: tick() with no drop request pending (the eval
// loop's check point: target <= 2 ns), under each policy, and an
// uncontended acquire + release.
//
//   ./build/bench/bench/concur_bench_gil --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include "concur/gil.hpp"

namespace {

using concur::gil::Gil;
using concur::gil::Policy;

void Tick(benchmark::State& state, Policy policy) {
  Gil gil({.policy = policy});
  concur::gil::Held hold(gil);
  for (auto _ : state) {
    gil.tick();
    benchmark::ClobberMemory();
  }
}
BENCHMARK_CAPTURE(Tick, modern, Policy::modern);
BENCHMARK_CAPTURE(Tick, legacy, Policy::legacy);
BENCHMARK_CAPTURE(Tick, none, Policy::none);

void AcquireRelease(benchmark::State& state, Policy policy) {
  Gil gil({.policy = policy});
  for (auto _ : state) {
    gil.acquire();
    gil.release();
  }
}
BENCHMARK_CAPTURE(AcquireRelease, modern, Policy::modern);
BENCHMARK_CAPTURE(AcquireRelease, legacy, Policy::legacy);
BENCHMARK_CAPTURE(AcquireRelease, none, Policy::none);

}  // namespace

BENCHMARK_MAIN();
