// concur/detail/ticket_queue_core.hpp - the engine behind an unbounded Queue
// whose items move without throwing. Not API; see concur/queue.hpp.
//
// The lock-free TicketFifo (as SimpleQueue) plus Queue's unfinished-task
// count. The one race to settle is a put that passed its shutdown check just
// before an immediate shutdown drained the queue: the put publishes, then
// looks at the mode (seq_cst both), while shutdown() sets the mode, then
// drains (seq_cst both) - so either the drain finds the item or the put sees
// the mode and discards what is left itself.
#pragma once

#include <cstddef>
#include <utility>

#include "concur/detail/deadline.hpp"
#include "concur/detail/ticket_fifo.hpp"
#include "concur/detail/unfinished_tasks.hpp"

namespace concur::detail {

template <class T>
class TicketQueueCore {
 public:
  TicketQueueCore() = default;
  TicketQueueCore(const TicketQueueCore&) = delete;
  TicketQueueCore& operator=(const TicketQueueCore&) = delete;

  void put_until(T&& item, Deadline deadline) {
    fifo_.put_until(std::move(item), deadline, [this] { unfinished_.add_one(); });
    if (fifo_.is_shut_down_immediately()) unfinished_.settle(fifo_.discard());
  }
  T get_until(Deadline deadline) { return fifo_.get_until(deadline); }

  void task_done() { unfinished_.task_done(); }
  void join() { unfinished_.join(); }

  void shutdown(bool immediate) {
    fifo_.shutdown(immediate);
    if (immediate) unfinished_.settle(fifo_.discard());
  }

  std::size_t qsize() const noexcept { return fifo_.qsize(); }
  static constexpr std::size_t maxsize() noexcept { return 0; }
  static constexpr bool full() noexcept { return false; }
  bool is_shut_down() const noexcept { return fifo_.is_shut_down(); }

 private:
  TicketFifo<T> fifo_;
  UnfinishedTasks unfinished_;
};

}  // namespace concur::detail
