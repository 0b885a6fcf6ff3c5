// concur/detail/asyncio/loop_future.hpp - asyncio.Future's state: what a
// task waits on. Not API; see concur/asyncio.hpp.
//
// A LoopFuture belongs to one EventLoop and is touched only from that
// loop's thread. It is pending, then finished (a result or an exception) or
// cancelled; its done-callbacks are not run when it completes but scheduled
// on the loop (call_soon), as CPython does, so a task woken by a future
// runs on the next iteration. Tasks, sleep(), the locks, the queues and the
// combinators all wait on one.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <vector>

namespace concur::asyncio {
class EventLoop;
}  // namespace concur::asyncio

namespace concur::asyncio::detail {

// Callback: fn(context), scheduled on the loop once the future is done.
struct Callback {
  void (*fn)(void* context) = nullptr;
  void* context = nullptr;
};

class LoopFuture {
 public:
  enum class State : unsigned char { pending, finished, cancelled };

  explicit LoopFuture(EventLoop& loop) noexcept : loop_(&loop) {}
  virtual ~LoopFuture() = default;
  LoopFuture(const LoopFuture&) = delete;
  LoopFuture& operator=(const LoopFuture&) = delete;

  EventLoop& loop() const noexcept { return *loop_; }
  bool done() const noexcept { return state_ != State::pending; }
  bool cancelled() const noexcept { return state_ == State::cancelled; }
  bool failed() const noexcept { return state_ == State::finished && error_ != nullptr; }
  std::exception_ptr error() const noexcept { return error_; }

  // cancel: a pending future becomes cancelled and schedules its callbacks;
  // false if it was done. Tasks and gather() cancel what they wait on.
  virtual bool cancel();

  // set_exception / finish: complete a pending future (InvalidStateError if
  // it is done). A derived type stores its value before finish().
  void set_exception(std::exception_ptr error);
  void finish();

  // add_callback: scheduled when the future completes - at once (on the
  // next iteration) if it is done already. remove_callback: forgets the
  // callbacks with this context that have not been scheduled yet.
  void add_callback(Callback callback);
  void remove_callback(void* context) noexcept;

 protected:
  void complete(State state);
  void check_pending() const;

 private:
  EventLoop* loop_;
  State state_ = State::pending;
  std::exception_ptr error_;
  // Most futures have one waiter: it is kept inline, the rest in a vector.
  Callback first_;
  std::vector<Callback> more_;
};

// ValueFuture<T>: a LoopFuture with a value, for the internal futures of
// sleep(), the locks, the queues and the combinators.
template <class T>
class ValueFuture : public LoopFuture {
 public:
  using LoopFuture::LoopFuture;

  template <class... Args>
  void set_result(Args&&... args) {
    check_pending();
    value_.emplace(static_cast<Args&&>(args)...);
    finish();
  }
  T& value() noexcept { return *value_; }

 private:
  std::optional<T> value_;
};

template <>
class ValueFuture<void> : public LoopFuture {
 public:
  using LoopFuture::LoopFuture;
  void set_result() { finish(); }
};

}  // namespace concur::asyncio::detail
