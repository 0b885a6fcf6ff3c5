// concur/detail/executor_access.hpp - the private side of concur's
// executors: how submit() hands them work and how something that outlives
// an executor learns it is gone. Not API.
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
#include <utility>

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

class FutureStateBase;

// ExecutorAccess: reaches the private members of concur's executors (each
// befriends it): post_task() takes a ready-made task holding one reference
// for the executor (thread pools), post_job() an encoded call (process
// pools), lifetime() the executor's ExecutorLifetime. The trailing return
// types make each one SFINAE-friendly: `requires { ExecutorAccess::post_job(e,
// job); }` asks whether E takes jobs. lifetime_of() is null for any
// Executor that is not concur's.
struct ExecutorAccess {
  template <class E>
  static auto post_task(E& executor, FutureStateBase* task) -> decltype(executor.post_task(task)) {
    return executor.post_task(task);
  }
  template <class E, class Job>
  static auto post_job(E& executor, Job&& job)
      -> decltype(executor.post_job(std::forward<Job>(job))) {
    return executor.post_job(std::forward<Job>(job));
  }
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
