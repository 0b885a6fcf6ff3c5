// concur/asyncio/queues.hpp - Queue, LifoQueue and PriorityQueue for
// coroutines (asyncio.Queue, ...), with Python 3.13's shutdown.
//
//   concur::asyncio::Queue<std::string> jobs(100);
//   co_await jobs.put("first");         // waits while full
//   std::string job = co_await jobs.get();   // waits while empty
//   jobs.task_done();
//   co_await jobs.join();               // every put has had its task_done()
//   jobs.shutdown();                    // puts and (once drained) gets throw QueueShutDown
//
// put_nowait/get_nowait throw concur::QueueFull/QueueEmpty at once; every
// put and every get - blocked or not - throws concur::QueueShutDown after
// shutdown() (gets once the queue is drained; at once, and the items
// dropped, after shutdown(true)). Waiting putters and getters are served in
// order. maxsize 0 is unbounded. Not thread-safe: one loop's tasks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

#include "concur/asyncio/coroutine.hpp"
#include "concur/asyncio/event_loop.hpp"
#include "concur/asyncio/locks.hpp"
#include "concur/asyncio/task.hpp"
#include "concur/detail/asyncio/loop_future.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio {

namespace detail {

template <class T>
struct FifoItems {
  std::deque<T> items;
  void push(T item) { items.push_back(std::move(item)); }
  T pop() {
    T item = std::move(items.front());
    items.pop_front();
    return item;
  }
  std::size_t size() const noexcept { return items.size(); }
};

template <class T>
struct LifoItems {
  std::vector<T> items;
  void push(T item) { items.push_back(std::move(item)); }
  T pop() {
    T item = std::move(items.back());
    items.pop_back();
    return item;
  }
  std::size_t size() const noexcept { return items.size(); }
};

template <class T, class Compare>
struct HeapItems {
  std::vector<T> items;
  Compare compare;
  // std::push_heap keeps the greatest first: reversing `compare` keeps
  // the smallest first, as heapq.
  void push(T item) {
    items.push_back(std::move(item));
    std::push_heap(items.begin(), items.end(), reversed());
  }
  T pop() {
    std::pop_heap(items.begin(), items.end(), reversed());
    T item = std::move(items.back());
    items.pop_back();
    return item;
  }
  std::size_t size() const noexcept { return items.size(); }
  auto reversed() const {
    return [this](const T& a, const T& b) { return compare(b, a); };
  }
};

// BasicQueue: asyncio.Queue over a store of items (Lib/asyncio/queues.py).
template <class T, class Store>
class BasicQueue {
 public:
  explicit BasicQueue(std::size_t maxsize, Store store = Store())
      : maxsize_(maxsize), store_(std::move(store)) {
    finished_.set();
  }
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  std::size_t qsize() const noexcept { return store_.size(); }
  std::size_t maxsize() const noexcept { return maxsize_; }
  bool empty() const noexcept { return qsize() == 0; }
  bool full() const noexcept { return maxsize_ != 0 && qsize() >= maxsize_; }

  // put: waits while full.
  Coroutine<> put(T item) {
    while (full()) {
      if (shut_down_) throw QueueShutDown("put() on a queue that is shut down");
      ValueFuture<void> putter(get_running_loop());
      putters_.push_back(&putter);
      try {
        co_await FutureAwaiter{putter};
      } catch (...) {
        std::erase(putters_, &putter);
        // Our turn came but we leave: hand it to the next putter.
        if (!full() && !putter.cancelled()) wake_next(putters_);
        throw;
      }
      std::erase(putters_, &putter);
    }
    put_nowait(std::move(item));
  }

  void put_nowait(T item) {
    if (shut_down_) throw QueueShutDown("put_nowait() on a queue that is shut down");
    if (full()) throw QueueFull("the queue is full");
    store_.push(std::move(item));
    ++unfinished_;
    finished_.clear();
    wake_next(getters_);
  }

  // get: waits while empty.
  Coroutine<T> get() {
    while (empty()) {
      if (shut_down_) throw QueueShutDown("get() on a queue that is shut down and empty");
      ValueFuture<void> getter(get_running_loop());
      getters_.push_back(&getter);
      try {
        co_await FutureAwaiter{getter};
      } catch (...) {
        std::erase(getters_, &getter);
        if (!empty() && !getter.cancelled()) wake_next(getters_);
        throw;
      }
      std::erase(getters_, &getter);
    }
    co_return get_nowait();
  }

  T get_nowait() {
    if (empty()) {
      if (shut_down_) throw QueueShutDown("get_nowait() on a queue that is shut down and empty");
      throw QueueEmpty("the queue is empty");
    }
    T item = store_.pop();
    wake_next(putters_);
    return item;
  }

  // task_done: ValueError("task_done() called too many times") if none is
  // unfinished.
  void task_done() {
    if (unfinished_ == 0) throw ValueError("task_done() called too many times");
    if (--unfinished_ == 0) finished_.set();
  }

  // join: waits until every item put has had its task_done().
  Coroutine<> join() {
    if (unfinished_ > 0) co_await finished_.wait();
  }

  // shutdown: see the file comment. Blocked putters and getters wake and
  // throw QueueShutDown (getters only once the queue is empty).
  void shutdown(bool immediate = false) {
    shut_down_ = true;
    if (immediate) {
      while (!empty()) {
        store_.pop();
        if (unfinished_ > 0) --unfinished_;
      }
      if (unfinished_ == 0) finished_.set();
    }
    wake_all(getters_);
    wake_all(putters_);
  }
  bool is_shutdown() const noexcept { return shut_down_; }

 private:
  static void wake_next(std::deque<ValueFuture<void>*>& waiters) {
    while (!waiters.empty()) {
      ValueFuture<void>* waiter = waiters.front();
      waiters.pop_front();
      if (!waiter->done()) {
        waiter->set_result();
        return;
      }
    }
  }
  static void wake_all(std::deque<ValueFuture<void>*>& waiters) {
    while (!waiters.empty()) {
      ValueFuture<void>* waiter = waiters.front();
      waiters.pop_front();
      if (!waiter->done()) waiter->set_result();
    }
  }

  std::size_t maxsize_;
  Store store_;
  std::deque<ValueFuture<void>*> getters_;
  std::deque<ValueFuture<void>*> putters_;
  std::size_t unfinished_ = 0;
  Event finished_;
  bool shut_down_ = false;
};

}  // namespace detail

// Queue: first in, first out. LifoQueue: last in, first out.
// PriorityQueue: the smallest by Compare first (as heapq).
template <class T>
class Queue : public detail::BasicQueue<T, detail::FifoItems<T>> {
 public:
  explicit Queue(std::size_t maxsize = 0) : detail::BasicQueue<T, detail::FifoItems<T>>(maxsize) {}
};

template <class T>
class LifoQueue : public detail::BasicQueue<T, detail::LifoItems<T>> {
 public:
  explicit LifoQueue(std::size_t maxsize = 0)
      : detail::BasicQueue<T, detail::LifoItems<T>>(maxsize) {}
};

template <class T, class Compare = std::less<T>>
class PriorityQueue : public detail::BasicQueue<T, detail::HeapItems<T, Compare>> {
 public:
  explicit PriorityQueue(std::size_t maxsize = 0, Compare compare = Compare())
      : detail::BasicQueue<T, detail::HeapItems<T, Compare>>(
            maxsize, detail::HeapItems<T, Compare>{{}, std::move(compare)}) {}
};

}  // namespace concur::asyncio
