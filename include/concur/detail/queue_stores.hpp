// concur/detail/queue_stores.hpp - where the queues keep their items. Not API.
//
// A store is the container behind a queue: push() adds, size() counts, and a
// get takes the next item in three steps, so that a failure anywhere loses
// nothing (see commit_on_return.hpp): plan_pop() does whatever may throw
// besides the move (a PriorityQueue's comparisons) and changes nothing;
// next() is the item, which the queue moves into the caller's object;
// commit_pop(plan) then removes it and cannot throw. push() gives the strong
// guarantee: if a copy, a move, an allocation or a comparison throws, the
// store is unchanged. The queue calls all of them under its lock.
#pragma once

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
  std::size_t plan_pop() const noexcept { return 0; }
  T& next() noexcept { return items_.back(); }
  void commit_pop(std::size_t) noexcept { items_.pop_back(); }
  std::size_t size() const noexcept { return items_.size(); }
  void swap(LifoStore& other) noexcept { items_.swap(other.items_); }

 private:
  std::deque<T> items_;
};

// PriorityStore: smallest first by Compare (queue.PriorityQueue, a heapq
// min-heap: no item sorts before its parent). The heap is kept by hand
// rather than with std::push_heap/pop_heap, which leave the heap broken when
// a comparison throws: every comparison runs before anything moves, and the
// moves that follow cannot throw - when T's moves may throw, the heap holds
// pointers instead.
template <class T, class Compare>
class PriorityStore {
  static constexpr bool kInPlace =
      std::is_nothrow_move_constructible_v<T> && std::is_nothrow_move_assignable_v<T>;
  using Slot = std::conditional_t<kInPlace, T, std::unique_ptr<T>>;

 public:
  explicit PriorityStore(Compare compare = Compare()) : compare_(std::move(compare)) {}

  // push: finds where the item will rest (comparisons up its path from the
  // new leaf), appends it, then shifts the ancestors below that place down.
  void push(T&& item) {
    std::size_t rest = heap_.size();
    while (rest > 0 && compare_(item, value(heap_[parent(rest)])))
      rest = parent(rest);
    heap_.push_back(make_slot(std::move(item)));
    std::size_t at = heap_.size() - 1;
    Slot moving = std::move(heap_[at]);
    for (; at > rest; at = parent(at))
      heap_[at] = std::move(heap_[parent(at)]);
    heap_[rest] = std::move(moving);
  }

  // plan_pop: where the last item will rest once the top has gone - the
  // sift-down's comparisons, with nothing moved.
  std::size_t plan_pop() const {
    const std::size_t last = heap_.size() - 1;  // it refills the top's place
    std::size_t rest = 0;
    for (;;) {
      std::size_t child = 2 * rest + 1;
      if (child >= last) return rest;  // only places before `last` remain
      if (child + 1 < last && compare_(value(heap_[child + 1]), value(heap_[child]))) ++child;
      if (!compare_(value(heap_[child]), value(heap_[last]))) return rest;
      rest = child;
    }
  }

  T& next() noexcept { return value(heap_.front()); }

  // commit_pop: the children on the path from the top to `rest` move up a
  // level, the last item into `rest`.
  void commit_pop(std::size_t rest) noexcept {
    const std::size_t last = heap_.size() - 1;
    if (last > 0) {
      std::size_t path[64];  // `rest` and its ancestors below the top
      std::size_t depth = 0;
      for (std::size_t at = rest; at > 0; at = parent(at))
        path[depth++] = at;
      std::size_t hole = 0;
      while (depth > 0) {
        const std::size_t child = path[--depth];
        heap_[hole] = std::move(heap_[child]);
        hole = child;
      }
      heap_[rest] = std::move(heap_[last]);
    }
    heap_.pop_back();
  }

  std::size_t size() const noexcept { return heap_.size(); }
  void swap(PriorityStore& other) noexcept { heap_.swap(other.heap_); }

 private:
  static std::size_t parent(std::size_t at) noexcept { return (at - 1) / 2; }

  static Slot make_slot(T&& item) {
    if constexpr (kInPlace) {
      return Slot(std::move(item));
    } else {
      return std::make_unique<T>(std::move(item));
    }
  }
  static T& value(Slot& slot) noexcept {
    if constexpr (kInPlace) {
      return slot;
    } else {
      return *slot;
    }
  }
  static const T& value(const Slot& slot) noexcept {
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
