// concur/detail/queue_interface.hpp - the members Queue, LifoQueue and
// PriorityQueue share, over the engine each runs on. Not API: the types are
// in concur/queue.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <utility>

#include "concur/detail/deadline.hpp"

namespace concur::detail {

// QueueInterface: the members every bounded queue of this header shares.
// Queue runs on a FIFO engine (lock-free when unbounded, see FifoEngine);
// LifoQueue and PriorityQueue, whose puts and gets meet at the same end, on
// one lock and their store.
template <class T, class Core>
class QueueInterface {
 public:
  // put: adds `item`, blocking while a bounded queue is full. Throws
  // QueueShutDown after shutdown().
  void put(T item) { core_.put_until(std::move(item), kNoDeadline); }

  // put(item, timeout): as put(), throwing QueueFull once `timeout` passes.
  template <class Rep, class Period>
  void put(T item, const std::chrono::duration<Rep, Period>& timeout) {
    core_.put_until(std::move(item), deadline_after(timeout));
  }

  // put_nowait: as put(), throwing QueueFull at once if there is no room.
  void put_nowait(T item) { core_.put_until(std::move(item), Clock::time_point::min()); }

  // get: removes and returns the next item, blocking while the queue is
  // empty. Throws QueueShutDown once shut down and drained.
  T get() { return core_.get_until(kNoDeadline); }

  // get(timeout): as get(), throwing QueueEmpty once `timeout` passes.
  template <class Rep, class Period>
  T get(const std::chrono::duration<Rep, Period>& timeout) {
    return core_.get_until(deadline_after(timeout));
  }

  // get_nowait: as get(), throwing QueueEmpty at once if there is no item.
  T get_nowait() { return core_.get_until(Clock::time_point::min()); }

  // task_done: marks one gotten item as processed; when every item put has
  // been, join() returns. Throws ValueError("task_done() called too many
  // times") - changing nothing - if none is outstanding.
  void task_done() { core_.task_done(); }

  // join: blocks until every item put has had its task_done().
  void join() { core_.join(); }

  // qsize, empty, full: snapshots of the item count.
  std::size_t qsize() const noexcept { return core_.qsize(); }
  bool empty() const noexcept { return qsize() == 0; }
  bool full() const noexcept { return core_.full(); }

  // maxsize: the bound given at construction; 0 means unbounded.
  std::size_t maxsize() const noexcept { return core_.maxsize(); }

  // shutdown: puts now throw QueueShutDown, and so do gets once the queue is
  // empty; blocked putters and getters wake. With `immediate`, the queued
  // items are discarded at once (and no longer count as unfinished), so
  // every get throws. May be called any number of times, in either mode.
  void shutdown(bool immediate = false) { core_.shutdown(immediate); }

  // is_shutdown: whether shutdown() was called (Python's is_shutdown).
  bool is_shutdown() const { return core_.is_shut_down(); }

 protected:
  template <class... StoreArgs>
  explicit QueueInterface(std::size_t maxsize, StoreArgs&&... store)
      : core_(maxsize, std::forward<StoreArgs>(store)...) {}

 private:
  Core core_;
};

}  // namespace concur::detail
