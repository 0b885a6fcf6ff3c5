// concur/asyncio/coroutine.hpp - Coroutine<T>, what a coroutine function
// returns: Python's `async def`.
//
//   concur::asyncio::Coroutine<int> compute(int x, int y) {
//     co_await concur::asyncio::sleep(1s);
//     co_return x + y;
//   }
//   concur::asyncio::Coroutine<> print_sum(int x, int y) {
//     int sum = co_await compute(x, y);   // runs compute inside this task
//     std::printf("%d + %d = %d\n", x, y, sum);
//   }
//
// A Coroutine is lazy: calling the function only makes its frame. It runs
// when awaited (co_await: inside the awaiting task, with no loop trip and
// no stack of its own - control passes by symmetric transfer, and back
// when it returns) or when it becomes a task (create_task, gather, run).
// Its result or exception travels back to the awaiter. Awaiting one twice
// throws RuntimeError. Move-only; destroying one that never ran destroys
// its frame, and with it the arguments it holds.
//
// The lambda pitfall (C++ Core Guidelines CP.51): a coroutine lambda's
// captures live in the lambda object, not in the frame, so
//   auto c = [x] () -> Coroutine<> { ... use x ... }();   // x dangles
// refers to a temporary that is gone by the first co_await. Pass values as
// parameters instead - parameters are copied into the frame:
//   auto c = [](int x) -> Coroutine<> { ... use x ... }(x);
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "concur/errors.hpp"

namespace concur::asyncio {

template <class T = void>
class [[nodiscard]] Coroutine;

namespace detail {

// PromiseResult: where a coroutine's outcome waits for its awaiter.
template <class T>
struct PromiseResult {
  std::optional<T> value;
  std::exception_ptr error;

  template <class U = T>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& result) { value.emplace(std::forward<U>(result)); }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct PromiseResult<void> {
  std::exception_ptr error;

  void return_void() noexcept {}
  void take() {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Coroutine {
 public:
  using value_type = T;

  struct promise_type : detail::PromiseResult<T> {
    // continuation: the coroutine awaiting this one; none at a task's top,
    // where control returns to the loop.
    std::coroutine_handle<> continuation;
    bool awaited = false;

    Coroutine get_return_object() noexcept {
      return Coroutine(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }

    struct FinalAwaiter {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> done) noexcept {
        // Symmetric transfer back to the awaiter: no stack grows however
        // deep the chain of awaits.
        std::coroutine_handle<> next = done.promise().continuation;
        return next ? next : std::noop_coroutine();
      }
      void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { this->error = std::current_exception(); }
  };

  using Handle = std::coroutine_handle<promise_type>;

  Coroutine() = default;
  Coroutine(Coroutine&& other) noexcept : frame_(std::exchange(other.frame_, nullptr)) {}
  Coroutine& operator=(Coroutine&& other) noexcept {
    if (this != &other) {
      reset();
      frame_ = std::exchange(other.frame_, nullptr);
    }
    return *this;
  }
  Coroutine(const Coroutine&) = delete;
  Coroutine& operator=(const Coroutine&) = delete;
  ~Coroutine() { reset(); }

  // valid: whether it holds a frame (not moved from, not yet made a task).
  bool valid() const noexcept { return static_cast<bool>(frame_); }

  // co_await: runs it in the awaiting task and returns its result.
  auto operator co_await() & { return Awaiter{claim()}; }
  auto operator co_await() && { return Awaiter{claim()}; }

  // release: the frame, for the task that will own it.
  Handle release() { return std::exchange(frame_, nullptr); }

 private:
  explicit Coroutine(Handle frame) noexcept : frame_(frame) {}

  struct Awaiter {
    Handle frame;
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
      frame.promise().continuation = awaiting;
      return frame;
    }
    T await_resume() { return frame.promise().take(); }
  };

  Handle claim() {
    if (!frame_) throw RuntimeError("cannot await an empty Coroutine (moved from, or made a task)");
    if (frame_.promise().awaited) throw RuntimeError("cannot reuse already awaited coroutine");
    frame_.promise().awaited = true;
    return frame_;
  }

  void reset() noexcept {
    if (frame_) frame_.destroy();
    frame_ = nullptr;
  }

  Handle frame_;
};

}  // namespace concur::asyncio
