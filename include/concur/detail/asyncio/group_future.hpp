// concur/detail/asyncio/group_future.hpp - a future that watches many tasks:
// what gather(), wait() and as_completed() are built on. Not API.
//
// It lives on the heap, counted: every task it watches holds a reference
// until its done-callback has run, so a callback already scheduled never
// finds it gone, however early the awaiting coroutine leaves.
#pragma once

#include <cstddef>
#include <vector>

#include "concur/asyncio/task.hpp"
#include "concur/detail/asyncio/loop_future.hpp"
#include "concur/detail/asyncio/task_base.hpp"

namespace concur::asyncio::detail {

class GroupFuture : public LoopFuture {
 public:
  // watch: hooks on every task; on_done(i) runs (on the loop) as task i
  // completes.
  void watch(std::vector<TaskRef> tasks);
  void add_ref() noexcept { ++refs_; }
  void release() noexcept {
    if (--refs_ == 0) delete this;
  }
  TaskBase& task(std::size_t i) const noexcept { return *tasks_[i].get(); }
  std::size_t size() const noexcept { return tasks_.size(); }
  // unhook: stops watching the tasks not yet done (their callbacks are
  // removed, with the references they held; those of done tasks are
  // scheduled and release theirs when they run). With mark_retrieved, an
  // exception a task ends with later is not reported as never retrieved
  // (gather's rule: the group was its awaiter).
  void unhook(bool mark_retrieved) noexcept;

 protected:
  explicit GroupFuture(EventLoop& loop) : LoopFuture(loop) {}
  virtual void on_done(std::size_t i) = 0;

 private:
  struct Link {
    GroupFuture* owner;
    std::size_t index;
    bool hooked;
  };
  static void child_done(void* link) noexcept;

  std::vector<TaskRef> tasks_;
  std::vector<Link> links_;
  int refs_ = 1;  // the awaiter's; one more per hooked task
};

// GroupRef: the awaiter's reference.
template <class G>
class GroupRef {
 public:
  explicit GroupRef(G* adopted) noexcept : group_(adopted) {}
  GroupRef(const GroupRef&) = delete;
  GroupRef& operator=(const GroupRef&) = delete;
  ~GroupRef() {
    group_->unhook(G::kMarksRetrieved);
    group_->release();
  }
  G* operator->() const noexcept { return group_; }
  G& operator*() const noexcept { return *group_; }

 private:
  G* group_;
};

}  // namespace concur::asyncio::detail
