// concur/asyncio/task_group.hpp - TaskGroup: tasks that end together
// (asyncio.TaskGroup, 3.11).
//
//   concur::asyncio::TaskGroup group;
//   auto a = group.create_task(fetch("x"));
//   auto b = group.create_task(fetch("y"));
//   co_await group.join();      // every task is done; a.result(), b.result()
//
// The first task to fail (with anything but CancelledError) cancels the
// others; join() waits until all of them are done and then throws
// concur::ExceptionGroup holding every failure, in the order they
// happened. If the task in join() is cancelled, the group's tasks are
// cancelled, join() still waits for them, then rethrows CancelledError
// (after the ExceptionGroup, if tasks failed too). Unlike Python - C++ has
// no `async with` to turn it back into the group's error - a failing task
// does not cancel the task that made the group. create_task after join()
// has finished throws RuntimeError("TaskGroup is finished"); while it is
// shutting down after a failure, RuntimeError("TaskGroup is shutting
// down"). A group destroyed before join() cancels its tasks. Not copyable
// or movable; used from its loop's thread.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "concur/asyncio/coroutine.hpp"
#include "concur/asyncio/event_loop.hpp"
#include "concur/asyncio/task.hpp"
#include "concur/detail/asyncio/loop_future.hpp"

namespace concur::asyncio {

namespace detail {

// GroupState: shared by the TaskGroup and its tasks' done-callbacks, so a
// callback already scheduled never finds it gone.
class GroupState {
 public:
  explicit GroupState(EventLoop& owner) : loop(owner) {}
  void adopt(TaskBase& task);
  void abort() noexcept;
  void add_ref() noexcept { ++refs; }
  void release() noexcept {
    if (--refs == 0) delete this;
  }

  EventLoop& loop;
  std::vector<TaskRef> tasks;  // not yet done
  std::vector<std::exception_ptr> errors;
  std::optional<ValueFuture<void>> all_done;  // join() waits on it
  bool aborting = false;
  bool joining = false;
  bool finished = false;
  int refs = 1;

 private:
  struct Link {
    GroupState* group;
    TaskBase* task;
  };
  static void task_done(void* link) noexcept;
};

}  // namespace detail

class TaskGroup {
 public:
  TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  // create_task: as the loop's, and the task joins the group.
  template <class T>
  Task<T> create_task(Coroutine<T> coroutine, std::string name = {}) {
    check_open();
    Task<T> task = state_->loop.create_task(std::move(coroutine), std::move(name));
    state_->adopt(*task.state());
    return task;
  }

  // join: see the file comment.
  Coroutine<> join();

 private:
  void check_open() const;
  detail::GroupState* state_;
};

}  // namespace concur::asyncio
