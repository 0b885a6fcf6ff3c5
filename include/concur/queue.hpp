// concur/queue.hpp - Python's queue module: Queue, LifoQueue, PriorityQueue
// and SimpleQueue, with Python 3.13's semantics (shutdown included).
//
//   concur::Queue<std::string> jobs(100);        // bounded: put blocks when full
//   std::thread worker([&] {
//     try {
//       for (;;) {
//         std::string job = jobs.get();           // blocks while empty
//         run(job);
//         jobs.task_done();
//       }
//     } catch (const concur::QueueShutDown&) {}   // drained after shutdown()
//   });
//   jobs.put("first");
//   jobs.join();                                  // every put has had its task_done()
//   jobs.shutdown();
//   worker.join();
//
// Promises:
// - put() happens-before the get() that returns its item.
// - Timeouts are any std::chrono::duration with one overall deadline; zero or
//   negative means "try once": put(x, 0s) == put_nowait(x).
// - Errors: QueueFull (a full bounded queue, no time left), QueueEmpty (no
//   item, no time left), QueueShutDown (put after shutdown; get after
//   shutdown once drained, or at once after an immediate shutdown), ValueError
//   (task_done() more often than put()). QueueShutDown takes precedence over
//   Full and Empty. join() never throws it.
// - A failed put or get - including a copy or move of T that throws - leaves
//   the queue and its unfinished-task count as they were.
// - T may be move-only and need not be default-constructible. A gotten item
//   is moved out, and its slot is released at once.
// - All members are thread-safe. Queues are neither copyable nor movable.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

#include "concur/detail/basic_queue.hpp"
#include "concur/detail/deadline.hpp"
#include "concur/detail/fifo_queue_engine.hpp"
#include "concur/detail/queue_interface.hpp"
#include "concur/detail/queue_stores.hpp"
#include "concur/detail/ticket_fifo.hpp"
#include "concur/errors.hpp"

namespace concur {

// The members of Queue, LifoQueue and PriorityQueue (detail/queue_interface.hpp
// documents each):
//   put(item), put(item, timeout), put_nowait(item)     QueueFull, QueueShutDown
//   get(), get(timeout), get_nowait()                   QueueEmpty, QueueShutDown
//   task_done(), join()                                 ValueError from task_done
//   qsize(), empty(), full(), maxsize()
//   shutdown(immediate = false), is_shutdown()

// Queue: queue.Queue, first in, first out. maxsize 0 is unbounded.
template <class T>
class Queue : public detail::QueueInterface<T, detail::FifoEngine<T>> {
 public:
  explicit Queue(std::size_t maxsize = 0)
      : detail::QueueInterface<T, detail::FifoEngine<T>>(maxsize) {}
};

// LifoQueue: queue.LifoQueue, last in, first out.
template <class T>
class LifoQueue : public detail::QueueInterface<T, detail::BasicQueue<T, detail::LifoStore<T>>> {
 public:
  explicit LifoQueue(std::size_t maxsize = 0)
      : detail::QueueInterface<T, detail::BasicQueue<T, detail::LifoStore<T>>>(maxsize) {}
};

// PriorityQueue: queue.PriorityQueue, smallest item first by Compare (as
// heapq). Equal items are allowed; their order is unspecified.
template <class T, class Compare = std::less<T>>
class PriorityQueue
    : public detail::QueueInterface<T, detail::BasicQueue<T, detail::PriorityStore<T, Compare>>> {
  using Base = detail::QueueInterface<T, detail::BasicQueue<T, detail::PriorityStore<T, Compare>>>;

 public:
  explicit PriorityQueue(std::size_t maxsize = 0, Compare compare = Compare())
      : Base(maxsize, detail::PriorityStore<T, Compare>(std::move(compare))) {}
};

// SimpleQueue: queue.SimpleQueue, an unbounded FIFO with no task tracking
// and no shutdown. put() never blocks. For items whose move cannot throw,
// puts and gets take no lock: they meet at a slot named by a ticket (see
// detail/ticket_fifo.hpp); the memory for items then grows in blocks of about
// 16 KiB, reused, and given back when the queue is destroyed.
template <class T>
class SimpleQueue {
 public:
  SimpleQueue() = default;
  SimpleQueue(const SimpleQueue&) = delete;
  SimpleQueue& operator=(const SimpleQueue&) = delete;

  // put, put_nowait: add `item`; never block.
  void put(T item) { core_.put_until(std::move(item), detail::kNoDeadline); }
  void put_nowait(T item) { put(std::move(item)); }

  // get: removes and returns the oldest item, blocking while empty.
  T get() { return core_.get_until(detail::kNoDeadline); }

  // get(timeout): as get(), throwing QueueEmpty once `timeout` passes.
  template <class Rep, class Period>
  T get(const std::chrono::duration<Rep, Period>& timeout) {
    return core_.get_until(detail::deadline_after(timeout));
  }

  // get_nowait: as get(), throwing QueueEmpty at once if there is no item.
  T get_nowait() { return core_.get_until(detail::Clock::time_point::min()); }

  // qsize, empty: snapshots of the item count.
  std::size_t qsize() const noexcept { return core_.qsize(); }
  bool empty() const noexcept { return qsize() == 0; }

 private:
  // Lock-free when T's move cannot throw; otherwise the two-lock engine,
  // which can leave an item at the head when moving it out fails.
  std::conditional_t<std::is_nothrow_move_constructible_v<T>, detail::TicketFifo<T>,
                     detail::FifoQueueCore<T>>
      core_;
};

}  // namespace concur
