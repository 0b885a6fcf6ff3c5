// concur/executor.hpp - what every concur executor offers: the Executor
// concept. Generic code is written against it:
//
//   template <concur::Executor E>
//   int sum_of_squares(E& executor, const std::vector<int>& xs) {
//     int total = 0;
//     for (int y : executor.map([](int x) { return x * x; }, xs)) total += y;
//     return total;
//   }
//
// - submit(fn, args...) returns Future<R>; throws RuntimeError after
//   shutdown() and a BrokenExecutor subclass once the pool is broken.
//   submit(TaskOptions, fn, args...) adds per-task settings
//   (task_options.hpp).
// - map(fn, ranges..., MapOptions{}) submits every call before it returns and
//   yields the results in input order (map_result.hpp: MapOptions sets the
//   timeout, the chunksize and the buffersize).
// - shutdown(wait = true, cancel_futures = false); the destructor is
//   shutdown(true).
//
// The engines: ThreadPoolExecutor, ProcessPoolExecutor, and AnyExecutor
// (any_executor.hpp) for choosing one at run time. concur::by_value(lambda)
// marks a capturing lambda as safe to ship to a process.
#pragma once

#include <concepts>

#include "concur/by_value.hpp"
#include "concur/future.hpp"
#include "concur/map_result.hpp"
#include "concur/task_options.hpp"

namespace concur {

// Executor: the interface generic code is written against.
template <class E>
concept Executor = requires(E& executor, int (*fn)(int)) {
  { executor.submit(fn, 1) } -> std::same_as<Future<int>>;
  executor.shutdown();
  executor.shutdown(true, false);
};

}  // namespace concur
