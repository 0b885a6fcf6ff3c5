// concur/any_executor.hpp - AnyExecutor: any executor, chosen at run time.
//
//   concur::AnyExecutor executor = use_processes
//       ? concur::AnyExecutor(std::make_unique<concur::ProcessPoolExecutor>(4))
//       : concur::AnyExecutor(std::make_unique<concur::ThreadPoolExecutor>(4));
//   auto f = executor.submit(square, 7);
//
// AnyExecutor owns its engine and forwards submit(), map() and shutdown()
// to it; the same call sites work on it as on the engine itself. Over a
// process pool a call must be shippable (see ProcessPoolExecutor); as the
// engine is known only at run time, a call that is not is refused with
// ValueError at submit() rather than at compile time. Destroying it
// destroys the engine (which waits for its work). Not copyable or movable.
//
// This header parses the serialisation layer (a call may go to a process);
// a program that uses thread pools only need not include it.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "concur/detail/executor_access.hpp"
#include "concur/detail/remote_submit.hpp"
#include "concur/detail/submit.hpp"
#include "concur/errors.hpp"
#include "concur/executor.hpp"
#include "concur/future.hpp"
#include "concur/task_options.hpp"

namespace concur {

class AnyExecutor {
 public:
  template <class E>
  explicit AnyExecutor(std::unique_ptr<E> engine) : engine_(make_engine(std::move(engine))) {}

  template <class F, class... Args>
  requires(!std::is_same_v<std::decay_t<F>, TaskOptions>) auto submit(F&& fn, Args&&... args) {
    return submit(TaskOptions{}, std::forward<F>(fn), std::forward<Args>(args)...);
  }

  // submit(TaskOptions, ...): the options apply to process pools.
  template <class F, class... Args>
  auto submit(const TaskOptions& options, F&& fn, Args&&... args) {
    if (RemoteSink* remote = engine_->remote()) {
      if constexpr (detail::ShippableCall<std::decay_t<F>, std::decay_t<Args>...>) {
        return detail::submit_remote(*remote, options, std::forward<F>(fn),
                                     std::forward<Args>(args)...);
      } else {
        throw ValueError(
            "AnyExecutor: this call cannot be shipped to a worker process (the callable must "
            "be a function pointer, a captureless lambda, a Serializable callable struct or a "
            "lambda wrapped in concur::by_value(); the arguments and result "
            "concur::Serializable)");
      }
    }
    return detail::submit_task(*engine_->local(), std::forward<F>(fn), std::forward<Args>(args)...);
  }

  template <class F, class... RangesAndOptions>
  auto map(F fn, RangesAndOptions&&... args) {
    return detail::map_calls(*this, std::move(fn), std::forward<RangesAndOptions>(args)...);
  }

  void shutdown(bool wait = true, bool cancel_futures = false) {
    engine_->shutdown(wait, cancel_futures);
  }

 private:
  // The erased engine is either local (it takes tasks) or remote (it takes
  // encoded jobs), never both: local() or remote() is null, so a job can
  // only ever reach an engine that runs it.
  struct LocalSink {
    virtual void post_task(detail::FutureStateBase* task) = 0;

   protected:
    ~LocalSink() = default;
  };
  struct RemoteSink {
    virtual void post_job(detail::RemoteJob job) = 0;

   protected:
    ~RemoteSink() = default;
  };
  struct EngineBase {
    virtual ~EngineBase() = default;
    virtual LocalSink* local() noexcept { return nullptr; }
    virtual RemoteSink* remote() noexcept { return nullptr; }
    virtual void shutdown(bool wait, bool cancel_futures) = 0;
  };

  template <class E>
  struct Owned : EngineBase {
    explicit Owned(std::unique_ptr<E> e) : engine(std::move(e)) {}
    void shutdown(bool wait, bool cancel_futures) override {
      engine->shutdown(wait, cancel_futures);
    }
    std::unique_ptr<E> engine;
  };
  template <class E>
  struct LocalEngine final : Owned<E>, LocalSink {
    using Owned<E>::Owned;
    LocalSink* local() noexcept override { return this; }
    void post_task(detail::FutureStateBase* task) override {
      detail::ExecutorAccess::post_task(*this->engine, task);
    }
  };
  template <class E>
  struct RemoteEngine final : Owned<E>, RemoteSink {
    using Owned<E>::Owned;
    RemoteSink* remote() noexcept override { return this; }
    void post_job(detail::RemoteJob job) override {
      detail::ExecutorAccess::post_job(*this->engine, std::move(job));
    }
  };

  template <class E>
  static std::unique_ptr<EngineBase> make_engine(std::unique_ptr<E> engine) {
    static_assert(Executor<E>, "AnyExecutor: the engine must satisfy concur::Executor");
    if constexpr (requires(E & e, detail::RemoteJob job) {
                    detail::ExecutorAccess::post_job(e, std::move(job));
                  }) {
      return std::make_unique<RemoteEngine<E>>(std::move(engine));
    } else {
      static_assert(
          requires(E & e, detail::FutureStateBase * task) {
            detail::ExecutorAccess::post_task(e, task);
          },
          "AnyExecutor: the engine must be one of concur's executors");
      return std::make_unique<LocalEngine<E>>(std::move(engine));
    }
  }

  friend struct detail::ExecutorAccess;
  std::unique_ptr<EngineBase> engine_;
  detail::ExecutorLifetime lifetime_;  // destroyed (ended) before the engine
};

static_assert(Executor<AnyExecutor>);

}  // namespace concur
