// concur/detail/basic_queue.hpp - the engine behind Queue, LifoQueue,
// PriorityQueue and SimpleQueue. Not API; see concur/queue.hpp.
//
// One Lock guards the store, the unfinished-task count and the shutdown flag.
// Blocked getters, putters and joiners each wait on a WaitSet: a futex word
// that wakers bump, plus a count of threads waiting on it. Both are changed
// under the lock, so a waker always knows whether anyone waits; it makes its
// system call after releasing the lock, so the woken thread does not run
// straight into a held lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "concur/detail/deadline.hpp"
#include "concur/detail/lock_guard.hpp"
#include "concur/detail/parking.hpp"
#include "concur/detail/queue_errors.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/lock.hpp"

namespace concur::detail {

template <class T, class Store>
class BasicQueue {
 public:
  explicit BasicQueue(std::size_t maxsize, Store store = Store())
      : store_(std::move(store)), maxsize_(maxsize) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  // put_until: adds `item`, waiting for a free slot until `deadline`.
  void put_until(T&& item, Deadline deadline) {
    Wake wake;
    {
      LockGuard hold(lock_);
      if (shut_down_) throw_queue_shut_down();
      while (maxsize_ != 0 && store_.size() >= maxsize_) {
        if (expired(deadline)) throw_queue_full();
        wait_on(not_full_, deadline);
        if (shut_down_) throw_queue_shut_down();
      }
      store_.push(std::move(item));  // strong guarantee: a throw changes nothing
      ++unfinished_;
      size_.store(store_.size(), std::memory_order_relaxed);
      wake = prepare_wake(not_empty_);
    }
    wake.one();
  }

  // get_until: removes and returns the next item, waiting until `deadline`.
  T get_until(Deadline deadline) {
    Wake wake;
    T item = [&]() -> T {
      LockGuard hold(lock_);
      while (store_.size() == 0) {
        if (shut_down_) throw_queue_shut_down();
        if (expired(deadline)) {
          throw_queue_empty();
        }
        wait_on(not_empty_, deadline);
      }
      T taken = store_.pop();  // strong guarantee: a throw changes nothing
      size_.store(store_.size(), std::memory_order_relaxed);
      wake = prepare_wake(not_full_);
      return taken;
    }();
    wake.one();
    return item;
  }

  void task_done() {
    Wake wake;
    {
      LockGuard hold(lock_);
      if (unfinished_ == 0) throw_task_done_too_often();
      if (--unfinished_ == 0) wake = prepare_wake(all_done_);
    }
    wake.all();
  }

  void join() {
    LockGuard hold(lock_);
    while (unfinished_ != 0)
      wait_on(all_done_, kNoDeadline);
  }

  // shutdown: see Queue::shutdown. Drained items are destroyed after the lock
  // is released, so an item's destructor may use the queue.
  void shutdown(bool immediate) {
    Store drained;
    Wake getters, putters, joiners;
    {
      LockGuard hold(lock_);
      shut_down_ = true;
      if (immediate) {
        const std::size_t count = store_.size();
        store_.swap(drained);
        unfinished_ -= count < unfinished_ ? count : unfinished_;
        size_.store(0, std::memory_order_relaxed);
        joiners = prepare_wake(all_done_);
      }
      getters = prepare_wake(not_empty_);
      putters = prepare_wake(not_full_);
    }
    getters.all();
    putters.all();
    joiners.all();
  }

  std::size_t qsize() const noexcept { return size_.load(std::memory_order_relaxed); }
  std::size_t maxsize() const noexcept { return maxsize_; }
  bool full() const noexcept { return maxsize_ != 0 && qsize() >= maxsize_; }
  bool is_shut_down() const {
    LockGuard hold(lock_);
    return shut_down_;
  }

 private:
  // WaitSet: threads waiting for one kind of change.
  struct WaitSet {
    ParkWord seq{0};
    std::uint32_t waiting = 0;
  };

  // Wake: a wake-up decided under the lock, delivered after releasing it.
  class Wake {
   public:
    Wake() = default;
    explicit Wake(const ParkWord* word) : word_(word) {}
    void one() const {
      if (word_ != nullptr) unpark(*word_, 1);
    }
    void all() const {
      if (word_ != nullptr) unpark_all(*word_);
    }

   private:
    const ParkWord* word_ = nullptr;
  };

  // prepare_wake: if anyone waits on `set`, changes its word (so nobody can
  // fall asleep on the old value) and returns the wake-up to deliver.
  Wake prepare_wake(WaitSet& set) CONCUR_REQUIRES(lock_) {
    if (set.waiting == 0) return Wake();
    // release: a woken waiter re-takes lock_ anyway; the ordering that
    // matters is the lock's.
    set.seq.fetch_add(1, std::memory_order_release);
    return Wake(&set.seq);
  }

  // wait_on: releases the lock, waits for `set`'s word to change (spinning
  // briefly first) or the deadline, and re-takes the lock. The caller
  // re-checks its own condition; a spurious return is harmless.
  void wait_on(WaitSet& set, Deadline deadline) CONCUR_REQUIRES(lock_) {
    const std::uint32_t seen = set.seq.load(std::memory_order_relaxed);
    ++set.waiting;
    lock_.release();
    const auto changed = [&] { return set.seq.load(std::memory_order_acquire) != seen; };
    if (!spin_until(changed)) park(set.seq, seen, deadline);
    lock_.acquire();
    --set.waiting;
  }

  mutable Lock lock_;
  Store store_ CONCUR_GUARDED_BY(lock_);
  const std::size_t maxsize_;
  std::size_t unfinished_ CONCUR_GUARDED_BY(lock_) = 0;
  bool shut_down_ CONCUR_GUARDED_BY(lock_) = false;
  std::atomic<std::size_t> size_{0};  // a mirror of store_.size() for qsize()
  WaitSet not_empty_;
  WaitSet not_full_;
  WaitSet all_done_;
};

}  // namespace concur::detail
