// TaskGroup: CPython 3.11's asyncio.TaskGroup, without parent cancellation.
#include "concur/asyncio/task_group.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "concur/errors.hpp"

namespace concur::asyncio {
namespace detail {

void GroupState::adopt(TaskBase& task) {
  task.add_ref();
  tasks.push_back(TaskRef(&task));
  auto* link = new Link{this, &task};
  add_ref();  // the callback's
  task.add_callback(Callback{&GroupState::task_done, link});
}

void GroupState::task_done(void* context) noexcept {
  Link* link = static_cast<Link*>(context);
  GroupState& group = *link->group;
  TaskBase& task = *link->task;
  delete link;
  if (!task.cancelled() && task.failed()) {
    try {
      group.errors.push_back(task.take_error());
    } catch (...) {
    }
    if (!group.aborting) group.abort();
  }
  std::erase_if(group.tasks, [&task](const TaskRef& ref) { return ref.get() == &task; });
  if (group.tasks.empty() && group.all_done && !group.all_done->done())
    group.all_done->set_result();
  group.release();
}

void GroupState::abort() noexcept {
  aborting = true;
  for (TaskRef& task : tasks) {
    if (!task.get()->done()) task.get()->cancel();
  }
}

}  // namespace detail

TaskGroup::TaskGroup() : state_(new detail::GroupState(get_running_loop())) {}

TaskGroup::~TaskGroup() {
  if (!state_->finished) state_->abort();
  state_->release();
}

void TaskGroup::check_open() const {
  if (state_->finished) throw RuntimeError("TaskGroup is finished");
  if (state_->aborting) throw RuntimeError("TaskGroup is shutting down");
}

Coroutine<> TaskGroup::join() {
  detail::GroupState& group = *state_;
  group.joining = true;
  bool cancelled = false;
  while (!group.tasks.empty()) {
    group.all_done.emplace(group.loop);
    bool caught = false;
    try {
      co_await detail::FutureAwaiter{*group.all_done};
    } catch (const CancelledError&) {
      caught = true;
    }
    if (caught) {
      // The joining task was cancelled: so are the group's tasks, and we
      // still wait for them.
      cancelled = true;
      group.abort();
    }
  }
  group.all_done.reset();
  group.finished = true;
  if (!group.errors.empty()) {
    throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(group.errors));
  }
  if (cancelled) throw CancelledError("the task joining the TaskGroup was cancelled");
}

}  // namespace concur::asyncio
