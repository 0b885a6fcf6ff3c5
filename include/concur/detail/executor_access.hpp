// concur/detail/executor_access.hpp - the private side of concur's
// executors: how submit() hands them work and how something that outlives
// an executor learns it is gone. Not API.
//
// A map() result with a buffersize submits its calls as it is read, through
// a reference to its executor. Each concur executor owns an
// ExecutorLifetime and ends it first thing in its destructor; the result
// holds the shared State and submits only through run_if_alive(): so it
// never submits to a destroyed executor, and an executor is never destroyed
// in the middle of such a submit.
#pragma once

#include <memory>
#include <utility>

#include "concur/detail/mutex.hpp"
#include "concur/detail/thread_annotations.hpp"

namespace concur::detail {

class ExecutorLifetime {
 public:
  class State {
   public:
    // run_if_alive: runs fn() and returns true while the executor is alive,
    // holding it so for as long as fn() runs; returns false otherwise.
    template <class F>
    bool run_if_alive(F&& fn) {
      MutexLock hold(mutex_);
      if (!alive_) return false;
      std::forward<F>(fn)();
      return true;
    }
    // end: from now on, run_if_alive() runs nothing. Blocks while fn() runs.
    void end() noexcept {
      MutexLock hold(mutex_);
      alive_ = false;
    }

   private:
    Mutex mutex_;
    bool alive_ CONCUR_GUARDED_BY(mutex_) = true;
  };

  ExecutorLifetime() : state_(std::make_shared<State>()) {}
  ExecutorLifetime(const ExecutorLifetime&) = delete;
  ExecutorLifetime& operator=(const ExecutorLifetime&) = delete;
  ~ExecutorLifetime() { end(); }

  // end: from now on, watchers see the executor as gone. Blocks while one
  // of them is submitting.
  void end() noexcept { state_->end(); }

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
