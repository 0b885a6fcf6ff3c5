// TaskBase: a task's steps, its cancellation and its end. See
// include/concur/detail/asyncio/task_base.hpp.
#include "concur/detail/asyncio/task_base.hpp"

#include <atomic>
#include <exception>
#include <string>
#include <utility>

#include "concur/asyncio/event_loop.hpp"
#include "concur/asyncio/exception_handler.hpp"
#include "concur/asyncio/task.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio {
namespace detail {
namespace {

thread_local TaskBase* running = nullptr;

bool is_cancellation(const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

TaskBase* running_task() noexcept {
  return running;
}

TaskBase& running_task_or_throw(const char* what) {
  if (running == nullptr) {
    throw RuntimeError(std::string(what) +
                       " outside a task: concur::asyncio awaitables must be awaited by a "
                       "coroutine that runs as a task (create_task, run, run_until_complete)");
  }
  return *running;
}

unsigned long next_task_number() noexcept {
  static std::atomic<unsigned long> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

const std::string& TaskBase::name() const {
  if (name_.empty()) name_ = "Task-" + std::to_string(number_);
  return name_;
}

void throw_empty_task() {
  throw InvalidStateError("an empty Task handle (default-made or moved from)");
}

TaskBase::TaskBase(EventLoop& loop, std::coroutine_handle<> top, std::string name)
    : LoopFuture(loop), top_(top), name_(std::move(name)), number_(next_task_number()) {}

TaskBase::~TaskBase() {
  if (top_) top_.destroy();
  if (failed() && !retrieved_) {
    try {
      call_exception_handler(
          ExceptionContext{"Task exception was never retrieved", error(), name()});
    } catch (...) {
    }
  }
}

bool TaskBase::cancel() {
  if (done()) return false;
  ++cancel_requests_;
  // What the task waits on wakes it with CancelledError there; if it waits
  // on nothing (it is scheduled, or not started), its next step delivers it.
  if (waiting_on_ != nullptr && waiting_on_->cancel()) return true;
  must_cancel_ = true;
  return true;
}

int TaskBase::uncancel() noexcept {
  if (cancel_requests_ > 0) {
    --cancel_requests_;
    if (cancel_requests_ == 0) must_cancel_ = false;
  }
  return cancel_requests_;
}

void TaskBase::park_on(LoopFuture& future, std::coroutine_handle<> resume) {
  future.add_callback(Callback{&TaskBase::step_callback, this});
  resume_ = resume;
  waiting_on_ = &future;
  parked_ = true;
}

void TaskBase::park_ready(std::coroutine_handle<> resume) {
  LoopAccess::schedule(loop(), &TaskBase::step_callback, this);
  resume_ = resume;
  parked_ = true;
}

bool TaskBase::take_cancel() noexcept {
  return std::exchange(deliver_cancel_, false);
}

std::exception_ptr TaskBase::take_error() noexcept {
  retrieved_ = true;
  return error();
}

void TaskBase::add_user_callback(std::function<void()> fn) {
  if (orphaned_) throw RuntimeError("Event loop is closed");
  if (done()) {
    loop().call_soon(std::move(fn));
  } else {
    user_callbacks_.push_back(std::move(fn));
  }
}

void TaskBase::step_callback(void* self) noexcept {
  static_cast<TaskBase*>(self)->step();
}

void TaskBase::step() noexcept {
  if (done()) return;
  waiting_on_ = nullptr;
  const bool cancel_now = std::exchange(must_cancel_, false);
  if (!started_) {
    started_ = true;
    if (cancel_now) {
      // Cancelled before it ran: the coroutine never starts.
      top_.destroy();
      top_ = nullptr;
      complete(State::cancelled);
      end_step();
      return;
    }
    resume_ = top_;
  } else if (cancel_now) {
    deliver_cancel_ = true;
  }
  parked_ = false;
  TaskBase* const outer = std::exchange(running, this);
  resume_.resume();
  running = outer;
  deliver_cancel_ = false;
  if (top_.done()) {
    finish_from_frame();
  } else if (!parked_) {
    fail_bad_yield();
  }
}

void TaskBase::finish_from_frame() noexcept {
  std::exception_ptr error = take_outcome();
  top_.destroy();
  top_ = nullptr;
  if (error == nullptr) {
    complete(State::finished);
  } else if (is_cancellation(error)) {
    complete(State::cancelled);
  } else {
    LoopFuture::set_exception(std::move(error));
  }
  end_step();
}

void TaskBase::fail_bad_yield() noexcept {
  // A co_await suspended on an awaitable that is not the loop's: nothing
  // would ever resume the task. CPython's "Task got bad yield".
  top_.destroy();
  top_ = nullptr;
  LoopFuture::set_exception(std::make_exception_ptr(RuntimeError(
      "Task " + name() +
      " got bad yield: it suspended on an awaitable that is not concur::asyncio's (a task "
      "may await Coroutines, Tasks, concur::Futures and the asyncio functions and types)")));
  end_step();
}

void TaskBase::end_step() noexcept {
  for (std::function<void()>& fn : user_callbacks_) {
    try {
      loop().call_soon(std::move(fn));
    } catch (...) {
      // Out of memory: that callback is lost; the loop goes on.
    }
  }
  user_callbacks_.clear();
  LoopAccess::forget(loop(), *this);  // the loop's reference: this may be the last
}

void TaskBase::destroy_frame() noexcept {
  orphaned_ = true;
  if (top_) {
    top_.destroy();
    top_ = nullptr;
  }
  user_callbacks_.clear();
  if (!done()) complete(State::cancelled);
}

}  // namespace detail

AnyTask current_task() {
  detail::TaskBase* task = detail::running_task();
  if (task == nullptr) return AnyTask();
  task->add_ref();
  return AnyTask(detail::TaskRef(task));
}

std::vector<AnyTask> all_tasks(const EventLoop& loop) {
  std::vector<AnyTask> tasks;
  for (detail::TaskBase* task = detail::LoopAccess::first_task(loop); task != nullptr;
       task = task->next_in_loop) {
    if (task->done()) continue;
    task->add_ref();
    tasks.emplace_back(detail::TaskRef(task));
  }
  return tasks;
}

std::vector<AnyTask> all_tasks() {
  return all_tasks(get_running_loop());
}

}  // namespace concur::asyncio
