// concur/detail/submit.hpp - submit() written once for every executor that
// takes a ready-made task (post_task), and map() once for every executor.
// Not API.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "concur/detail/deadline.hpp"
#include "concur/detail/executor_access.hpp"
#include "concur/detail/task.hpp"
#include "concur/errors.hpp"
#include "concur/future.hpp"
#include "concur/map_result.hpp"

namespace concur::detail {

// submit_task: fuses fn(args...) with its future in one allocation and
// hands it to the executor's post_task(); returns the future.
template <class E, class F, class... Args>
auto submit_task(E& executor, F&& fn, Args&&... args) {
  using R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>;
  auto* task = new Task<R, std::decay_t<F>, std::decay_t<Args>...>(std::forward<F>(fn),
                                                                   std::forward<Args>(args)...);
  StateRef<FutureState<R>> state(task);
  Future<R> future = make_future<R>(state);
  task->add_ref();  // the executor's reference, dropped once it has run
  ExecutorAccess::post_task(executor, task);
  return future;
}

// for_each_zipped (and zip_loop, its loop): visit(elements...) at each
// position of the ranges in step, stopping at the end of the shortest one
// (Python's zip()).
template <class Visit, class Iterators, class Ends, std::size_t... I>
void zip_loop(Visit& visit, Iterators iterators, Ends ends, std::index_sequence<I...>) {
  while (((std::get<I>(iterators) != std::get<I>(ends)) && ...)) {
    visit(*std::get<I>(iterators)...);
    (++std::get<I>(iterators), ...);
  }
}

template <class Visit, class... Ranges>
void for_each_zipped(Visit&& visit, Ranges&&... ranges) {
  zip_loop(visit, std::make_tuple(std::ranges::begin(ranges)...),
           std::make_tuple(std::ranges::end(ranges)...), std::index_sequence_for<Ranges...>());
}

// MapChunk: one task of a map(): fn over a batch of argument tuples. A
// named type (not a lambda) so a process pool can ship the fn inside it.
// A fn returning void yields std::monostate, one per call (Python's None).
template <class F, class R, class Args>
struct MapChunk {
  F fn;
  std::vector<R> operator()(std::vector<Args>& items) const {
    std::vector<R> out;
    out.reserve(items.size());
    for (auto& item : items) {
      if constexpr (std::is_void_v<decltype(std::apply(fn, item))>) {
        std::apply(fn, item);
        out.emplace_back();
      } else {
        out.push_back(std::apply(fn, item));
      }
    }
    return out;
  }
};

// map_value_t: what map() yields for a call returning Called.
template <class Called>
using map_value_t = std::conditional_t<std::is_void_v<Called>, std::monostate, Called>;

// LazyZip: the zipped input ranges of a map() with a buffersize, read a
// chunk at a time as the results are consumed (Python 3.14 pauses its
// iteration over the inputs the same way), so an endless range works. An
// lvalue range is referred to (it must outlive the result), an rvalue one
// moved in: Ranges are the forwarding types, T& or T. (Not std::views::all:
// Clang 14 cannot check libstdc++ 12's view concepts.) Shared and never
// moved: the positions point into the ranges.
template <class Args, class... Ranges>
class LazyZip {
 public:
  template <class... Given>
  explicit LazyZip(Given&&... ranges)
      : ranges_(std::forward<Given>(ranges)...),
        positions_(begins(std::index_sequence_for<Ranges...>())) {}
  LazyZip(const LazyZip&) = delete;
  LazyZip& operator=(const LazyZip&) = delete;

  // next_chunk: up to `size` argument tuples; empty once a range has ended.
  std::vector<Args> next_chunk(std::size_t size) {
    std::vector<Args> chunk;
    fill(chunk, size, std::index_sequence_for<Ranges...>());
    return chunk;
  }

 private:
  template <std::size_t... I>
  auto begins(std::index_sequence<I...>) {
    return std::make_tuple(std::ranges::begin(std::get<I>(ranges_))...);
  }
  template <std::size_t... I>
  void fill(std::vector<Args>& chunk, std::size_t size, std::index_sequence<I...>) {
    while (chunk.size() < size &&
           ((std::get<I>(positions_) != std::ranges::end(std::get<I>(ranges_))) && ...)) {
      chunk.emplace_back(*std::get<I>(positions_)...);
      (++std::get<I>(positions_), ...);
    }
  }

  std::tuple<Ranges...> ranges_;
  std::tuple<std::ranges::iterator_t<std::remove_reference_t<Ranges>>...> positions_;
};

// map_buffered: map_ranges with a buffersize: the inputs are read, and the
// chunks submitted, as the result range asks for them. Once a concur
// executor is destroyed, the next chunk throws RuntimeError instead of
// submitting to it (see executor_lifetime.hpp).
template <class R, class Args, class E, class F, class... Ranges>
MapResult<R> map_buffered(E& executor, F fn, const MapOptions& options, Deadline deadline,
                          Ranges&&... ranges) {
  auto inputs = std::make_shared<LazyZip<Args, Ranges...>>(std::forward<Ranges>(ranges)...);
  typename MapResult<R>::Feed feed =
      [&executor, fn, inputs, chunksize = options.chunksize,
       lifetime = lifetime_of(executor)]() -> std::optional<Future<std::vector<R>>> {
    std::optional<Future<std::vector<R>>> next;
    auto submit_next = [&] {
      std::vector<Args> chunk = inputs->next_chunk(chunksize);
      if (!chunk.empty()) next = executor.submit(MapChunk<F, R, Args>{fn}, std::move(chunk));
    };
    if (!lifetime) {
      submit_next();
    } else if (!lifetime->run_if_alive(submit_next)) {
      throw RuntimeError(
          "map(): the executor of this result has been destroyed; a map() with a buffersize "
          "submits its calls as its results are read, so its result must not outlive the "
          "executor");
    }
    return next;
  };
  return MapResult<R>(std::move(feed), *options.buffersize, deadline);
}

// map_ranges: fn over the zipped ranges, in chunks of options.chunksize
// items, every chunk submitted before it returns.
template <class E, class F, class... Ranges>
auto map_ranges(E& executor, F fn, const MapOptions& options, Ranges&&... ranges) {
  using R = map_value_t<std::invoke_result_t<F&, std::ranges::range_reference_t<Ranges>...>>;
  if (options.chunksize < 1) throw ValueError("chunksize must be >= 1");
  const detail::Deadline deadline =
      options.timeout ? detail::deadline_after(*options.timeout) : detail::kNoDeadline;
  using Args = std::tuple<std::remove_cvref_t<std::ranges::range_reference_t<Ranges>>...>;
  if (options.buffersize && *options.buffersize < 1) {
    throw ValueError("buffersize must be None or > 0");
  }
  // No input ranges: Python's zip() of nothing is empty, so is the result.
  if constexpr (sizeof...(Ranges) == 0) {
    return MapResult<R>(std::vector<Future<std::vector<R>>>(), deadline);
  } else {
    if (options.buffersize) {
      return map_buffered<R, Args>(executor, std::move(fn), options, deadline,
                                   std::forward<Ranges>(ranges)...);
    }
    std::vector<Future<std::vector<R>>> chunks;
    std::vector<Args> chunk;
    auto submit_chunk = [&] {
      chunks.push_back(executor.submit(MapChunk<F, R, Args>{fn}, std::move(chunk)));
      chunk.clear();
    };
    for_each_zipped(
        [&](auto&&... items) {
          chunk.emplace_back(std::forward<decltype(items)>(items)...);
          if (chunk.size() == options.chunksize) submit_chunk();
        },
        ranges...);
    if (!chunk.empty()) submit_chunk();
    return MapResult<R>(std::move(chunks), deadline);
  }
}

// map_calls: Executor::map - the ranges, then optionally MapOptions last.
template <class E, class F, class... RangesAndOptions>
auto map_calls(E& executor, F fn, RangesAndOptions&&... args) {
  if constexpr (std::is_same_v<std::remove_cvref_t<decltype((args, ...))>, MapOptions>) {
    auto all = std::forward_as_tuple(std::forward<RangesAndOptions>(args)...);
    constexpr std::size_t n = sizeof...(RangesAndOptions) - 1;
    // get<I> of the moved tuple: each range keeps its value category.
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return map_ranges(executor, std::move(fn), std::get<n>(all), std::get<I>(std::move(all))...);
    }
    (std::make_index_sequence<n>());
  } else {
    return map_ranges(executor, std::move(fn), MapOptions{},
                      std::forward<RangesAndOptions>(args)...);
  }
}

}  // namespace concur::detail
