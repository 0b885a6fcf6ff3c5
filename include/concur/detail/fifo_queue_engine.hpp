// concur/detail/fifo_queue_engine.hpp - which engine runs a Queue. Not API.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>
#include <variant>

#include "concur/detail/deadline.hpp"
#include "concur/detail/fifo_queue_core.hpp"
#include "concur/detail/ticket_queue_core.hpp"

namespace concur::detail {

// ChosenFifoEngine: an unbounded Queue of items that move without throwing
// runs lock-free on TicketQueueCore; a bounded one on the two-lock
// FifoQueueCore, whose putters wait for room. maxsize is known only at run
// time, so the choice is a variant; its index is read-only after construction
// and the branch on it predicts perfectly.
template <class T>
class ChosenFifoEngine {
 public:
  explicit ChosenFifoEngine(std::size_t maxsize) : engine_(make(maxsize)) {}

  void put_until(T&& item, Deadline deadline) {
    visit([&](auto& core) { core.put_until(std::move(item), deadline); });
  }
  T get_until(Deadline deadline) {
    return visit([&](auto& core) { return core.get_until(deadline); });
  }
  void task_done() {
    visit([](auto& core) { core.task_done(); });
  }
  void join() {
    visit([](auto& core) { core.join(); });
  }
  void shutdown(bool immediate) {
    visit([&](auto& core) { core.shutdown(immediate); });
  }
  std::size_t qsize() const noexcept {
    return visit([](const auto& core) { return core.qsize(); });
  }
  std::size_t maxsize() const noexcept {
    return visit([](const auto& core) { return core.maxsize(); });
  }
  bool full() const noexcept {
    return visit([](const auto& core) { return core.full(); });
  }
  bool is_shut_down() const noexcept {
    return visit([](const auto& core) { return core.is_shut_down(); });
  }

 private:
  using Engines = std::variant<TicketQueueCore<T>, FifoQueueCore<T>>;

  // make: the variant's members can be neither copied nor moved, so it is
  // built in place, through guaranteed copy elision.
  static Engines make(std::size_t maxsize) {
    if (maxsize == 0) return Engines(std::in_place_index<0>);
    return Engines(std::in_place_index<1>, maxsize);
  }

  template <class F>
  decltype(auto) visit(F&& f) {
    if (auto* ticket = std::get_if<0>(&engine_)) return f(*ticket);
    return f(*std::get_if<1>(&engine_));
  }
  template <class F>
  decltype(auto) visit(F&& f) const {
    if (const auto* ticket = std::get_if<0>(&engine_)) return f(*ticket);
    return f(*std::get_if<1>(&engine_));
  }

  Engines engine_;
};

// FifoEngine: ChosenFifoEngine when T's move cannot throw (TicketFifo needs
// that), the two-lock engine otherwise.
template <class T>
using FifoEngine = std::conditional_t<std::is_nothrow_move_constructible_v<T>, ChosenFifoEngine<T>,
                                      FifoQueueCore<T>>;

}  // namespace concur::detail
