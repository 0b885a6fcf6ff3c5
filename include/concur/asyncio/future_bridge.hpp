// concur/asyncio/future_bridge.hpp - co_await on a concur::Future, and
// run_in_executor: the bridge from the loop to threads and processes.
//
//   concur::ThreadPoolExecutor pool(2);
//   int x = co_await pool.submit(parse, path);            // any concur::Future
//   int y = co_await loop.run_in_executor(pool, parse, path);
//   int z = co_await loop.run_in_executor(nullptr, parse, path);  // the default pool
//   auto task = wrap_future(pool.submit(parse, path));    // a Task of it
//
// The awaiting task suspends; the future's done-callback, in whatever
// thread completes it (a pool worker, a process pool's manager), posts to
// the loop's inbox, which wakes the loop through its eventfd - no polling.
// Cancelling the awaiting task cancels the future (which succeeds only if
// it has not started) and throws CancelledError at the co_await. A future
// that completes after its loop is gone is dropped quietly.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "concur/asyncio/coroutine.hpp"
#include "concur/asyncio/event_loop.hpp"
#include "concur/asyncio/task.hpp"
#include "concur/detail/asyncio/inbox.hpp"
#include "concur/detail/asyncio/loop_future.hpp"
#include "concur/detail/asyncio/task_base.hpp"
#include "concur/errors.hpp"
#include "concur/executor.hpp"
#include "concur/future.hpp"
#include "concur/thread_pool_executor.hpp"

namespace concur::asyncio::detail {

// BridgeLink: shared by the awaiter and the future's callback. `target` is
// touched only on the loop's thread (by the awaiter, and by what the
// callback posts there).
struct BridgeLink {
  LoopFuture* target = nullptr;
};

template <class T>
class FutureBridge {
 public:
  explicit FutureBridge(Future<T> future) : future_(std::move(future)) {
    if (!future_.valid()) throw InvalidStateError("co_await of an empty concur::Future");
  }
  FutureBridge(FutureBridge&&) = default;
  ~FutureBridge() {
    if (link_) link_->target = nullptr;
    end_wait();
  }

  bool await_ready() const {
    const TaskBase* task = running_task();
    return future_.done() && (task == nullptr || !task->has_cancel_pending());
  }
  void await_suspend(std::coroutine_handle<> resume) {
    TaskBase& task = running_task_or_throw("co_await of a concur::Future");
    woken_.emplace(task.loop());
    link_ = std::make_shared<BridgeLink>(BridgeLink{&*woken_});
    future_.add_done_callback(
        [link = link_, inbox = LoopAccess::inbox(task.loop())](const Future<T>&) {
          auto* post = new HandleState;
          post->fn = [link] {
            if (link->target != nullptr && !link->target->done()) link->target->finish();
          };
          inbox->post(post);  // dropped if the loop is gone
        });
    task.park_on(*woken_, resume);
    loop_ = &task.loop();
    LoopAccess::bridge_started(*loop_);
  }
  decltype(auto) await_resume() {
    end_wait();
    TaskBase* task = running_task();
    const bool cancelled =
        (task != nullptr && task->take_cancel()) || (woken_ && woken_->cancelled());
    if (cancelled) {
      future_.cancel();  // wrap_future's rule: the pool's future goes too, if it can
      throw CancelledError("the task awaiting a concur::Future was cancelled");
    }
    if constexpr (std::is_void_v<T>) {
      future_.result();
    } else {
      return T(future_.result());
    }
  }

 private:
  void end_wait() noexcept {
    if (loop_ != nullptr) LoopAccess::bridge_ended(*std::exchange(loop_, nullptr));
  }

  Future<T> future_;
  std::optional<ValueFuture<void>> woken_;
  std::shared_ptr<BridgeLink> link_;
  EventLoop* loop_ = nullptr;  // set while waiting
};

}  // namespace concur::asyncio::detail

namespace concur {

// co_await future: found by argument-dependent lookup for concur::Future.
template <class T>
asyncio::detail::FutureBridge<T> operator co_await(Future<T> future) {
  return asyncio::detail::FutureBridge<T>(std::move(future));
}

}  // namespace concur

namespace concur::asyncio {

// wrap_future: a Task that awaits the future (cancellable, awaitable by
// many, with a name and done-callbacks), on the running loop.
template <class T>
Task<T> wrap_future(Future<T> future) {
  auto awaiting = [](Future<T> f) -> Coroutine<T> {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(f);
    } else {
      co_return co_await std::move(f);
    }
  };
  return create_task(awaiting(std::move(future)));
}

template <class E, class F, class... Args>
auto EventLoop::run_in_executor(E& executor, F&& fn, Args&&... args) {
  static_assert(concur::Executor<E>,
                "run_in_executor: the first argument must be an Executor "
                "(or nullptr, for the loop's default ThreadPoolExecutor)");
  return detail::FutureBridge(executor.submit(std::forward<F>(fn), std::forward<Args>(args)...));
}

template <class F, class... Args>
auto EventLoop::run_in_executor(std::nullptr_t, F&& fn, Args&&... args) {
  return run_in_executor(default_executor(), std::forward<F>(fn), std::forward<Args>(args)...);
}

}  // namespace concur::asyncio
