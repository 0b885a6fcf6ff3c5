// concur/detail/queue_stores.hpp - where the queues keep their items. Not API.
//
// A store is the container behind a queue: push() adds, pop() moves the next
// item out and removes it, size() counts. Both push() and pop() give the
// strong guarantee: if a copy or move of T throws, the store is unchanged.
// The queue calls them under its lock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace concur::detail {

// LifoStore: last in, first out (queue.LifoQueue).
template <class T>
class LifoStore {
 public:
  void push(T&& item) { items_.push_back(std::move(item)); }
  T pop() {
    T item(std::move(items_.back()));
    items_.pop_back();
    return item;
  }
  std::size_t size() const noexcept { return items_.size(); }
  void swap(LifoStore& other) noexcept { items_.swap(other.items_); }

 private:
  std::deque<T> items_;
};

// PriorityStore: smallest first by Compare (queue.PriorityQueue, a heapq
// min-heap). Heap operations move elements around; when T's moves may throw,
// the heap holds pointers instead, so reordering never throws.
template <class T, class Compare>
class PriorityStore {
  static constexpr bool kInPlace =
      std::is_nothrow_move_constructible_v<T> && std::is_nothrow_move_assignable_v<T>;
  using Slot = std::conditional_t<kInPlace, T, std::unique_ptr<T>>;

 public:
  explicit PriorityStore(Compare compare = Compare()) : compare_(std::move(compare)) {}

  void push(T&& item) {
    if constexpr (kInPlace) {
      heap_.push_back(std::move(item));
    } else {
      heap_.push_back(std::make_unique<T>(std::move(item)));
    }
    std::push_heap(heap_.begin(), heap_.end(), later());
  }

  T pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later());
    if constexpr (kInPlace) {
      T item(std::move(heap_.back()));
      heap_.pop_back();
      return item;
    } else {
      try {
        T item(std::move(*heap_.back()));
        heap_.pop_back();
        return item;
      } catch (...) {
        std::push_heap(heap_.begin(), heap_.end(), later());  // undo: nothing lost
        throw;
      }
    }
  }

  std::size_t size() const noexcept { return heap_.size(); }
  void swap(PriorityStore& other) noexcept { heap_.swap(other.heap_); }

 private:
  // later: the heap order. std::*_heap keep the greatest element on top, so
  // "a sorts after b" puts the smallest item there.
  auto later() const {
    return [this](const Slot& a, const Slot& b) { return compare_(value(b), value(a)); };
  }
  static const T& value(const Slot& slot) {
    if constexpr (kInPlace) {
      return slot;
    } else {
      return *slot;
    }
  }

  Compare compare_;
  std::vector<Slot> heap_;
};

}  // namespace concur::detail
