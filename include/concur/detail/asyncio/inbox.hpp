// concur/detail/asyncio/inbox.hpp - how other threads hand callbacks to a
// loop: call_soon_threadsafe, and a concur::Future finishing in a pool
// thread. Not API.
//
// Posters append under a mutex; the loop takes everything at each
// iteration. The eventfd is written only when the loop sleeps, or is about
// to: the loop sets `sleeping` (seq_cst) and then looks for items, a poster
// appends and then exchanges `sleeping` (seq_cst) - so either the loop sees
// the item before it sleeps, or the poster sees it asleep and wakes it
// (Dekker). The inbox is shared: a late poster (a pool thread finishing
// after the loop is gone) finds it closed, and its callback is dropped.
#pragma once

#include <atomic>
#include <vector>

#include "concur/asyncio/handle.hpp"
#include "concur/detail/mutex.hpp"
#include "concur/detail/thread_annotations.hpp"

namespace concur::asyncio::detail {

class Inbox {
 public:
  Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;
  ~Inbox();

  // post: queues `handle` (taking over a reference) and wakes the loop;
  // false, with the reference released, once the inbox is closed.
  bool post(HandleState* handle) noexcept;

  // For the loop's thread.
  int fd() const noexcept { return fd_; }
  bool has_items() const noexcept { return pending_.load(std::memory_order_seq_cst); }
  void take(std::vector<HandleState*>& out);
  void set_sleeping(bool sleeping) noexcept {
    sleeping_.store(sleeping, std::memory_order_seq_cst);
  }
  void drain_wakeups() noexcept;
  void close() noexcept;

 private:
  concur::detail::Mutex mutex_;
  std::vector<HandleState*> items_ CONCUR_GUARDED_BY(mutex_);
  bool closed_ CONCUR_GUARDED_BY(mutex_) = false;
  std::atomic<bool> pending_{false};   // items_ is not empty
  std::atomic<bool> sleeping_{false};  // the loop is in (or entering) epoll_wait
  int fd_ = -1;                        // the eventfd
};

}  // namespace concur::asyncio::detail
