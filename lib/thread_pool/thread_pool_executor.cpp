#include "concur/thread_pool_executor.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <boost/thread/thread.hpp>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "concur/detail/fifo_queue_core.hpp"
#include "concur/detail/mutex.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/errors.hpp"
#include "concur/gil.hpp"
#include "concur/semaphore.hpp"

namespace concur {
namespace {

constexpr const char* kBrokenMessage =
    "A thread initializer failed, the thread pool is not usable anymore";

// The executor whose worker the calling thread is, if any.
thread_local const void* current_pool = nullptr;

// WorkQueue: the pool's FIFO of tasks, on the two-lock engine rather than
// SimpleQueue's tickets. Its getters race for the head, so the worker that is
// awake and spinning takes the next task; tickets would hand it to the worker
// that has slept longest, and every round trip would pay a futex wake-up.
class WorkQueue {
 public:
  void put(detail::FutureStateBase* task) { core_.put_until(std::move(task), detail::kNoDeadline); }
  detail::FutureStateBase* get() { return core_.get_until(detail::kNoDeadline); }
  // try_get: the next task (null: the shutdown marker), or nothing if the
  // queue is empty - which an idle worker finds on every idle transition,
  // so it costs no exception.
  std::optional<detail::FutureStateBase*> try_get() noexcept { return core_.try_get(); }

 private:
  detail::FifoQueueCore<detail::FutureStateBase*> core_;
};

// default_max_workers: Python 3.13's min(32, process_cpu_count() + 4), where
// the CPU count is the ones this process may run on (its affinity mask).
std::size_t default_max_workers() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::size_t cpus = 0;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
    cpus = static_cast<std::size_t>(CPU_COUNT(&allowed));
  }
  if (cpus == 0) cpus = std::max(1u, std::thread::hardware_concurrency());
  return std::min<std::size_t>(32, cpus + 4);
}

std::size_t checked_max_workers(const std::optional<std::ptrdiff_t>& requested) {
  if (!requested) return default_max_workers();
  if (*requested < 1) throw ValueError("max_workers must be greater than 0");
  return static_cast<std::size_t>(*requested);
}

std::string default_prefix() {
  static std::atomic<unsigned> counter{0};
  return "ThreadPoolExecutor-" + std::to_string(counter.fetch_add(1));
}

void report_initializer_error(std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "concur: exception in initializer: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "concur: exception in initializer: unknown exception\n");
  }
}

}  // namespace

// Impl: the pool itself. The executor and every worker thread share it, so
// a pool destroyed by one of its own tasks or done-callbacks lives on until
// that worker has left its loop (the last owner frees it, on that thread).
class ThreadPoolExecutor::Impl : public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(ThreadPoolOptions options)
      : max_workers_(checked_max_workers(options.max_workers)),
        prefix_(options.thread_name_prefix.empty() ? default_prefix()
                                                   : std::move(options.thread_name_prefix)),
        initializer_(std::move(options.initializer)),
        gil_(options.gil),
        stack_size_(options.stack_size) {}

  // enqueue: queues `task` (taking over its queue reference), then makes
  // sure a worker will take it: an idle one, or a new thread while under the
  // limit. If no thread can be started and the pool has none, it throws
  // RuntimeError naming the cause, and has taken the task back out: no
  // worker exists that could have got it, so nothing stays queued. With
  // threads, it goes on with those.
  void enqueue(detail::FutureStateBase* task) {
    detail::MutexLock hold(mutex_);
    if (broken_) {
      task->release_ref();
      throw BrokenThreadPool(kBrokenMessage);
    }
    if (shut_down_) {
      task->release_ref();
      throw RuntimeError("cannot schedule new futures after shutdown");
    }
    try {
      work_.put(task);
    } catch (...) {
      task->release_ref();
      throw;
    }
    try {
      adjust_thread_count();
    } catch (...) {
      (*work_.try_get())->release_ref();  // ours: the only task, and no worker
      throw;
    }
  }

  // shutdown: Python's. Every shutdown(wait = true) returns only once every
  // worker has exited, however many callers wait at once.
  void shutdown(bool wait, bool cancel_futures) {
    {
      detail::MutexLock hold(mutex_);
      shut_down_ = true;
      if (cancel_futures) drain([](detail::FutureStateBase& task) { task.cancel(); });
      work_.put(nullptr);  // wakes a worker, which passes it on
    }
    if (!wait) return;
    if (current_pool == this) {
      throw RuntimeError("cannot join current thread: shutdown(wait=true) from a pool task");
    }
    join_all();
  }

  // close: the executor's destructor: shutdown(true), except that a pool
  // destroyed by one of its own tasks or done-callbacks cannot join the
  // thread it runs on; that worker leaves when it returns to its loop.
  void close() {
    {
      detail::MutexLock hold(mutex_);
      shut_down_ = true;
      work_.put(nullptr);
    }
    join_all();
  }

  ~Impl() {
    // Nothing is lost: a task still queued now (only possible when the pool
    // broke) is failed, not dropped.
    drain([](detail::FutureStateBase& task) {
      try {
        task.set_exception(std::make_exception_ptr(BrokenThreadPool(kBrokenMessage)));
      } catch (...) {
      }
    });
  }

  std::size_t max_workers() const noexcept { return max_workers_; }
  std::size_t thread_count() {
    detail::MutexLock hold(mutex_);
    return started_;
  }

 private:
  // adjust_thread_count: Python's rule: reuse an idle worker if there is
  // one, else start a thread while under the limit. Throws RuntimeError if
  // a thread cannot start and the pool has none.
  void adjust_thread_count() CONCUR_REQUIRES(mutex_) {
    if (idle_.try_acquire()) return;
    if (started_ >= max_workers_) return;
    const std::size_t index = started_;
    boost::thread::attributes attributes;
    if (stack_size_ != 0) attributes.set_stack_size(stack_size_);
    try {
      threads_.emplace_back(attributes, [self = shared_from_this(), index] { self->work(index); });
    } catch (const std::exception& e) {
      if (started_ > 0) return;  // the threads it has will run it
      throw RuntimeError(
          "ThreadPoolExecutor: cannot start a worker thread, and the pool has none: " +
          std::string(e.what()));
    }
    ++started_;  // only once it runs: no phantom thread
  }

  void work(std::size_t index) {
    current_pool = this;
    const std::string name = prefix_ + "_" + std::to_string(index);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    if (initializer_) {
      try {
        std::optional<gil::Held> hold;
        if (gil_ != nullptr) hold.emplace(*gil_);
        initializer_();
      } catch (...) {
        report_initializer_error(std::current_exception());
        break_pool();
        return;
      }
    }
    // Idle accounting, Python's with one refinement: a worker offers itself
    // as idle (a token in idle_, which submit() takes instead of starting a
    // thread) when its task's call returns - before the result is visible -
    // or when it finds the queue empty. It takes its token back if it then
    // finds more work queued.
    struct IdleOffer {
      Semaphore* idle;
      bool offered = false;
    } offer{&idle_};
    detail::call_returned_hook = {[](void* context) {
                                    auto* self = static_cast<IdleOffer*>(context);
                                    self->idle->release();
                                    self->offered = true;
                                  },
                                  &offer};
    for (;;) {
      detail::FutureStateBase* task = nullptr;
      if (const auto next = work_.try_get()) {
        task = *next;
        // More work: take the offer back (if a submit already took it, that
        // submit's task is queued for us anyway).
        if (offer.offered) idle_.try_acquire();
      } else {
        if (!offer.offered) idle_.release();
        task = work_.get();
      }
      offer.offered = false;
      if (task != nullptr) {
        if (gil_ != nullptr) gil_->acquire();
        task->run_task();
        if (gil_ != nullptr && gil_->held_by_me()) gil_->release();
        task->release_ref();
        continue;
      }
      // The shutdown marker: pass it on to the next worker, then leave.
      work_.put(nullptr);
      return;
    }
  }

  // break_pool: the initializer failed: fail everything queued, refuse more.
  void break_pool() {
    detail::MutexLock hold(mutex_);
    broken_ = true;
    drain([](detail::FutureStateBase& task) {
      try {
        task.set_exception(std::make_exception_ptr(BrokenThreadPool(kBrokenMessage)));
      } catch (...) {
        // Cancelled meanwhile: already done.
      }
    });
    work_.put(nullptr);  // let the other workers leave too
  }

  // drain: takes every queued task out and hands it to `settle`.
  template <class Settle>
  void drain(Settle settle) {
    while (const auto next = work_.try_get()) {
      detail::FutureStateBase* task = *next;
      if (task == nullptr) continue;  // a shutdown marker; re-put below by callers
      settle(*task);
      task->release_ref();
    }
  }

  // join_all: joins every worker (outside mutex_, which workers take). One
  // joiner at a time, so a second shutdown(true) waits for the first's
  // joins instead of finding nothing left to join. The calling thread, when
  // it is a worker (a pool destroyed from inside), is detached instead.
  void join_all() {
    detail::MutexLock one_joiner(join_mutex_);
    std::vector<boost::thread> threads;
    {
      detail::MutexLock hold(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) {
      if (t.get_id() == boost::this_thread::get_id()) {
        t.detach();
      } else if (t.joinable()) {
        t.join();
      }
    }
  }

  const std::size_t max_workers_;
  const std::string prefix_;
  const std::function<void()> initializer_;
  gil::Gil* const gil_;
  const std::size_t stack_size_;

  detail::Mutex join_mutex_;  // held while joining: one joiner at a time
  detail::Mutex mutex_;       // Python's _shutdown_lock
  std::vector<boost::thread> threads_ CONCUR_GUARDED_BY(mutex_);  // not yet joined
  std::size_t started_ CONCUR_GUARDED_BY(mutex_) = 0;
  bool shut_down_ CONCUR_GUARDED_BY(mutex_) = false;
  bool broken_ CONCUR_GUARDED_BY(mutex_) = false;
  WorkQueue work_;  // thread-safe itself
  Semaphore idle_{0};
};

ThreadPoolExecutor::ThreadPoolExecutor(ThreadPoolOptions options)
    : impl_(std::make_shared<Impl>(std::move(options))) {}

ThreadPoolExecutor::ThreadPoolExecutor(std::ptrdiff_t max_workers)
    : ThreadPoolExecutor(ThreadPoolOptions{.max_workers = max_workers}) {}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  lifetime_.end();
  impl_->close();
}

void ThreadPoolExecutor::post_task(detail::FutureStateBase* task) {
  impl_->enqueue(task);
}

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  impl_->shutdown(wait, cancel_futures);
}

std::size_t ThreadPoolExecutor::max_workers() const noexcept {
  return impl_->max_workers();
}
std::size_t ThreadPoolExecutor::thread_count() const {
  return impl_->thread_count();
}

}  // namespace concur
