// concur/detail/executor_lifetime.hpp - how something that outlives an
// executor learns it is gone. Not API.
//
// A map() result with a buffersize submits its calls as it is read, through
// a reference to its executor. Each concur executor owns an
// ExecutorLifetime and ends it first thing in its destructor; the result
// holds the shared State and submits only under its mutex, after checking
// `alive`: so it never submits to a destroyed executor, and an executor is
// never destroyed in the middle of such a submit.
#pragma once

#include <memory>
#include <mutex>

namespace concur::detail {

class ExecutorLifetime {
 public:
  struct State {
    std::mutex mutex;
    bool alive = true;  // guarded by mutex
  };

  ExecutorLifetime() : state_(std::make_shared<State>()) {}
  ExecutorLifetime(const ExecutorLifetime&) = delete;
  ExecutorLifetime& operator=(const ExecutorLifetime&) = delete;
  ~ExecutorLifetime() { end(); }

  // end: from now on, watchers see the executor as gone. Blocks while one
  // of them is submitting.
  void end() noexcept {
    std::lock_guard<std::mutex> hold(state_->mutex);
    state_->alive = false;
  }

  std::shared_ptr<State> watch() const noexcept { return state_; }

 private:
  std::shared_ptr<State> state_;
};

// ExecutorAccess: reads the private lifetime_ of concur's executors (each
// befriends it); lifetime_of() is null for any other Executor.
struct ExecutorAccess {
  template <class E>
  static auto lifetime(const E& executor) noexcept -> decltype(executor.lifetime_.watch()) {
    return executor.lifetime_.watch();
  }
};

template <class E>
std::shared_ptr<ExecutorLifetime::State> lifetime_of(const E& executor) noexcept {
  if constexpr (requires { ExecutorAccess::lifetime(executor); }) {
    return ExecutorAccess::lifetime(executor);
  } else {
    return nullptr;
  }
}

}  // namespace concur::detail
