// concur/asyncio/task.hpp - Task<T>: a coroutine scheduled on a loop
// (asyncio.Task), and AnyTask, a handle to a task of any result type.
//
//   auto task = concur::asyncio::create_task(compute(1, 2));   // runs from the next iteration
//   task.add_done_callback([](const concur::asyncio::Task<int>& t) { log(t.result()); });
//   int three = co_await task;          // waits, inside another task
//   task.cancel();                      // false: it is done
//
// A Task is a cheap, copyable handle; the loop owns the task itself until
// it is done. cancel() delivers CancelledError at the task's current
// co_await (and cancels what it awaits there); the coroutine may catch it.
// A task whose coroutine ends in CancelledError is cancelled; one that
// throws anything else is finished with that exception, which co_await and
// result() rethrow. An exception nobody asked for (through co_await,
// result() or exception()) is reported when the task is destroyed, to the
// exception handler (stderr by default), as Python's "Task exception was
// never retrieved". Handles belong to the loop's thread.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/asyncio/coroutine.hpp"
#include "concur/asyncio/event_loop.hpp"
#include "concur/detail/asyncio/loop_future.hpp"
#include "concur/detail/asyncio/task_base.hpp"
#include "concur/detail/state_ref.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio {

namespace detail {

// FutureAwaiter: how a task waits for a LoopFuture: it parks on it unless
// it is done already, and on resuming throws CancelledError if the task was
// cancelled there (or the future was), else the future's exception.
struct FutureAwaiter {
  LoopFuture& future;

  bool await_ready() const noexcept {
    const TaskBase* task = running_task();
    return future.done() && (task == nullptr || !task->has_cancel_pending());
  }
  void await_suspend(std::coroutine_handle<> resume) {
    TaskBase& task = running_task_or_throw("co_await");
    if (&future.loop() != &task.loop()) {
      throw RuntimeError("Task " + task.name() + " awaits a future attached to a different loop");
    }
    task.park_on(future, resume);
  }
  void await_resume() {
    TaskBase* task = running_task();
    if (task != nullptr && task->take_cancel()) throw CancelledError("the task was cancelled");
    if (future.cancelled()) throw CancelledError("the awaited future was cancelled");
    if (future.failed()) std::rethrow_exception(future.error());
  }
};

// TaskState<T>: a task of a Coroutine<T>, holding its result once done.
template <class T>
class TaskState final : public TaskBase {
 public:
  using Frame = typename Coroutine<T>::Handle;

  TaskState(EventLoop& loop, Frame frame, std::string name)
      : TaskBase(loop, frame, std::move(name)) {}

  T& value() noexcept { return *value_; }

 private:
  // The frame is destroyed by TaskBase once this has run.
  std::exception_ptr take_outcome() noexcept override {
    auto& promise = Frame::from_address(top().address()).promise();
    if (promise.error != nullptr) return promise.error;
    try {
      value_.emplace(std::move(*promise.value));
    } catch (...) {
      return std::current_exception();  // T's move threw
    }
    return nullptr;
  }

  std::optional<T> value_;
};

template <>
class TaskState<void> final : public TaskBase {
 public:
  using Frame = Coroutine<void>::Handle;

  TaskState(EventLoop& loop, Frame frame, std::string name)
      : TaskBase(loop, frame, std::move(name)) {}

 private:
  std::exception_ptr take_outcome() noexcept override {
    return Frame::from_address(top().address()).promise().error;
  }
};

// TaskRef: the counted reference both handle types share.
using TaskRef = concur::detail::StateRef<TaskBase>;

[[noreturn]] void throw_empty_task();

}  // namespace detail

// AnyTask: a handle to a task whatever its result type (what
// current_task() and all_tasks() return). Empty when default-made.
class AnyTask {
 public:
  AnyTask() = default;
  explicit AnyTask(detail::TaskRef ref) noexcept : ref_(std::move(ref)) {}

  bool valid() const noexcept { return ref_.get() != nullptr; }
  explicit operator bool() const noexcept { return valid(); }

  bool done() const { return base().done(); }
  bool cancelled() const { return base().cancelled(); }
  // cancel: asks the task to stop; false if it is done. See the file comment.
  bool cancel() { return base().cancel(); }
  int cancelling() const { return base().cancelling(); }
  int uncancel() { return base().uncancel(); }
  const std::string& get_name() const { return base().name(); }
  void set_name(std::string name) { base().set_name(std::move(name)); }
  EventLoop& get_loop() const { return base().loop(); }

  // exception: the task's exception (null if it returned); CancelledError
  // if cancelled; InvalidStateError("Exception is not set.") while pending.
  std::exception_ptr exception() const {
    detail::TaskBase& task = base();
    if (!task.done()) throw InvalidStateError("Exception is not set.");
    if (task.cancelled()) throw CancelledError("the task was cancelled");
    return task.take_error();
  }

  // Two handles are equal when they refer to the same task.
  friend bool operator==(const AnyTask& a, const AnyTask& b) noexcept {
    return a.ref_.get() == b.ref_.get();
  }

  detail::TaskBase* state() const noexcept { return ref_.get(); }

 protected:
  detail::TaskBase& base() const {
    if (ref_.get() == nullptr) detail::throw_empty_task();
    return *ref_.get();
  }
  detail::TaskRef ref_;
};

template <class T = void>
class Task : public AnyTask {
 public:
  using value_type = T;

  Task() = default;
  explicit Task(detail::TaskState<T>* adopted) noexcept : AnyTask(detail::TaskRef(adopted)) {}

  // result: the value (const T&, or nothing for Task<void>); rethrows the
  // task's exception; CancelledError if cancelled; InvalidStateError("Result
  // is not set.") while pending.
  decltype(auto) result() const {
    detail::TaskState<T>& task = checked_done();
    if constexpr (std::is_void_v<T>) {
      return;
    } else {
      return static_cast<const T&>(task.value());
    }
  }

  // add_done_callback: fn(const Task<T>&) runs on the loop once the task is
  // done (on the next iteration if it is already).
  template <class F>
  void add_done_callback(F fn) {
    static_assert(std::is_invocable_v<F&, const Task<T>&>,
                  "add_done_callback: the callback must be callable as fn(const Task<T>&)");
    base().add_user_callback([fn = std::move(fn), self = *this]() mutable { fn(self); });
  }

  // co_await task: waits for it, then yields its result (a copy, or the
  // value itself if T cannot be copied) or rethrows.
  auto operator co_await() const {
    struct Awaiter : detail::FutureAwaiter {
      detail::TaskState<T>* task;
      T await_resume() {
        detail::FutureAwaiter::await_resume();
        if constexpr (!std::is_void_v<T>) {
          if constexpr (std::is_copy_constructible_v<T>) {
            return task->value();
          } else {
            return std::move(task->value());
          }
        }
      }
    };
    detail::TaskState<T>& task = typed();
    task.mark_retrieved();
    return Awaiter{{task}, &task};
  }

 private:
  detail::TaskState<T>& typed() const { return static_cast<detail::TaskState<T>&>(base()); }
  detail::TaskState<T>& checked_done() const {
    detail::TaskState<T>& task = typed();
    if (!task.done()) throw InvalidStateError("Result is not set.");
    if (task.cancelled()) throw CancelledError("the task was cancelled");
    if (std::exception_ptr error = task.take_error()) std::rethrow_exception(error);
    return task;
  }
};

// --- EventLoop's task members -------------------------------------------------

template <class T>
Task<T> EventLoop::create_task(Coroutine<T> coroutine, std::string name) {
  check_open();
  if (!coroutine.valid()) throw ValueError("create_task: an empty Coroutine");
  auto* task = new detail::TaskState<T>(*this, coroutine.release(), std::move(name));
  Task<T> handle(task);  // takes the creation reference
  task->add_ref();       // the loop's, until the task is done
  adopt(*task);
  schedule(&detail::TaskBase::step_callback, task);
  return handle;
}

template <class T>
T EventLoop::run_until_complete(Coroutine<T> coroutine) {
  check_open();
  return run_until_complete(create_task(std::move(coroutine)));
}

template <class T>
T EventLoop::run_until_complete(Task<T> task) {
  check_open();
  if (&task.get_loop() != this) {
    throw ValueError("run_until_complete: the task belongs to a different loop");
  }
  detail::TaskBase& state = *task.state();
  const detail::Callback stop_when_done{[](void* loop) { static_cast<EventLoop*>(loop)->stop(); },
                                        this};
  state.add_callback(stop_when_done);
  try {
    run_forever();
  } catch (...) {
    state.remove_callback(this);
    throw;
  }
  state.remove_callback(this);
  if (!task.done()) throw RuntimeError("Event loop stopped before Future completed.");
  if constexpr (std::is_void_v<T>) {
    task.result();
  } else if constexpr (std::is_copy_constructible_v<T>) {
    return task.result();
  } else {
    task.result();  // rethrows, if it failed
    return std::move(static_cast<detail::TaskState<T>*>(task.state())->value());
  }
}

// --- Free functions ------------------------------------------------------------

// create_task: on the running loop (RuntimeError outside one).
template <class T>
Task<T> create_task(Coroutine<T> coroutine, std::string name = {}) {
  return get_running_loop().create_task(std::move(coroutine), std::move(name));
}

// current_task: the task running in this thread; empty outside a task.
AnyTask current_task();

// all_tasks: the unfinished tasks of the running loop (or of `loop`).
std::vector<AnyTask> all_tasks();
std::vector<AnyTask> all_tasks(const EventLoop& loop);

}  // namespace concur::asyncio
