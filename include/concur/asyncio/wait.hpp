// concur/asyncio/wait.hpp - wait, wait_for, shield and as_completed
// (asyncio.wait, asyncio.wait_for, asyncio.shield, asyncio.as_completed).
//
//   auto [done, pending] = co_await wait(tasks, 1s, ReturnWhen::first_completed);
//   int x = co_await wait_for(fetch(), 500ms);       // TimeoutError, fetch cancelled
//   int y = co_await shield(task);                   // cancelling us leaves task running
//   for (auto next : as_completed(tasks)) int z = co_await next;   // in completion order
//
// - wait(tasks[, timeout][, when]): waits until the condition holds
//   (concur::ReturnWhen, all_completed by default) or the timeout passes,
//   and returns {done, pending}, the distinct tasks split; never throws on
//   a timeout and never cancels. ValueError for no tasks.
// - wait_for(awaitable, timeout): its result, or - once the timeout passes
//   - it is cancelled, waited for until it has finished cancelling, and
//   TimeoutError is thrown (3.12's implementation, through the awaiting
//   task's own cancellation, so a cancellation from elsewhere still comes
//   through as CancelledError).
// - shield(awaitable): as awaiting it, except that cancelling the awaiter
//   does not cancel it: the awaiter gets CancelledError, it goes on.
// - as_completed(awaitables[, timeout]): a range of awaitables, one per
//   task; each yields the next task to complete (its result, or rethrows);
//   past the timeout, the next one throws TimeoutError. Keep the range
//   alive while awaiting its elements.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <iterator>
#include <optional>
#include <ranges>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "concur/asyncio/coroutine.hpp"
#include "concur/asyncio/event_loop.hpp"
#include "concur/asyncio/gather.hpp"
#include "concur/asyncio/task.hpp"
#include "concur/detail/asyncio/group_future.hpp"
#include "concur/detail/deadline.hpp"
#include "concur/errors.hpp"
#include "concur/future.hpp"

namespace concur::asyncio {

using concur::ReturnWhen;

namespace detail {

class Waiting final : public GroupFuture {
 public:
  static constexpr bool kMarksRetrieved = false;
  Waiting(EventLoop& loop, ReturnWhen when) : GroupFuture(loop), when_(when) {}
  void time_out() {
    if (!done()) finish();
  }

 private:
  void on_done(std::size_t i) override;
  ReturnWhen when_;
  std::size_t finished_ = 0;
};

// TimerGuard: cancels a timer when the coroutine leaves its scope.
struct TimerGuard {
  TimerHandle timer;
  ~TimerGuard() { timer.cancel(); }
};

template <class T, class Range>
std::vector<Task<T>> distinct_tasks(Range&& tasks) {
  std::vector<Task<T>> out;
  std::unordered_set<const void*> seen;
  for (const Task<T>& task : tasks) {
    if (!task.valid()) throw_empty_task();
    if (seen.insert(task.state()).second) out.push_back(task);
  }
  return out;
}

template <class T>
Coroutine<std::pair<std::vector<Task<T>>, std::vector<Task<T>>>> wait_tasks(
    std::vector<Task<T>> tasks, concur::detail::Deadline deadline, ReturnWhen when) {
  EventLoop& loop = get_running_loop();
  GroupRef<Waiting> group(new Waiting(loop, when));
  std::vector<TaskRef> refs;
  for (Task<T>& task : tasks) {
    task.state()->add_ref();
    refs.push_back(TaskRef(task.state()));
  }
  group->watch(std::move(refs));
  TimerGuard guard;
  if (deadline != concur::detail::kNoDeadline) {
    Waiting* waiting = &*group;
    guard.timer = loop.call_at(deadline, [waiting] { waiting->time_out(); });
  }
  co_await FutureAwaiter{*group};
  std::pair<std::vector<Task<T>>, std::vector<Task<T>>> split;
  for (Task<T>& task : tasks)
    (task.done() ? split.first : split.second).push_back(task);
  co_return split;
}

template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<Task<T>> : std::true_type {};

// TaskRange: a range of asyncio Tasks (what wait takes).
template <class Range>
concept TaskRange = std::ranges::input_range<Range> &&
    is_task<std::remove_cvref_t<std::ranges::range_reference_t<Range>>>::value;

template <class Range>
using range_task_result_t =
    typename std::remove_cvref_t<std::ranges::range_reference_t<Range>>::value_type;

}  // namespace detail

// wait: see the file comment.
template <detail::TaskRange Range>
auto wait(Range&& tasks, ReturnWhen when = ReturnWhen::all_completed) {
  using T = detail::range_task_result_t<Range>;
  std::vector<Task<T>> distinct = detail::distinct_tasks<T>(tasks);
  if (distinct.empty()) throw ValueError("Set of Tasks/Futures is empty.");
  return detail::wait_tasks<T>(std::move(distinct), concur::detail::kNoDeadline, when);
}

template <detail::TaskRange Range, class Rep, class Period>
auto wait(Range&& tasks, std::chrono::duration<Rep, Period> timeout,
          ReturnWhen when = ReturnWhen::all_completed) {
  using T = detail::range_task_result_t<Range>;
  std::vector<Task<T>> distinct = detail::distinct_tasks<T>(tasks);
  if (distinct.empty()) throw ValueError("Set of Tasks/Futures is empty.");
  return detail::wait_tasks<T>(std::move(distinct), concur::detail::deadline_after(timeout), when);
}

// wait_for: see the file comment.
template <class A, class Rep, class Period>
Coroutine<detail::awaitable_result_t<A>> wait_for(A awaitable,
                                                  std::chrono::duration<Rep, Period> timeout) {
  detail::TaskBase& task = detail::running_task_or_throw("wait_for");
  bool expired = false;
  detail::TimerGuard guard{
      get_running_loop().call_at(concur::detail::deadline_after(timeout), [&task, &expired] {
        expired = true;
        task.cancel();
      })};
  try {
    if constexpr (std::is_void_v<detail::awaitable_result_t<A>>) {
      co_await std::move(awaitable);
      co_return;
    } else {
      co_return co_await std::move(awaitable);
    }
  } catch (const CancelledError&) {
    // Ours only if the timer fired and no one else asked for it too.
    if (!expired || task.uncancel() != 0) throw;
  }
  throw TimeoutError("wait_for: the timeout passed; the awaitable was cancelled");
}

namespace detail {

class Shielding final : public GroupFuture {
 public:
  static constexpr bool kMarksRetrieved = true;
  explicit Shielding(EventLoop& loop) : GroupFuture(loop) {}

 private:
  void on_done(std::size_t) override {
    if (!done()) finish();
  }
};

}  // namespace detail

// shield: see the file comment.
template <class A>
Coroutine<detail::awaitable_result_t<A>> shield(A awaitable) {
  using T = detail::awaitable_result_t<A>;
  Task<T> inner = detail::as_task(awaitable);
  if (!inner.done()) {
    detail::GroupRef<detail::Shielding> outer(new detail::Shielding(inner.get_loop()));
    inner.state()->add_ref();
    std::vector<detail::TaskRef> refs;
    refs.push_back(detail::TaskRef(inner.state()));
    outer->watch(std::move(refs));
    co_await detail::FutureAwaiter{*outer};
  }
  if constexpr (std::is_void_v<T>) {
    inner.result();
  } else {
    inner.result();  // rethrows, or CancelledError
    co_return detail::value_of<T>(*inner.state());
  }
}

namespace detail {

class Completion final : public GroupFuture {
 public:
  static constexpr bool kMarksRetrieved = false;
  explicit Completion(EventLoop& loop) : GroupFuture(loop) {}

  std::deque<std::size_t> ready;
  std::optional<ValueFuture<void>> signal;
  bool timed_out = false;

  void time_out() {
    timed_out = true;
    if (signal && !signal->done()) signal->set_result();
  }

 private:
  void on_done(std::size_t i) override {
    ready.push_back(i);
    if (signal && !signal->done()) signal->set_result();
  }
};

template <class T>
Coroutine<T> next_completed(Completion& completion) {
  while (completion.ready.empty()) {
    if (completion.timed_out) throw TimeoutError("as_completed: the timeout passed");
    completion.signal.emplace(completion.loop());
    co_await FutureAwaiter{*completion.signal};
  }
  const std::size_t i = completion.ready.front();
  completion.ready.pop_front();
  TaskBase& task = completion.task(i);
  if (task.cancelled()) throw CancelledError("the task was cancelled");
  if (std::exception_ptr error = task.take_error()) std::rethrow_exception(error);
  if constexpr (std::is_void_v<T>) {
    co_return;
  } else {
    co_return value_of<T>(task);
  }
}

// distinct_refs: the awaitables as tasks (Coroutines made tasks), each
// once, in first-seen order.
template <class T, class Range>
std::vector<TaskRef> distinct_refs(Range& awaitables) {
  std::vector<TaskRef> refs;
  std::unordered_set<const void*> seen;
  for (auto&& awaitable : awaitables) {
    Task<T> task = as_task(awaitable);
    if (!seen.insert(task.state()).second) continue;
    task.state()->add_ref();
    refs.push_back(TaskRef(task.state()));
  }
  return refs;
}

}  // namespace detail

// AsCompleted<T>: the range as_completed returns. Not copyable or movable.
template <class T>
class AsCompleted {
 public:
  AsCompleted(EventLoop& loop, std::vector<detail::TaskRef> tasks,
              concur::detail::Deadline deadline)
      : group_(new detail::Completion(loop)) {
    group_->watch(std::move(tasks));
    if (deadline != concur::detail::kNoDeadline) {
      detail::Completion* completion = &*group_;
      timer_.timer = loop.call_at(deadline, [completion] { completion->time_out(); });
    }
  }
  AsCompleted(const AsCompleted&) = delete;
  AsCompleted& operator=(const AsCompleted&) = delete;

  class iterator {
   public:
    using value_type = Coroutine<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(AsCompleted* range, std::size_t at) : range_(range), at_(at) {}
    Coroutine<T> operator*() const { return detail::next_completed<T>(*range_->group_); }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    void operator++(int) { ++at_; }
    bool operator==(const iterator& other) const noexcept { return at_ == other.at_; }

   private:
    AsCompleted* range_ = nullptr;
    std::size_t at_ = 0;
  };

  iterator begin() { return iterator(this, 0); }
  iterator end() { return iterator(this, group_->size()); }
  std::size_t size() const { return group_->size(); }

 private:
  detail::GroupRef<detail::Completion> group_;
  detail::TimerGuard timer_;  // destroyed first
};

template <std::ranges::input_range Range>
auto as_completed(Range&& awaitables) {
  using A = std::ranges::range_value_t<std::remove_cvref_t<Range>>;
  using T = detail::awaitable_result_t<A>;
  std::vector<detail::TaskRef> refs = detail::distinct_refs<T>(awaitables);
  return AsCompleted<T>(get_running_loop(), std::move(refs), concur::detail::kNoDeadline);
}

template <std::ranges::input_range Range, class Rep, class Period>
auto as_completed(Range&& awaitables, std::chrono::duration<Rep, Period> timeout) {
  using A = std::ranges::range_value_t<std::remove_cvref_t<Range>>;
  using T = detail::awaitable_result_t<A>;
  std::vector<detail::TaskRef> refs = detail::distinct_refs<T>(awaitables);
  return AsCompleted<T>(get_running_loop(), std::move(refs),
                        concur::detail::deadline_after(timeout));
}

}  // namespace concur::asyncio
