// concur/executor.hpp - what every concur executor offers, and MapOptions.
//
// An executor runs callables somewhere else and hands back Futures:
//
//   template <concur::Executor E>
//   int sum_of_squares(E& executor, const std::vector<int>& xs) {
//     int total = 0;
//     for (int y : executor.map([](int x) { return x * x; }, xs)) total += y;
//     return total;
//   }
//
// - submit(fn, args...) returns Future<R>; throws RuntimeError after
//   shutdown() and a BrokenExecutor subclass once the pool is broken.
// - map(fn, ranges..., MapOptions{}) submits every call before it returns and
//   yields the results in input order (see MapResult; MapOptions sets the
//   timeout and the chunksize).
// - shutdown(wait = true, cancel_futures = false); the destructor is
//   shutdown(true).
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

#include "concur/detail/by_value.hpp"
#include "concur/detail/executor_lifetime.hpp"
#include "concur/detail/remote_submit.hpp"
#include "concur/detail/submit.hpp"
#include "concur/errors.hpp"
#include "concur/future.hpp"

namespace concur {

// Executor: the interface generic code is written against.
template <class E>
concept Executor = requires(E& executor, int (*fn)(int)) {
  { executor.submit(fn, 1) } -> std::same_as<Future<int>>;
  executor.shutdown();
  executor.shutdown(true, false);
};

// AnyExecutor: owns any executor and forwards to it, for choosing the engine
// at run time. The same call sites work on it as on the engine itself.
//
//   concur::AnyExecutor executor(std::make_unique<concur::ThreadPoolExecutor>(4));
//   auto f = executor.submit([] { return 42; });
//
// Over a process pool, a call must be shippable (see ProcessPoolExecutor);
// as the engine is only known at run time, a call that is not is refused
// with ValueError at submit() rather than at compile time.
// Destroying it destroys the engine (which waits for its work).
class AnyExecutor {
 public:
  template <class E>
  explicit AnyExecutor(std::unique_ptr<E> engine)
      : engine_(std::make_unique<Engine<E>>(std::move(engine))) {
    static_assert(Executor<E>, "AnyExecutor: the engine must satisfy concur::Executor");
  }

  template <class F, class... Args>
  requires(!std::is_same_v<std::decay_t<F>, TaskOptions>) auto submit(F&& fn, Args&&... args) {
    return submit(TaskOptions{}, std::forward<F>(fn), std::forward<Args>(args)...);
  }

  // submit(TaskOptions, ...): the options apply to process pools.
  template <class F, class... Args>
  auto submit(const TaskOptions& options, F&& fn, Args&&... args) {
    if (engine_->runs_in_processes()) {
      if constexpr (detail::ShippableCall<std::decay_t<F>, std::decay_t<Args>...>) {
        return detail::submit_remote(*this, options, std::forward<F>(fn),
                                     std::forward<Args>(args)...);
      } else {
        throw ValueError(
            "AnyExecutor: this call cannot be shipped to a worker process (the callable must "
            "be a function pointer, a captureless lambda, a Serializable callable struct or a "
            "lambda wrapped in concur::by_value(); the arguments and result "
            "concur::Serializable)");
      }
    }
    return detail::submit_task(*this, std::forward<F>(fn), std::forward<Args>(args)...);
  }

  template <class F, class... RangesAndOptions>
  auto map(F fn, RangesAndOptions&&... args) {
    return detail::map_calls(*this, std::move(fn), std::forward<RangesAndOptions>(args)...);
  }

  void shutdown(bool wait = true, bool cancel_futures = false) {
    engine_->shutdown(wait, cancel_futures);
  }

  // post_task / post_job: see ThreadPoolExecutor::post_task and
  // ProcessPoolExecutor::post_job.
  void post_task(detail::FutureStateBase* task) { engine_->post_task(task); }
  void post_job(detail::RemoteJob job) { engine_->post_job(std::move(job)); }

 private:
  template <class E>
  static constexpr bool kRemote = requires(E& e, detail::RemoteJob job) {
    e.post_job(job);
  };

  struct EngineBase {
    virtual ~EngineBase() = default;
    virtual bool runs_in_processes() const noexcept = 0;
    virtual void post_task(detail::FutureStateBase* task) = 0;
    virtual void post_job(detail::RemoteJob job) = 0;
    virtual void shutdown(bool wait, bool cancel_futures) = 0;
  };
  template <class E>
  struct Engine final : EngineBase {
    explicit Engine(std::unique_ptr<E> e) : engine(std::move(e)) {}
    bool runs_in_processes() const noexcept override { return kRemote<E>; }
    void post_task(detail::FutureStateBase* task) override {
      if constexpr (kRemote<E>) {
        task->release_ref();  // unreachable: submit() sends remote engines jobs
      } else {
        engine->post_task(task);
      }
    }
    void post_job(detail::RemoteJob job) override {
      if constexpr (kRemote<E>) engine->post_job(std::move(job));
    }
    void shutdown(bool wait, bool cancel_futures) override {
      engine->shutdown(wait, cancel_futures);
    }
    std::unique_ptr<E> engine;
  };

  friend struct detail::ExecutorAccess;
  std::unique_ptr<EngineBase> engine_;
  detail::ExecutorLifetime lifetime_;  // destroyed (ended) before the engine
};

static_assert(Executor<AnyExecutor>);

}  // namespace concur
