// concur/detail/task.hpp - a submitted call fused with its future's state:
// one allocation per task. Not API.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "concur/detail/future_state.hpp"

namespace concur::detail {

// A worker's hook, called in its own thread between a task's call returning
// and its future completing, so the worker counts as idle before anyone can
// see the result (and submit again). Empty outside pool workers.
struct CallReturnedHook {
  void (*fn)(void*) = nullptr;
  void* context = nullptr;
};
inline thread_local CallReturnedHook call_returned_hook;

inline void call_returned() noexcept {
  if (call_returned_hook.fn != nullptr) call_returned_hook.fn(call_returned_hook.context);
}

// Task: runs fn(args...) once and completes its own future with the outcome.
// The callable and its arguments are destroyed as soon as the call returns,
// before the future completes: whoever sees the result also sees them gone.
template <class R, class F, class... Args>
class Task final : public FutureState<R> {
 public:
  template <class G, class... A>
  explicit Task(G&& fn, A&&... args)
      : call_(std::in_place, std::forward<G>(fn), std::forward<A>(args)...) {}

  void run_task() noexcept override {
    // A future cancelled while queued is not run; its call is dropped.
    bool run = false;
    try {
      run = this->set_running_or_notify_cancel();
    } catch (...) {
    }
    if (!run) {
      call_.reset();
      return;
    }
    try {
      if constexpr (std::is_void_v<R>) {
        std::apply(invoke_stored, *call_);
        call_.reset();
        call_returned();
        this->set_value();
      } else {
        R value = std::apply(invoke_stored, *call_);
        call_.reset();
        call_returned();
        this->set_value(std::move(value));
      }
    } catch (...) {
      call_.reset();
      call_returned();
      this->set_exception(std::current_exception());
    }
  }

 private:
  static decltype(auto) invoke_stored(F& fn, Args&... args) { return std::invoke(fn, args...); }

  std::optional<std::tuple<F, Args...>> call_;
};

}  // namespace concur::detail
