// concur/process_pool_executor.hpp - concurrent.futures.ProcessPoolExecutor,
// and concur::init, which every program that uses it should call first.
//
//   int square(int x) { return x * x; }
//
//   int main(int argc, char** argv) {
//     concur::init(argc, argv);            // in a worker process: runs the worker
//     concur::ProcessPoolExecutor pool(4);
//     concur::Future<int> f = pool.submit(square, 7);
//     std::cout << f.result();             // 49, computed in another process
//   }
//
// The same calls as ThreadPoolExecutor, on worker processes. What crosses
// the process boundary must be shippable (checked at compile time): the
// callable is a function pointer, a captureless lambda, a Serializable
// callable struct, or a capturing lambda wrapped in concur::by_value()
// (its captures must be values: C++ cannot tell [x] from [&x], so a bare
// capturing lambda does not compile); arguments and result are
// concur::Serializable (<concur/serialize.hpp>).
// Big arguments and results (encoded larger than
// ProcessPoolOptions::shm_threshold) travel through shared memory the
// worker reuses, not its socket; concur::SharedBuffer and SharedArray
// (<concur/shared_memory.hpp>) share memory with tasks without a copy.
// An exception from a task comes back as the same standard or concur type
// with the same what(); any other type as RemoteError naming it.
//
// Start methods:
//   spawn - workers re-execute this program (/proc/self/exe) and divert into
//           the worker at concur::init(). Safe from any thread at any time;
//           workers start clean (a few milliseconds each, once: the
//           program's static initialisers run again). The default once
//           concur::init() has been called.
//   fork  - for programs that do not call concur::init(). The pool forks a
//           small fork server while the process is still single-threaded
//           (so construct it before starting threads); workers are forked
//           from that server, never from the threaded program. Workers see
//           the program's state as it was when the pool was built.
//
// Failures: a worker that dies (signal, exit, abort, OOM kill) fails the
// task it was running with BrokenProcessPool naming the pid and the signal
// or exit status; it is replaced and the other tasks go on. Corrupt bytes
// from a worker do the same. A task whose TaskOptions::timeout passes fails
// with TimeoutError and its worker is killed and replaced. A throwing
// initializer breaks the pool (BrokenProcessPool, as Python).
// Nothing outlives the executor: its destructor (shutdown(true)) ends and
// reaps every worker process and closes every descriptor.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/any_executor.hpp"  // AnyExecutor over a process pool, with its header alone
#include "concur/detail/executor_access.hpp"
#include "concur/detail/remote_submit.hpp"
#include "concur/detail/submit.hpp"
#include "concur/errors.hpp"
#include "concur/executor.hpp"
#include "concur/future.hpp"
#include "concur/serialize.hpp"
#include "concur/task_options.hpp"

namespace concur {

// init: call first thing in main(). In a process started as a spawn worker
// it runs the worker and never returns; otherwise it records that spawning
// is possible and returns at once.
void init(int argc, char** argv);

enum class StartMethod { spawn, fork };

// ProcessPoolOptions: how a ProcessPoolExecutor is built.
struct ProcessPoolOptions {
  // max_workers: the most worker processes; default: the CPUs this process
  // may run on. Less than 1 is a ValueError.
  std::optional<std::ptrdiff_t> max_workers = std::nullopt;
  // initializer: runs in each worker before its first task. If it throws,
  // the pool is broken.
  void (*initializer)() = nullptr;
  // max_tasks_per_child: a worker is replaced after this many tasks; none =
  // never. Less than 1 is a ValueError.
  std::optional<std::ptrdiff_t> max_tasks_per_child = std::nullopt;
  // start_method: default spawn if concur::init() was called, else fork.
  std::optional<StartMethod> start_method = std::nullopt;
  // shm_threshold: an encoded call or outcome longer than this many bytes
  // travels through shared memory (a region each worker reuses from task
  // to task) instead of the worker's socket; 0: never. See
  // <concur/shared_memory.hpp> for memory shared on purpose.
  std::size_t shm_threshold = std::size_t{64} << 10;
};

class ProcessPoolExecutor {
 public:
  explicit ProcessPoolExecutor(ProcessPoolOptions options = {});
  // ProcessPoolExecutor(n): ProcessPoolOptions{.max_workers = n}.
  explicit ProcessPoolExecutor(std::ptrdiff_t max_workers);
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;
  // ~ProcessPoolExecutor: shutdown(true), then every worker is reaped.
  ~ProcessPoolExecutor();

  // submit: runs fn(args...) in a worker process and returns its future.
  // The call is serialised here, in the caller's thread; if that throws, the
  // returned future holds the error. Throws BrokenProcessPool if the pool is
  // broken, else RuntimeError after shutdown.
  template <class F, class... Args>
  requires(!std::is_same_v<std::decay_t<F>, TaskOptions>) auto submit(F&& fn, Args&&... args) {
    return submit(TaskOptions{}, std::forward<F>(fn), std::forward<Args>(args)...);
  }

  template <class F, class... Args>
  auto submit(const TaskOptions& options, F&& fn, Args&&... args) {
    // A call that cannot be shipped stops at the check's static_assert.
    if constexpr (detail::ShippedCall<std::decay_t<F>, std::decay_t<Args>...>::ok) {
      return detail::submit_remote(*this, options, std::forward<F>(fn),
                                   std::forward<Args>(args)...);
    } else {
      return Future<void>();  // not reached: a check above failed to compile
    }
  }

  // map: as ThreadPoolExecutor::map; MapOptions::chunksize batches that many
  // calls per task (one round trip each), which is what makes small calls
  // worth shipping.
  template <class F, class... RangesAndOptions>
  auto map(F fn, RangesAndOptions&&... args) {
    return detail::map_calls(*this, std::move(fn), std::forward<RangesAndOptions>(args)...);
  }

  // shutdown: no new work is accepted; with cancel_futures, calls not yet
  // sent to a worker are cancelled; with wait, returns once every worker
  // has exited and been reaped. May be called any number of times.
  void shutdown(bool wait = true, bool cancel_futures = false);

  // max_workers: the process limit; start_method: how workers start.
  std::size_t max_workers() const noexcept;
  StartMethod start_method() const noexcept;
  // worker_pids: the live workers' process ids (for diagnostics and tests).
  std::vector<int> worker_pids() const;

 private:
  friend struct detail::ExecutorAccess;
  // post_job: queues an encoded call (from detail::submit_remote).
  void post_job(detail::RemoteJob job);

  class Impl;

  std::shared_ptr<Impl> impl_;         // shared with the manager thread
  detail::ExecutorLifetime lifetime_;  // ended first thing in the destructor
};

static_assert(Executor<ProcessPoolExecutor>);

}  // namespace concur
