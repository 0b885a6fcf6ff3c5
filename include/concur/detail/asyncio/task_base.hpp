// concur/detail/asyncio/task_base.hpp - the state behind a Task: a
// LoopFuture that drives a coroutine. Not API; see concur/asyncio/task.hpp.
//
// A task runs in steps, as CPython's Task.__step: the loop resumes the
// coroutine where it last suspended; it runs until it awaits something
// that is not done - it then parks on it (park_on) and the future's
// completion schedules the next step - or until it returns.
//
// Cancellation, as CPython's: cancel() counts a request and cancels what
// the task is parked on, whose completion then wakes the task with
// CancelledError at that co_await; if the task is not parked (it is
// scheduled to run, or has not started), the next step delivers it.
// cancelling() is the number of requests, uncancel() takes one back.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "concur/detail/asyncio/loop_future.hpp"

namespace concur::asyncio::detail {

class TaskBase : public LoopFuture {
 public:
  TaskBase(EventLoop& loop, std::coroutine_handle<> top, std::string name);
  ~TaskBase() override;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release_ref() noexcept {
    // acq_rel: the last owner sees every other owner's writes.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  bool cancel() override;
  int cancelling() const noexcept { return cancel_requests_; }
  int uncancel() noexcept;

  // name: as given, or "Task-<n>" - made only when asked for, since most
  // tasks are never asked their name.
  const std::string& name() const;
  void set_name(std::string name) { name_ = std::move(name); }

  // park_on: the awaiter at `resume` waits for `future`; its completion
  // schedules the next step.
  void park_on(LoopFuture& future, std::coroutine_handle<> resume);
  // park_ready: the awaiter at `resume` runs again on the next iteration
  // (sleep(0)).
  void park_ready(std::coroutine_handle<> resume);
  // take_cancel: whether this step must throw CancelledError where the
  // coroutine resumed (the awaiter asks in await_resume).
  bool take_cancel() noexcept;
  // has_cancel_pending: a cancellation will be delivered at the next
  // suspension, so an awaiter must not skip suspending.
  bool has_cancel_pending() const noexcept { return must_cancel_; }

  // The outcome, for Task<T>: each marks the exception as retrieved.
  std::exception_ptr take_error() noexcept;
  void mark_retrieved() noexcept { retrieved_ = true; }

  // add_user_callback: fn() scheduled on the loop once the task is done (at
  // once if it is).
  void add_user_callback(std::function<void()> fn);

  // destroy_frame: for the loop's destructor: the coroutine is destroyed
  // where it is suspended (its destructors run); the task ends cancelled,
  // and its loop is gone from then on.
  void destroy_frame() noexcept;

  // The loop's list of unfinished tasks.
  TaskBase* prev_in_loop = nullptr;
  TaskBase* next_in_loop = nullptr;

  static void step_callback(void* self) noexcept;

 protected:
  // take_outcome: the coroutine returned: move its result (or exception)
  // out of its promise into this task. Returns its exception, if any.
  virtual std::exception_ptr take_outcome() noexcept = 0;
  // top: the task's own coroutine frame (null once it has returned).
  std::coroutine_handle<> top() const noexcept { return top_; }

 private:
  void step() noexcept;
  void end_step() noexcept;
  void finish_from_frame() noexcept;
  void fail_bad_yield() noexcept;

  std::atomic<int> refs_{1};
  std::coroutine_handle<> top_;     // the task's own coroutine
  std::coroutine_handle<> resume_;  // where it suspended last
  LoopFuture* waiting_on_ = nullptr;
  std::vector<std::function<void()>> user_callbacks_;
  mutable std::string name_;  // empty until named or asked for
  unsigned long number_;      // the n of "Task-<n>"
  int cancel_requests_ = 0;
  bool must_cancel_ = false;     // deliver CancelledError at the next step
  bool deliver_cancel_ = false;  // this step delivers it
  bool started_ = false;
  bool parked_ = false;     // this step ended in one of park_on / park_ready
  bool retrieved_ = false;  // its exception was asked for (or awaited)
  bool orphaned_ = false;   // its loop was destroyed
};

// The task whose step is running in this thread, or null.
TaskBase* running_task() noexcept;
TaskBase& running_task_or_throw(const char* what);

// next_task_number: the n of a default "Task-<n>", counting process-wide.
unsigned long next_task_number() noexcept;

}  // namespace concur::asyncio::detail
