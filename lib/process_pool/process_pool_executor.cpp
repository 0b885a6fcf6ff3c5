// ProcessPoolExecutor: the pool's life. Submitters queue encoded calls
// (post); one manager thread per pool, started by the first, does the rest
// (manager.cpp). See pool.hpp for how the engine is split into files.
#include "concur/process_pool_executor.hpp"

#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pool.hpp"

namespace concur {

namespace {

constexpr const char* kShutdownMessage = "cannot schedule new futures after shutdown";
std::size_t default_max_workers() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0) {
    return static_cast<std::size_t>(CPU_COUNT(&allowed));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::size_t checked_max_workers(const std::optional<std::ptrdiff_t>& requested) {
  if (!requested) return default_max_workers();
  if (*requested < 1) throw ValueError("max_workers must be greater than 0");
  return static_cast<std::size_t>(*requested);
}

std::size_t checked_max_tasks(const std::optional<std::ptrdiff_t>& requested) {
  if (!requested) return 0;
  if (*requested < 1) throw ValueError("max_tasks_per_child must be >= 1");
  return static_cast<std::size_t>(*requested);
}

StartMethod chosen_start_method(const std::optional<StartMethod>& requested) {
  if (requested) return *requested;
  return detail::init_was_called() ? StartMethod::spawn : StartMethod::fork;
}

}  // namespace

ProcessPoolExecutor::Impl::Impl(ProcessPoolOptions options)
    : max_workers_(checked_max_workers(options.max_workers)),
      max_tasks_(checked_max_tasks(options.max_tasks_per_child)),
      method_(chosen_start_method(options.start_method)),
      shm_threshold_(options.shm_threshold),
      initializer_(options.initializer) {
  detail::refuse_pools_in_unhooked_worker();
  if (method_ == StartMethod::spawn && !detail::init_was_called()) {
    throw RuntimeError(
        "ProcessPoolExecutor: StartMethod::spawn needs concur::init(argc, argv) to be called "
        "first thing in main(), where a spawned worker takes over");
  }
  if (initializer_ != nullptr) {
    initializer_address_ = detail::locate_code(reinterpret_cast<std::uintptr_t>(initializer_));
  }
  // The fork server must be forked now, before this pool has any thread.
  launcher_ = method_ == StartMethod::fork ? detail::make_fork_server_launcher()
                                           : detail::make_spawn_launcher();
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!wake_ || !epoll_) throw RuntimeError("ProcessPoolExecutor: cannot create its event loop");
  watch(wake_.get(), EPOLLIN, kWakeTag);
}

ProcessPoolExecutor::Impl::~Impl() {
  shutdown(true, false);
  if (manager_.joinable()) {
    if (manager_.get_id() == std::this_thread::get_id()) {
      manager_.detach();  // the manager dropped the last reference: its loop has ended
    } else {
      manager_.join();
    }
  }
}

void ProcessPoolExecutor::Impl::post(RemoteJob job) {
  {
    detail::MutexLock hold(mutex_);
    if (broken_) throw BrokenProcessPool(*broken_);
    if (shut_down_) throw RuntimeError(kShutdownMessage);
    pending_.push_back(std::move(job));
    if (!manager_.joinable())
      manager_ = std::thread([self = shared_from_this()] { self->manage(); });
  }
  // Only a sleeping manager needs the system call. seq_cst on both sides
  // (Dekker): either the manager sees the queued job before it sleeps, or
  // we see it asleep and wake it.
  if (manager_sleeping_.exchange(false, std::memory_order_seq_cst)) wake();
}

void ProcessPoolExecutor::Impl::shutdown(bool wait, bool cancel_futures) {
  bool started = false;
  {
    detail::MutexLock hold(mutex_);
    shut_down_ = true;
    started = manager_.joinable();  // no post() can start it from now on
    if (cancel_futures) {
      // Cancel what no worker has; a call taken back from a dead worker
      // is RUNNING already and stays queued.
      std::erase_if(pending_, [](RemoteJob& job) { return job.state->cancel(); });
    }
  }
  wake();
  if (wait && started) {
    detail::MutexLock hold(join_mutex_);
    if (manager_.joinable() && manager_.get_id() != std::this_thread::get_id()) {
      manager_.join();
    }
  }
}

std::vector<int> ProcessPoolExecutor::Impl::worker_pids() const {
  detail::MutexLock hold(mutex_);
  return pids_;
}

void ProcessPoolExecutor::Impl::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

void ProcessPoolExecutor::Impl::watch(int fd, std::uint32_t events, std::uint64_t tag,
                                      std::uint64_t id, int operation) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = (id << 2) | tag;
  ::epoll_ctl(epoll_.get(), operation, fd, &event);
}

ProcessPoolExecutor::ProcessPoolExecutor(ProcessPoolOptions options)
    : impl_(std::make_shared<Impl>(std::move(options))) {}

ProcessPoolExecutor::ProcessPoolExecutor(std::ptrdiff_t max_workers)
    : ProcessPoolExecutor(ProcessPoolOptions{.max_workers = max_workers}) {}

// From a done-callback (on the manager thread) it cannot wait: the manager
// finishes what is queued and running, then frees the pool.
ProcessPoolExecutor::~ProcessPoolExecutor() {
  lifetime_.end();
  impl_->shutdown(true, false);
}

void ProcessPoolExecutor::post_job(detail::RemoteJob job) {
  impl_->post(std::move(job));
}

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  impl_->shutdown(wait, cancel_futures);
}

std::size_t ProcessPoolExecutor::max_workers() const noexcept {
  return impl_->max_workers();
}
StartMethod ProcessPoolExecutor::start_method() const noexcept {
  return impl_->start_method();
}
std::vector<int> ProcessPoolExecutor::worker_pids() const {
  return impl_->worker_pids();
}

}  // namespace concur
