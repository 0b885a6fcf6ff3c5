// concur/asyncio/handle.hpp - Handle and TimerHandle: a callback scheduled
// on an EventLoop (asyncio.Handle, asyncio.TimerHandle).
//
//   auto h = loop.call_later(2s, [] { std::puts("late"); });
//   h.cancel();                 // it will not run
//
// A handle is a cheap, copyable reference to the scheduled callback.
// Dropping it does not cancel anything. cancel() and cancelled() belong to
// the loop's thread, as in Python.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <utility>

namespace concur::asyncio {

class EventLoop;

namespace detail {

// HandleState: the callback, shared by the loop's queues and the handles.
struct HandleState {
  std::atomic<int> refs{1};
  std::function<void()> fn;
  EventLoop* loop = nullptr;
  std::chrono::steady_clock::time_point when{};
  bool cancelled = false;
  bool in_heap = false;  // a timer still in the loop's heap

  void add_ref() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    // acq_rel: the last owner sees every other owner's writes.
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  void cancel() noexcept;
};

}  // namespace detail

class Handle {
 public:
  Handle() = default;
  Handle(const Handle& other) noexcept : state_(other.state_) {
    if (state_ != nullptr) state_->add_ref();
  }
  Handle(Handle&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Handle& operator=(Handle other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~Handle() {
    if (state_ != nullptr) state_->release();
  }

  // cancel: the callback will not run (if it has not yet). Idempotent.
  void cancel() noexcept {
    if (state_ != nullptr) state_->cancel();
  }
  bool cancelled() const noexcept { return state_ != nullptr && state_->cancelled; }

  // Adopts a reference (for the loop).
  explicit Handle(detail::HandleState* adopted) noexcept : state_(adopted) {}

 protected:
  detail::HandleState* state_ = nullptr;
};

class TimerHandle : public Handle {
 public:
  TimerHandle() = default;
  explicit TimerHandle(detail::HandleState* adopted) noexcept : Handle(adopted) {}

  // when: the loop time at which it is scheduled to run.
  std::chrono::steady_clock::time_point when() const noexcept {
    return state_ != nullptr ? state_->when : std::chrono::steady_clock::time_point{};
  }
};

}  // namespace concur::asyncio
