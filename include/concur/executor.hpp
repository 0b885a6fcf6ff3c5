// concur/executor.hpp - what every concur executor offers, and MapOptions.
//
// An executor runs callables somewhere else and hands back Futures:
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
// - map(fn, ranges..., MapOptions{}) submits every call before it returns and
//   yields the results in input order (see MapResult).
// - shutdown(wait = true, cancel_futures = false); the destructor is
//   shutdown(true).
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>

#include "concur/future.hpp"

namespace concur {

// MapOptions: how map() runs.
struct MapOptions {
  // timeout: the whole map's deadline, counted from the call; none = forever.
  std::optional<std::chrono::nanoseconds> timeout = std::nullopt;
  // chunksize: how many items one task handles (>= 1; ValueError otherwise).
  // Larger chunks trade cancellability for throughput.
  std::size_t chunksize = 1;
};

// Executor: the interface generic code is written against.
template <class E>
concept Executor = requires(E& executor, int (*fn)(int)) {
  { executor.submit(fn, 1) } -> std::same_as<Future<int>>;
  executor.shutdown();
  executor.shutdown(true, false);
};

}  // namespace concur
