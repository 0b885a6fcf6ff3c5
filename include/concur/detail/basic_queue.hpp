// concur/detail/basic_queue.hpp - the engine behind LifoQueue and
// PriorityQueue. Not API; see concur/queue.hpp.
//
// Their puts and gets meet at the same end of the store, so one Lock guards
// the store. The FIFOs need no such lock: an unbounded Queue and a
// SimpleQueue of items that move without throwing run on tickets
// (ticket_fifo.hpp), a bounded Queue and the rest on the two-lock FIFO of
// fifo_queue_core.hpp. Blocked threads sleep on wake channels as the two-lock
// FIFO's do: the state a sleeper waits for (the size, the shutdown flag, the
// unfinished-task count) is mirrored in atomics it can read without the lock,
// written seq_cst before the waker checks the channel's parked count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <utility>

#include "concur/detail/commit_on_return.hpp"
#include "concur/detail/deadline.hpp"
#include "concur/detail/lock_guard.hpp"
#include "concur/detail/queue_errors.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/detail/unfinished_tasks.hpp"
#include "concur/detail/wake_channel.hpp"
#include "concur/lock.hpp"

namespace concur::detail {

template <class T, class Store>
class BasicQueue {
 public:
  explicit BasicQueue(std::size_t maxsize, Store store = Store())
      : maxsize_(maxsize), store_(std::move(store)) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  void put_until(T&& item, Deadline deadline) {
    for (;;) {
      {
        LockGuard hold(lock_);
        if (shut_down_.load(std::memory_order_relaxed)) throw_queue_shut_down();
        if (maxsize_ == 0 || store_.size() < maxsize_) {
          store_.push(std::move(item));  // strong guarantee: a throw changes nothing
          unfinished_.add_one();
          size_.store(store_.size());
          break;
        }
      }
      if (expired(deadline)) throw_queue_full();
      not_full_.wait([this] { return size_.load() < maxsize_ || shut_down_.load(); }, deadline);
    }
    not_empty_.wake(1);
  }

  T get_until(Deadline deadline) {
    for (;;) {
      lock_.acquire();
      const bool shut_down = shut_down_.load();
      if (store_.size() > 0) return pop_and_unlock();
      lock_.release();
      if (shut_down) throw_queue_shut_down();
      if (expired(deadline)) throw_queue_empty();
      not_empty_.wait([this] { return size_.load() > 0 || shut_down_.load(); }, deadline);
    }
  }

  void task_done() { unfinished_.task_done(); }
  void join() { unfinished_.join(); }

  // shutdown: drained items are destroyed after the lock is released, so an
  // item's destructor may use the queue.
  void shutdown(bool immediate) {
    Store drained;
    std::size_t discarded = 0;
    {
      LockGuard hold(lock_);
      shut_down_.store(true);
      if (immediate) {
        discarded = store_.size();
        store_.swap(drained);
        size_.store(0);
      }
    }
    if (immediate) unfinished_.settle(discarded);
    not_empty_.wake_all();
    not_full_.wake_all();
  }

  std::size_t qsize() const noexcept { return size_.load(std::memory_order_relaxed); }
  std::size_t maxsize() const noexcept { return maxsize_; }
  bool full() const noexcept { return maxsize_ != 0 && qsize() >= maxsize_; }
  bool is_shut_down() const noexcept { return shut_down_.load(); }

 private:
  // pop_and_unlock: moves the next item into the caller's object, and only
  // then removes it (see queue_stores.hpp): if a comparison or T's move
  // throws, nothing changed. Releases the lock either way; after a get,
  // wakes a putter waiting for room.
  T pop_and_unlock() CONCUR_RELEASE(lock_) CONCUR_NO_THREAD_SAFETY_ANALYSIS {
    CommitOnReturn wake_putter([this] {
      if (maxsize_ != 0) not_full_.wake(1);
    });
    struct Unlock {
      Lock& lock;
      ~Unlock() { lock.release(); }
    } unlock{lock_};
    const std::size_t plan = store_.plan_pop();
    CommitOnReturn remove([this, plan]() CONCUR_NO_THREAD_SAFETY_ANALYSIS {
      store_.commit_pop(plan);
      size_.store(store_.size());  // seq_cst: before not_full_'s parked check
    });
    return T(std::move(store_.next()));
  }

  const std::size_t maxsize_;
  std::atomic<bool> shut_down_{false};
  Lock lock_;
  Store store_ CONCUR_GUARDED_BY(lock_);
  std::atomic<std::size_t> size_{0};  // store_.size(), for lock-free readers
  UnfinishedTasks unfinished_;
  WakeChannel not_empty_;
  WakeChannel not_full_;
};

}  // namespace concur::detail
