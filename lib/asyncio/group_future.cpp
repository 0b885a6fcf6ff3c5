#include "concur/detail/asyncio/group_future.hpp"

#include <utility>

#include "concur/asyncio/exception_handler.hpp"

namespace concur::asyncio::detail {

void GroupFuture::watch(std::vector<TaskRef> tasks) {
  tasks_ = std::move(tasks);
  links_.resize(tasks_.size());
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    links_[i] = Link{this, i, true};
    add_ref();
    tasks_[i].get()->add_callback(Callback{&GroupFuture::child_done, &links_[i]});
  }
}

void GroupFuture::child_done(void* context) noexcept {
  Link& link = *static_cast<Link*>(context);
  GroupFuture& group = *link.owner;
  link.hooked = false;
  try {
    group.on_done(link.index);
  } catch (...) {
    call_exception_handler(ExceptionContext{"Exception in a task group's callback",
                                            std::current_exception(),
                                            group.task(link.index).name()});
  }
  group.release();
}

void GroupFuture::unhook(bool mark_retrieved) noexcept {
  int released = 0;
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    TaskBase& watched = *tasks_[i].get();
    if (mark_retrieved) watched.mark_retrieved();
    // A done task's callback is scheduled already: it releases its own
    // reference when it runs.
    if (links_[i].hooked && !watched.done()) {
      watched.remove_callback(&links_[i]);
      links_[i].hooked = false;
      ++released;
    }
  }
  refs_ -= released;  // the awaiter still holds one: never zero here
}

}  // namespace concur::asyncio::detail
