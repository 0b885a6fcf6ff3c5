// concur/detail/unfinished_tasks.hpp - Queue's task_done()/join() count.
// Not API.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>

#include "concur/detail/deadline.hpp"
#include "concur/detail/queue_errors.hpp"
#include "concur/detail/wake_channel.hpp"

namespace concur::detail {

// UnfinishedTasks: items put and not yet marked done. Every change is
// seq_cst, before the joiners' channel is checked (see WakeChannel).
class UnfinishedTasks {
 public:
  // add_one: a put; call it before the item can be gotten, or a fast
  // getter's task_done() could find nothing to finish.
  void add_one() noexcept { count_.fetch_add(1); }

  // task_done: one fewer; ValueError, changing nothing, if none is left.
  void task_done() {
    std::size_t unfinished = count_.load();
    do {
      if (unfinished == 0) throw_task_done_too_often();
    } while (!count_.compare_exchange_weak(unfinished, unfinished - 1));
    if (unfinished == 1) all_done_.wake_all();
  }

  // settle: `discarded` items were dropped by an immediate shutdown; they no
  // longer count (never more than are unfinished).
  void settle(std::size_t discarded) noexcept {
    std::size_t unfinished = count_.load();
    while (
        !count_.compare_exchange_weak(unfinished, unfinished - std::min(unfinished, discarded))) {
    }
    all_done_.wake_all();
  }

  // join: blocks until the count is zero.
  void join() {
    all_done_.wait([this] { return count_.load() == 0; }, kNoDeadline);
  }

 private:
  std::atomic<std::size_t> count_{0};
  WakeChannel all_done_;
};

}  // namespace concur::detail
