// concur/detail/task.hpp - a submitted call fused with its future's state:
// one allocation per task. Not API.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <new>
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
// A destructor among them that throws (a captured object's, declared
// noexcept(false)) cannot make the call fail after it returned: the
// exception goes to the callback error handler (stderr by default), as
// Python reports an exception raised in __del__, and the future gets the
// call's own outcome. Nothing of it reaches the worker or std::terminate.
template <class R, class F, class... Args>
class Task final : public FutureState<R> {
  using Call = std::tuple<F, Args...>;

 public:
  template <class G, class... A>
  explicit Task(G&& fn, A&&... args) {
    ::new (static_cast<void*>(storage_)) Call(std::forward<G>(fn), std::forward<A>(args)...);
    engaged_ = true;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() override { drop_call(); }  // never run (cancelled, or failed by a broken pool)

  void run_task() noexcept override {
    // A future cancelled while queued is not run; its call is dropped.
    bool run = false;
    try {
      run = this->set_running_or_notify_cancel();
    } catch (...) {
    }
    if (!run) {
      drop_call();
      return;
    }
    try {
      if constexpr (std::is_void_v<R>) {
        std::apply(invoke_stored, *call());
        drop_call();
        call_returned();
        this->set_value();
      } else {
        R value = std::apply(invoke_stored, *call());
        drop_call();
        call_returned();
        this->set_value(std::move(value));
      }
    } catch (...) {
      // The call threw (or moving its result did).
      drop_call();
      call_returned();
      this->set_exception(std::current_exception());
    }
  }

 private:
  static decltype(auto) invoke_stored(F& fn, Args&... args) { return std::invoke(fn, args...); }

  Call* call() noexcept { return std::launder(reinterpret_cast<Call*>(storage_)); }

  // drop_call: destroys the callable and the arguments, once. std::destroy_at
  // lets a throwing destructor's exception out (std::optional::reset, being
  // noexcept, would terminate), so it can be caught and reported here.
  void drop_call() noexcept {
    if (!engaged_) return;
    engaged_ = false;
    try {
      std::destroy_at(call());
    } catch (...) {
      report_callback_error(std::current_exception());
    }
  }

  alignas(Call) unsigned char storage_[sizeof(Call)];
  bool engaged_ = false;
};

}  // namespace concur::detail
