// concur/detail/fifo_queue_core.hpp - the engine behind a bounded Queue, and
// behind Queue and SimpleQueue of items whose move may throw (see
// fifo_queue_engine.hpp). Not API; see concur/queue.hpp.
//
// A two-lock FIFO (after Michael and Scott's two-lock queue): producers
// serialise on the tail lock, consumers on the head lock, so a put and a get
// never wait for each other. Items live in a linked list of fixed-size
// segments; a consumer frees a segment as soon as it has emptied it.
//
// The hand-off is per slot: a producer constructs the item, then sets the
// slot's ready flag (release); a consumer that finds the flag set under the
// head lock (acquire) owns a complete item. The two sides share no counter on
// the fast path: puts_ lives with the tail lock and gets_ with the head lock,
// each written only by its own side, and qsize() is their difference.
//
// Shutdown: the flag is written under the tail lock, after every put that
// passed its check has published. A consumer reads the flag, then the head
// slot: if the flag is set, every item that will ever arrive is visible.
//
// Sleeping: getters, putters and joiners each park on a word with a count of
// parked threads. A waker changes the state (puts_, gets_, the flag, the task
// count), then reads the parked count, all seq_cst (Dekker's pattern in
// detail::wait_until_ready), so it skips the system call when nobody sleeps.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <utility>

#include "concur/detail/commit_on_return.hpp"
#include "concur/detail/deadline.hpp"
#include "concur/detail/lock_guard.hpp"
#include "concur/detail/parking.hpp"
#include "concur/detail/queue_errors.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/detail/wake_channel.hpp"
#include "concur/lock.hpp"

namespace concur::detail {

template <class T>
class FifoQueueCore {
  // Slots per segment: about 4 KiB of items, at least 16.
  static constexpr std::size_t kSlots = std::max<std::size_t>(16, 4096 / sizeof(T));

  struct Segment {
    Segment* next = nullptr;
    std::atomic<bool> ready[kSlots] = {};
    alignas(T) unsigned char storage[kSlots][sizeof(T)];
    T* slot(std::size_t i) noexcept { return std::launder(reinterpret_cast<T*>(storage[i])); }
  };

 public:
  explicit FifoQueueCore(std::size_t maxsize = 0)
      : maxsize_(maxsize), head_(new Segment), tail_(head_) {}
  FifoQueueCore(const FifoQueueCore&) = delete;
  FifoQueueCore& operator=(const FifoQueueCore&) = delete;
  ~FifoQueueCore() { destroy_chain(head_, head_index_, qsize()); }

  void put_until(T&& item, Deadline deadline) {
    for (;;) {
      {
        LockGuard hold(tail_lock_);
        if (shut_down_.load(std::memory_order_relaxed)) throw_queue_shut_down();
        if (maxsize_ == 0 || puts_.load(std::memory_order_relaxed) - gets_.load() < maxsize_) {
          push_locked(std::move(item));
          break;
        }
      }
      if (expired(deadline)) throw_queue_full();
      not_full_.wait([this] { return has_room() || shut_down_.load(); }, deadline);
    }
    not_empty_.wake(1);
  }

  T get_until(Deadline deadline) {
    for (;;) {
      head_lock_.acquire();
      // The flag first, then the slot (see the file comment).
      const bool shut_down = shut_down_.load();
      // acquire: pairs with the release that published the slot.
      if (head_->ready[head_index_].load(std::memory_order_acquire)) return pop_and_unlock();
      head_lock_.release();
      if (shut_down) throw_queue_shut_down();
      if (expired(deadline)) throw_queue_empty();
      not_empty_.wait([this] { return has_items() || shut_down_.load(); }, deadline);
    }
  }

  // try_get: the head item, or nothing if the queue is empty; never blocks,
  // and says "empty" without an exception (shutdown is not looked at).
  std::optional<T> try_get() {
    head_lock_.acquire();
    // acquire: pairs with the release that published the slot.
    if (head_->ready[head_index_].load(std::memory_order_acquire)) {
      return std::optional<T>(pop_and_unlock());
    }
    head_lock_.release();
    return std::nullopt;
  }

  // The unfinished-task count is puts_ - done_: producers never touch a
  // shared task counter, consumers count what they finished.
  void task_done() {
    std::size_t done = done_.load();
    do {
      if (done >= puts_.load()) throw_task_done_too_often();
    } while (!done_.compare_exchange_weak(done, done + 1));
    if (done + 1 == puts_.load()) all_done_.wake_all();
  }

  void join() {
    all_done_.wait([this] { return done_.load() == puts_.load(); }, kNoDeadline);
  }

  void shutdown(bool immediate) {
    Segment* drained = nullptr;
    std::size_t drained_index = 0;
    std::size_t drained_count = 0;
    {
      LockGuard tail(tail_lock_);
      shut_down_.store(true);
      if (immediate) {
        Segment* fresh = new Segment;  // before changing anything
        LockGuard head(head_lock_);
        drained = head_;
        drained_index = head_index_;
        drained_count = qsize();
        head_ = tail_ = fresh;
        head_index_ = tail_index_ = 0;
        gets_.store(puts_.load());
        // The drained items count as finished (never more than are unfinished).
        std::size_t done = done_.load();
        while (!done_.compare_exchange_weak(done,
                                            done + std::min(drained_count, puts_.load() - done))) {
        }
      }
    }
    not_empty_.wake_all();
    not_full_.wake_all();
    all_done_.wake_all();
    // Outside the locks: a drained item's destructor may use the queue.
    if (drained != nullptr) destroy_chain(drained, drained_index, drained_count);
  }

  // qsize: puts minus gets. gets_ is read first: it never passes puts_, so
  // the difference cannot go negative.
  std::size_t qsize() const noexcept {
    const std::size_t gets = gets_.load(std::memory_order_acquire);
    return puts_.load(std::memory_order_acquire) - gets;
  }
  std::size_t maxsize() const noexcept { return maxsize_; }
  bool full() const noexcept { return maxsize_ != 0 && qsize() >= maxsize_; }
  bool is_shut_down() const noexcept { return shut_down_.load(); }

 private:
  // push_locked: constructs the item at the tail and publishes it. Strong
  // guarantee: if T's move or a segment allocation throws, nothing changed.
  void push_locked(T&& item) CONCUR_REQUIRES(tail_lock_) {
    Segment* segment = tail_;
    const std::size_t index = tail_index_;
    T* slot = new (segment->storage[index]) T(std::move(item));
    if (index + 1 == kSlots) {
      try {
        tail_->next = new Segment;
      } catch (...) {
        slot->~T();
        throw;
      }
      tail_ = tail_->next;
      tail_index_ = 0;
    } else {
      ++tail_index_;
    }
    // Count the put before the item can be gotten, or a fast consumer's
    // task_done() could find nothing to finish. seq_cst: ordered before
    // not_empty_'s parked-count check (Dekker). A getter woken by the count
    // before the flag below is set just looks again.
    puts_.store(puts_.load(std::memory_order_relaxed) + 1);
    segment->ready[index].store(true, std::memory_order_release);  // the hand-off
  }

  // remove_head_locked: destroys the head item (moved out already) and frees
  // its slot, and its segment once that is empty.
  void remove_head_locked() noexcept CONCUR_REQUIRES(head_lock_) {
    head_->slot(head_index_)->~T();
    if (++head_index_ == kSlots) {
      Segment* emptied = head_;
      head_ = emptied->next;  // linked before the last slot was published
      head_index_ = 0;
      delete emptied;
    }
    // seq_cst: ordered before not_full_'s parked-count check (Dekker).
    gets_.store(gets_.load(std::memory_order_relaxed) + 1);
  }

  // has_items, has_room: what parked getters and putters wait for. seq_cst
  // loads: the other half of the Dekker pattern with puts_ and gets_.
  bool has_items() const noexcept { return puts_.load() != gets_.load(); }
  bool has_room() const noexcept { return puts_.load() - gets_.load() < maxsize_; }

  // pop_and_unlock: moves the head item into the caller's object and only
  // then removes it (see commit_on_return.hpp): if T's move throws, nothing
  // changed. Releases the head lock either way; after a get, wakes a putter
  // waiting for room - once unlocked, so the woken need no lock of ours.
  T pop_and_unlock() CONCUR_RELEASE(head_lock_) CONCUR_NO_THREAD_SAFETY_ANALYSIS {
    CommitOnReturn wake_putter([this] {
      if (maxsize_ != 0) not_full_.wake(1);
    });
    struct Unlock {
      Lock& lock;
      ~Unlock() { lock.release(); }
    } unlock{head_lock_};
    CommitOnReturn remove([this]() CONCUR_NO_THREAD_SAFETY_ANALYSIS { remove_head_locked(); });
    return T(std::move(*head_->slot(head_index_)));
  }

  // destroy_chain: destroys `count` items from (segment, index) on, and
  // every segment of the chain.
  static void destroy_chain(Segment* segment, std::size_t index, std::size_t count) noexcept {
    for (; count > 0; --count) {
      segment->slot(index)->~T();
      if (++index == kSlots) {
        Segment* emptied = segment;
        segment = segment->next;
        index = 0;
        delete emptied;
      }
    }
    while (segment != nullptr) {
      Segment* emptied = segment;
      segment = segment->next;
      delete emptied;
    }
  }

  // Read on every put or get, written rarely: together, apart from the rest.
  const std::size_t maxsize_;
  std::atomic<bool> shut_down_{false};

  // Each side on its own cache line. puts_ and gets_ are atomic only so the
  // other side and qsize() may read them; each is written by its own side.
  alignas(64) Lock head_lock_;
  Segment* head_ CONCUR_GUARDED_BY(head_lock_);
  std::size_t head_index_ CONCUR_GUARDED_BY(head_lock_) = 0;
  std::atomic<std::size_t> gets_{0};

  alignas(64) Lock tail_lock_;
  Segment* tail_ CONCUR_GUARDED_BY(tail_lock_);
  std::size_t tail_index_ CONCUR_GUARDED_BY(tail_lock_) = 0;
  std::atomic<std::size_t> puts_{0};

  alignas(64) std::atomic<std::size_t> done_{0};  // task_done() calls, plus drained items

  alignas(64) WakeChannel not_empty_;
  WakeChannel not_full_;
  WakeChannel all_done_;
};

}  // namespace concur::detail
