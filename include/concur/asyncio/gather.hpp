// concur/asyncio/gather.hpp - gather: run awaitables concurrently, collect
// their results in order (asyncio.gather).
//
//   auto [a, b] = co_await gather(fetch("x"), fetch("y"));       // a tuple
//   std::vector<int> all = co_await gather(std::move(coroutines)); // a range
//   auto outcomes = co_await gather(work(), fail(), GatherOptions{.return_exceptions = true});
//   // std::variant<int, std::exception_ptr> each (std::monostate for void)
//
// Each argument is a Coroutine (made a task at once, on the running loop)
// or a Task. Without return_exceptions the first task to fail - or to be
// cancelled - ends the gather with that exception (CancelledError); the
// others go on. With it, every task's outcome is an element. Cancelling
// the gather (the awaiting task being cancelled) cancels every task that
// is not done, and the awaiter gets CancelledError. A void task's element
// is std::monostate. Results are copied out of the tasks (moved, for types
// that cannot be copied).
#pragma once

#include <cstddef>
#include <exception>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "concur/asyncio/coroutine.hpp"
#include "concur/asyncio/task.hpp"
#include "concur/detail/asyncio/group_future.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio {

struct GatherOptions {
  // return_exceptions: failures become elements instead of ending the gather.
  bool return_exceptions = false;
};

namespace detail {

// Awaitable traits: what a gather argument becomes, and its result.
template <class A>
struct awaitable_task;
template <class T>
struct awaitable_task<Coroutine<T>> {
  using type = T;
};
template <class T>
struct awaitable_task<Task<T>> {
  using type = T;
};
template <class A>
using awaitable_result_t = typename awaitable_task<std::remove_cvref_t<A>>::type;

// as_task: a Coroutine is consumed (made a task); a Task is shared.
template <class T>
Task<T> as_task(Coroutine<T>& coroutine) {
  return create_task(std::move(coroutine));
}
template <class T>
Task<T> as_task(Coroutine<T>&& coroutine) {
  return create_task(std::move(coroutine));
}
template <class T>
Task<T> as_task(const Task<T>& task) {
  return task;
}

template <class T>
using element_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// value_of: a done, successful task's result as an element.
template <class T>
element_t<T> value_of(TaskBase& task) {
  if constexpr (std::is_void_v<T>) {
    return std::monostate{};
  } else if constexpr (std::is_copy_constructible_v<T>) {
    return static_cast<TaskState<T>&>(task).value();
  } else {
    return std::move(static_cast<TaskState<T>&>(task).value());
  }
}

// outcome_of: value_of, or its exception (CancelledError if cancelled).
template <class T>
std::variant<element_t<T>, std::exception_ptr> outcome_of(TaskBase& task) {
  if (task.cancelled()) {
    return std::make_exception_ptr(CancelledError("the task was cancelled"));
  }
  if (std::exception_ptr error = task.take_error()) return error;
  return value_of<T>(task);
}

// Gathering: gather's future (CPython's _GatheringFuture).
class Gathering final : public GroupFuture {
 public:
  static constexpr bool kMarksRetrieved = true;
  Gathering(EventLoop& loop, bool return_exceptions)
      : GroupFuture(loop), return_exceptions_(return_exceptions) {}
  bool cancel() override;

 private:
  void on_done(std::size_t i) override;

  std::size_t finished_ = 0;
  bool return_exceptions_;
  bool cancel_requested_ = false;
};

// gather_tasks: the coroutine behind both forms: waits for the group,
// then `collect` builds the result from the done tasks.
template <class Result, class Collect>
Coroutine<Result> gather_tasks(std::vector<TaskRef> tasks, bool return_exceptions,
                               Collect collect) {
  EventLoop& loop = get_running_loop();
  GroupRef<Gathering> group(new Gathering(loop, return_exceptions));
  group->watch(std::move(tasks));
  if (group->size() == 0) co_return collect(*group);
  co_await FutureAwaiter{*group};
  co_return collect(*group);
}

template <class... A>
constexpr bool ends_with_options() {
  if constexpr (sizeof...(A) == 0) {
    return false;
  } else {
    return std::is_same_v<
        std::remove_cvref_t<std::tuple_element_t<sizeof...(A) - 1, std::tuple<A...>>>,
        GatherOptions>;
  }
}

// gather_typed: the tuple form. With options, the elements are outcomes
// (variants); without, plain values.
template <bool kOutcomes, class... T, std::size_t... I>
auto gather_typed(bool return_exceptions, std::index_sequence<I...>, Task<T>... tasks) {
  std::vector<TaskRef> refs;
  refs.reserve(sizeof...(T));
  (tasks.state()->add_ref(), ...);
  (refs.push_back(TaskRef(tasks.state())), ...);
  if constexpr (kOutcomes) {
    using Result = std::tuple<std::variant<element_t<T>, std::exception_ptr>...>;
    return gather_tasks<Result>(std::move(refs), return_exceptions, [](Gathering& group) {
      return Result(outcome_of<T>(group.task(I))...);
    });
  } else {
    // Only reached when every task succeeded.
    using Result = std::tuple<element_t<T>...>;
    return gather_tasks<Result>(std::move(refs), false, [](Gathering& group) {
      return Result(value_of<T>(group.task(I))...);
    });
  }
}

template <bool kOutcomes, class... A, std::size_t... I>
auto gather_arguments(bool return_exceptions, std::tuple<A...>&& awaitables,
                      std::index_sequence<I...> order) {
  // Made tasks left to right, as Python schedules them.
  std::tuple<Task<awaitable_result_t<A>>...> tasks{as_task(std::get<I>(std::move(awaitables)))...};
  return gather_typed<kOutcomes>(return_exceptions, order, std::get<I>(tasks)...);
}

}  // namespace detail

// gather(awaitables...[, GatherOptions]): a Coroutine of a std::tuple.
// Without GatherOptions the elements are the results; with it, each is a
// std::variant<result, std::exception_ptr>.
template <class... A>
auto gather(A&&... args) {
  if constexpr (detail::ends_with_options<A...>()) {
    auto all = std::forward_as_tuple(std::forward<A>(args)...);
    constexpr std::size_t n = sizeof...(A) - 1;
    const GatherOptions options = std::get<n>(all);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return detail::gather_arguments<true>(
          options.return_exceptions,
          std::tuple<std::remove_cvref_t<std::tuple_element_t<I, std::tuple<A...>>>...>(
              std::get<I>(std::move(all))...),
          std::make_index_sequence<n>());
    }
    (std::make_index_sequence<n>());
  } else {
    return detail::gather_arguments<false>(
        false, std::tuple<std::remove_cvref_t<A>...>(std::forward<A>(args)...),
        std::index_sequence_for<A...>());
  }
}

// gather(range): a Coroutine of a std::vector of results, in order; the
// range holds Coroutines (moved out of it) or Tasks of one type.
template <std::ranges::input_range Range>
requires(!std::is_same_v<std::remove_cvref_t<Range>, GatherOptions>) auto gather(
    Range&& awaitables) {
  using A = std::ranges::range_value_t<std::remove_cvref_t<Range>>;
  using T = detail::awaitable_result_t<A>;
  std::vector<detail::TaskRef> refs;
  for (auto&& awaitable : awaitables) {
    Task<T> task = detail::as_task(awaitable);
    task.state()->add_ref();
    refs.push_back(detail::TaskRef(task.state()));
  }
  return detail::gather_tasks<std::vector<detail::element_t<T>>>(
      std::move(refs), false, [](detail::Gathering& group) {
        std::vector<detail::element_t<T>> results;
        results.reserve(group.size());
        for (std::size_t i = 0; i < group.size(); ++i)
          results.push_back(detail::value_of<T>(group.task(i)));
        return results;
      });
}

// gather(range, GatherOptions): a vector of outcomes (variants).
template <std::ranges::input_range Range>
auto gather(Range&& awaitables, GatherOptions options) {
  using A = std::ranges::range_value_t<std::remove_cvref_t<Range>>;
  using T = detail::awaitable_result_t<A>;
  using Outcome = std::variant<detail::element_t<T>, std::exception_ptr>;
  std::vector<detail::TaskRef> refs;
  for (auto&& awaitable : awaitables) {
    Task<T> task = detail::as_task(awaitable);
    task.state()->add_ref();
    refs.push_back(detail::TaskRef(task.state()));
  }
  return detail::gather_tasks<std::vector<Outcome>>(
      std::move(refs), options.return_exceptions, [](detail::Gathering& group) {
        std::vector<Outcome> results;
        results.reserve(group.size());
        for (std::size_t i = 0; i < group.size(); ++i)
          results.push_back(detail::outcome_of<T>(group.task(i)));
        return results;
      });
}

}  // namespace concur::asyncio
