// concur/asyncio/sleep.hpp - sleep(delay): asyncio.sleep.
//
//   co_await concur::asyncio::sleep(100ms);   // other tasks run meanwhile
//   co_await concur::asyncio::sleep(0s);      // yield: the others run first
//
// Any duration; zero or negative yields for one iteration, a huge one
// sleeps for ever rather than overflow. Cancelling the sleeping task
// raises CancelledError at the co_await and drops the timer.
#pragma once

#include <chrono>
#include <coroutine>
#include <optional>

#include "concur/asyncio/event_loop.hpp"
#include "concur/asyncio/handle.hpp"
#include "concur/detail/asyncio/loop_future.hpp"
#include "concur/detail/asyncio/task_base.hpp"
#include "concur/detail/deadline.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio {

namespace detail {

class SleepAwaiter {
 public:
  explicit SleepAwaiter(concur::detail::Deadline until, bool yield_only) noexcept
      : until_(until), yield_only_(yield_only) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter() { timer_.cancel(); }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> resume) {
    TaskBase& task = running_task_or_throw("sleep");
    if (yield_only_) {
      task.park_ready(resume);
      return;
    }
    woken_.emplace(task.loop());
    timer_ = task.loop().call_at(until_, [this] {
      if (!woken_->done()) woken_->set_result();
    });
    task.park_on(*woken_, resume);
  }
  void await_resume() {
    timer_.cancel();
    TaskBase* task = running_task();
    if (task != nullptr && task->take_cancel()) throw CancelledError("the task was cancelled");
    if (woken_ && woken_->cancelled()) throw CancelledError("the task was cancelled");
  }

 private:
  concur::detail::Deadline until_;
  bool yield_only_;
  std::optional<ValueFuture<void>> woken_;
  TimerHandle timer_;
};

}  // namespace detail

template <class Rep, class Period>
detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> delay) {
  if (delay <= delay.zero()) return detail::SleepAwaiter(concur::detail::kNoDeadline, true);
  return detail::SleepAwaiter(concur::detail::deadline_after(delay), false);
}

}  // namespace concur::asyncio
