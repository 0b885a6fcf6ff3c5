// main() for the benchmarks that start process pools: concur::init first,
// where a spawned worker re-enters the program and diverts into its loop.
#include <benchmark/benchmark.h>

#include "concur/process_pool_executor.hpp"

int main(int argc, char** argv) {
  concur::init(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
