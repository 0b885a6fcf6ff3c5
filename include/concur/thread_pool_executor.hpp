// concur/thread_pool_executor.hpp - concurrent.futures.ThreadPoolExecutor.
//
//   concur::ThreadPoolExecutor pool(4);
//   concur::Future<int> f = pool.submit([](int x) { return x * x; }, 7);
//   std::cout << f.result();                        // 49
//   for (int y : pool.map([](int x) { return x + 1; }, std::vector{1, 2, 3})) ...
//   // the destructor waits for the queued work (Python's `with` block)
//
// Python's rules: threads start lazily, one per submit at most, and an idle
// one is reused before a new one starts; tasks start in submission order; a
// worker survives any exception its task throws (it goes into the future).
// Threads are named "<prefix>_<i>" (default prefix "ThreadPoolExecutor-<k>").
// An initializer runs in each worker before its first task; if it throws,
// the pool is broken: queued futures fail with BrokenThreadPool and so does
// every later submit. shutdown(wait = true) from inside one of the pool's own
// tasks throws RuntimeError instead of deadlocking. All members are
// thread-safe. Not copyable or movable.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/detail/deadline.hpp"
#include "concur/detail/executor_access.hpp"
#include "concur/detail/submit.hpp"
#include "concur/errors.hpp"
#include "concur/executor.hpp"
#include "concur/future.hpp"

namespace concur {

namespace gil {
class Gil;
}

// ThreadPoolOptions: how a ThreadPoolExecutor is built.
struct ThreadPoolOptions {
  // max_workers: the most threads it starts; default min(32, hardware
  // threads + 4), as Python. Less than 1 is a ValueError.
  std::optional<std::ptrdiff_t> max_workers = std::nullopt;
  // thread_name_prefix: worker threads are named "<prefix>_<i>" (the OS keeps
  // the first 15 characters). Default "ThreadPoolExecutor-<k>".
  std::string thread_name_prefix = {};
  // initializer: runs in each worker thread before its first task.
  std::function<void()> initializer = {};
  // gil: if set, every task (and the initializer) runs holding this GIL,
  // taken before and released after, and not held while a worker idles:
  // the pool's threads behave like Python threads. Must outlive the pool.
  gil::Gil* gil = nullptr;
  // stack_size: each worker's stack in bytes (Python's threading.stack_size);
  // 0 is the system default.
  std::size_t stack_size = 0;
};

class ThreadPoolExecutor {
 public:
  explicit ThreadPoolExecutor(ThreadPoolOptions options = {});
  // ThreadPoolExecutor(n): ThreadPoolOptions{.max_workers = n}.
  explicit ThreadPoolExecutor(std::ptrdiff_t max_workers);
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;
  // ~ThreadPoolExecutor: shutdown(true).
  ~ThreadPoolExecutor();

  // submit: schedules fn(args...) and returns its future. The callable and
  // arguments are stored by value and destroyed as soon as the call returns.
  // Throws BrokenThreadPool if the pool is broken, else RuntimeError after
  // shutdown.
  template <class F, class... Args>
  auto submit(F&& fn, Args&&... args) {
    return detail::submit_task(*this, std::forward<F>(fn), std::forward<Args>(args)...);
  }

  // map: fn over the ranges zipped (stopping at the shortest), every call
  // submitted before it returns; see MapResult. A last argument of type
  // MapOptions sets the timeout and chunksize (ValueError if chunksize < 1).
  template <class F, class... RangesAndOptions>
  auto map(F fn, RangesAndOptions&&... args) {
    return detail::map_calls(*this, std::move(fn), std::forward<RangesAndOptions>(args)...);
  }

  // shutdown: no new work is accepted; with cancel_futures, queued work is
  // cancelled; with wait, returns once every worker has finished and exited.
  // May be called any number of times. Throws RuntimeError if asked to wait
  // from one of the pool's own threads.
  void shutdown(bool wait = true, bool cancel_futures = false);

  // max_workers: the thread limit; thread_count: threads started so far.
  std::size_t max_workers() const noexcept;
  std::size_t thread_count() const;

 private:
  friend struct detail::ExecutorAccess;
  // post_task: queues a task holding one reference for the queue (from
  // detail::submit_task).
  void post_task(detail::FutureStateBase* task);

  class Impl;

  std::shared_ptr<Impl> impl_;         // shared with the worker threads
  detail::ExecutorLifetime lifetime_;  // ended first thing in the destructor
};

static_assert(Executor<ThreadPoolExecutor>);

}  // namespace concur
