// ProcessPoolExecutor: submitters queue encoded calls; one manager thread
// per pool starts the workers, hands each at most two calls (the one it runs
// and the next, so it never waits for us), reads outcomes, and watches every
// worker's pidfd and deadline in one epoll loop.
#include "concur/process_pool_executor.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pidfd.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "concur/detail/deadline.hpp"
#include "launcher.hpp"
#include "unique_fd.hpp"
#include "wire.hpp"
#include "worker.hpp"

namespace concur {
namespace {

using detail::Clock;
using detail::RemoteJob;
using detail::UniqueFd;
namespace wire = detail::wire;

constexpr const char* kShutdownMessage = "cannot schedule new futures after shutdown";
constexpr const char* kAbruptMessage =
    "A process in the process pool was terminated abruptly while the future was running or "
    "pending: worker ";

// How many calls a worker holds at most: the running one and the next.
constexpr std::size_t kCallsPerWorker = 2;
// How long the manager polls for events before it sleeps in epoll_wait.
constexpr auto kPollBeforeSleep = std::chrono::microseconds(50);
// Workers that may die holding one call before it fails for good.
constexpr int kMaxDeathsPerCall = 3;
// Workers in a row that may die while starting, with none ready, before
// the pool gives up.
constexpr int kMaxStartupFailures = 3;
// Attempts in a row to start a worker (fork or spawn failing: EMFILE,
// EAGAIN) before a pool with no worker at all gives up, and the back-off
// between them: 10 ms, doubling, at most a second. A pool with workers
// goes on with those and tries again later.
constexpr int kMaxStartAttempts = 6;
constexpr auto kFirstStartBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxStartBackoff = std::chrono::seconds(1);

// from_outside: whether a signal that ended a worker is one that others
// send (a user, a supervisor, the OOM killer) rather than one a crash
// raises; such a death says nothing about the next worker.
bool from_outside(const detail::ExitStatus& status) {
  if (status.code != CLD_KILLED) return false;
  return status.status == SIGKILL || status.status == SIGTERM || status.status == SIGINT ||
         status.status == SIGHUP;
}

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

void fail(RemoteJob& job, std::exception_ptr error) noexcept {
  try {
    job.state->set_exception(std::move(error));
  } catch (...) {
    // Already done (cancelled before it was sent): nothing to report.
  }
}

template <class E>
void fail(RemoteJob& job, const std::string& message) noexcept {
  fail(job, std::make_exception_ptr(E(message)));
}

// Epoll tags: the low bits of epoll_event.data.u64; the rest is a worker id.
constexpr std::uint64_t kFromWorkerTag = 0;  // outcomes to read
constexpr std::uint64_t kPidfdTag = 1;       // the worker ended
constexpr std::uint64_t kToWorkerTag = 2;    // room again to send calls
constexpr std::uint64_t kWakeTag = 3;        // new calls queued

}  // namespace

// Impl: the pool. The executor and the manager thread share it, so a pool
// destroyed from a done-callback (which runs on the manager) lives on until
// the manager has finished the work and left its loop.
class ProcessPoolExecutor::Impl : public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(ProcessPoolOptions options)
      : max_workers_(checked_max_workers(options.max_workers)),
        max_tasks_(checked_max_tasks(options.max_tasks_per_child)),
        method_(chosen_start_method(options.start_method)),
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

  ~Impl() {
    shutdown(true, false);
    if (manager_.joinable()) {
      if (manager_.get_id() == std::this_thread::get_id()) {
        manager_.detach();  // the manager dropped the last reference: its loop has ended
      } else {
        manager_.join();
      }
    }
  }

  void post(RemoteJob job) {
    {
      std::lock_guard<std::mutex> hold(mutex_);
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

  void shutdown(bool wait, bool cancel_futures) {
    bool started = false;
    {
      std::lock_guard<std::mutex> hold(mutex_);
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
      std::lock_guard<std::mutex> hold(join_mutex_);
      if (manager_.joinable() && manager_.get_id() != std::this_thread::get_id()) {
        manager_.join();
      }
    }
  }

  std::size_t max_workers() const noexcept { return max_workers_; }
  StartMethod start_method() const noexcept { return method_; }
  std::vector<int> worker_pids() const {
    std::lock_guard<std::mutex> hold(mutex_);
    return pids_;
  }

 private:
  struct Worker {
    std::uint64_t id = 0;
    detail::WorkerProcess process;
    std::deque<RemoteJob> calls;                // calls.front() runs (or is next to)
    std::optional<Clock::time_point> deadline;  // of calls.front(), if timed
    bool front_started = true;                  // false once the running call was taken away
    std::string outbox;
    std::size_t sent = 0;
    bool waiting_to_send = false;  // EPOLLOUT asked for
    wire::FrameParser inbox;
    bool ready = false;           // its initializer ran
    bool closing = false;         // no more calls: retiring, killed, or at end of file
    bool killed_by_pool = false;  // its death was ordered here: it counts against no call
    std::size_t calls_sent = 0;
  };

  void wake() noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
  }

  void watch(int fd, std::uint32_t events, std::uint64_t tag, std::uint64_t id = 0,
             int operation = EPOLL_CTL_ADD) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = (id << 2) | tag;
    ::epoll_ctl(epoll_.get(), operation, fd, &event);
  }

  // --- The manager loop ---------------------------------------------------------

  void manage() {
    for (;;) {
      dispatch();
      if (finished()) break;
      wait_for_events();
      expire_deadlines();
    }
    for (auto& [id, worker] : workers_)
      close_channel(*worker);
    while (!workers_.empty())
      reap(*workers_.begin()->second);
  }

  // finished: shut down (or broken) with nothing queued or running.
  bool finished() {
    {
      std::lock_guard<std::mutex> hold(mutex_);
      if (!shut_down_ && !broken_) return false;
      if (!pending_.empty()) return false;
    }
    for (auto& [id, worker] : workers_) {
      if (!worker->calls.empty()) return false;
    }
    return true;
  }

  // dispatch: hands queued calls out: first to idle workers, then to new
  // workers while the limit allows (Python starts one per call when none is
  // idle), and only then as the call a busy worker runs next. Also lets
  // retired workers go.
  void dispatch() {
    for (auto& [id, worker] : workers_) {
      if (!worker->closing && retiring(*worker) && worker->calls.empty()) close_channel(*worker);
    }
    for (;;) {
      for (auto& [id, worker] : workers_) {
        if (!has_room(*worker) || !worker->calls.empty()) continue;
        std::optional<RemoteJob> job = next_job();
        if (!job) return;
        send(*worker, std::move(*job));
      }
      if (!has_pending()) return;
      // A new worker while the limit allows; if none can start now, the
      // calls go to the workers there are.
      if (live_workers() < max_workers_ && start_worker()) continue;
      for (auto& [id, worker] : workers_) {
        while (has_room(*worker)) {
          std::optional<RemoteJob> job = next_job();
          if (!job) return;
          send(*worker, std::move(*job));
        }
      }
      return;
    }
  }

  bool has_room(const Worker& worker) const {
    return !worker.closing && worker.calls.size() < kCallsPerWorker && !retiring(worker);
  }
  bool has_room_anywhere() const {
    if (live_workers() < max_workers_ && Clock::now() >= next_start_attempt_) return true;
    for (const auto& [id, worker] : workers_) {
      if (has_room(*worker)) return true;
    }
    return false;
  }
  bool retiring(const Worker& worker) const {
    return max_tasks_ != 0 && worker.calls_sent >= max_tasks_;
  }
  std::size_t live_workers() const {
    std::size_t live = 0;
    for (const auto& [id, worker] : workers_) {
      if (!worker->closing && !retiring(*worker)) ++live;
    }
    return live;
  }
  bool any_worker_ready() const {
    for (const auto& [id, worker] : workers_) {
      if (worker->ready && !worker->closing) return true;
    }
    return false;
  }
  bool has_pending() const {
    std::lock_guard<std::mutex> hold(mutex_);
    return !pending_.empty() && !broken_;
  }

  // next_job: the oldest queued call that is not cancelled, now RUNNING.
  std::optional<RemoteJob> next_job() {
    for (;;) {
      RemoteJob job;
      {
        std::lock_guard<std::mutex> hold(mutex_);
        if (pending_.empty() || broken_) return std::nullopt;
        job = std::move(pending_.front());
        pending_.pop_front();
      }
      if (job.state->status() == detail::FutureStatus::running) return job;  // requeued
      if (job.state->set_running_or_notify_cancel()) return job;
    }
  }

  void send(Worker& worker, RemoteJob job) {
    if (worker.calls.empty()) start_clock(worker, job);
    ++worker.calls_sent;
    // The call's bytes stay with the job until its outcome arrives: a call
    // its worker never started is sent again to another.
    job.sent_as = next_call_id_++;
    wire::append_frame(worker.outbox, wire::Kind::task, job.sent_as, job.call);
    worker.calls.push_back(std::move(job));
    flush(worker);
  }

  void start_clock(Worker& worker, const RemoteJob& job) {
    worker.front_started = true;
    worker.deadline.reset();
    // Saturating: a timeout too long for the clock is no timeout, and zero
    // or negative ones expire at once (the task is given no time).
    if (job.timeout) {
      const Clock::time_point deadline = detail::deadline_after(*job.timeout);
      if (deadline != detail::kNoDeadline) worker.deadline = deadline;
    }
  }

  // start_worker: false if no worker could be started now (it is tried
  // again after a back-off; with no worker alive, a few failures in a row
  // break the pool, naming the cause).
  bool start_worker() {
    if (Clock::now() < next_start_attempt_) return false;
    detail::WorkerProcess process;
    try {
      process = launcher_->start();
    } catch (const std::exception& e) {
      ++start_failures_;
      if (live_workers() == 0 && start_failures_ >= kMaxStartAttempts) {
        break_pool(std::string(e.what()) + " (" + std::to_string(start_failures_) +
                   " attempts, none succeeded); the process pool is not usable anymore");
        return false;
      }
      auto backoff = kFirstStartBackoff * (1 << std::min(start_failures_ - 1, 10));
      next_start_attempt_ = Clock::now() + std::min<Clock::duration>(backoff, kMaxStartBackoff);
      return false;
    }
    start_failures_ = 0;
    next_start_attempt_ = Clock::time_point::min();
    auto worker = std::make_unique<Worker>();
    worker->id = next_worker_id_++;
    worker->process = std::move(process);
    std::string setup;
    if (initializer_ != nullptr) detail::write_pod(setup, initializer_address_);
    wire::append_frame(worker->outbox, wire::Kind::setup, 0, setup);
    watch(worker->process.from_worker.get(), EPOLLIN | EPOLLRDHUP | EPOLLET, kFromWorkerTag,
          worker->id);
    // Asked for writability only while calls wait to be sent (flush()):
    // otherwise every read by the worker would wake us.
    watch(worker->process.to_worker.get(), 0, kToWorkerTag, worker->id);
    watch(worker->process.pidfd.get(), EPOLLIN, kPidfdTag, worker->id);
    Worker& added = *worker;
    workers_.emplace(worker->id, std::move(worker));
    publish_pids();
    flush(added);
    return true;
  }

  void publish_pids() {
    std::vector<int> pids;
    for (const auto& [id, worker] : workers_)
      pids.push_back(worker->process.pid);
    std::lock_guard<std::mutex> hold(mutex_);
    pids_ = std::move(pids);
  }

  void wait_for_events() {
    int timeout_ms = -1;
    const auto now = Clock::now();
    // Woken for the next attempt to start a worker, if calls wait for one.
    if (next_start_attempt_ > now && has_pending()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(next_start_attempt_ - now);
      timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), 1000));
    }
    for (const auto& [id, worker] : workers_) {
      if (!worker->deadline) continue;
      // Clamped to what epoll_wait takes: a deadline weeks away must not
      // turn into a negative (endless) timeout for everyone else's.
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*worker->deadline - now);
      const int ms = static_cast<int>(
          std::clamp<std::int64_t>(left.count(), 0, std::numeric_limits<int>::max()));
      timeout_ms = timeout_ms < 0 ? ms : std::min(timeout_ms, ms);
    }
    epoll_event events[64];
    // Poll for a short while before sleeping: an outcome or a new call is
    // often microseconds away, and a sleep and wake-up cost far more on a
    // virtual machine (see kPollBeforeSleep).
    int n = 0;
    const auto give_up = Clock::now() + kPollBeforeSleep;
    do {
      n = ::epoll_wait(epoll_.get(), events, 64, 0);
      if (n != 0 || (has_pending() && has_room_anywhere())) break;
      ::sched_yield();
    } while (Clock::now() < give_up && timeout_ms != 0);
    if (n == 0) {
      manager_sleeping_.store(true, std::memory_order_seq_cst);
      if (has_pending() && has_room_anywhere()) {
        manager_sleeping_.store(false, std::memory_order_relaxed);
      } else {
        n = ::epoll_wait(epoll_.get(), events, 64, timeout_ms);
        manager_sleeping_.store(false, std::memory_order_relaxed);
      }
    }
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[i].data.u64 & 3;
      const std::uint64_t id = events[i].data.u64 >> 2;
      if (tag == kWakeTag) {
        std::uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(wake_.get(), &count, sizeof count);
        continue;
      }
      auto found = workers_.find(id);
      if (found == workers_.end()) continue;  // reaped earlier in this batch
      Worker& worker = *found->second;
      if (tag == kFromWorkerTag) {
        receive(worker);
      } else if (tag == kToWorkerTag) {
        flush(worker);
      } else {
        reap(worker);
      }
    }
  }

  // --- Channels -------------------------------------------------------------------

  void flush(Worker& worker) {
    const bool was_waiting = worker.waiting_to_send;
    while (worker.sent < worker.outbox.size() && worker.process.to_worker) {
      const ssize_t n = ::send(worker.process.to_worker.get(), worker.outbox.data() + worker.sent,
                               worker.outbox.size() - worker.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) worker.closing = true;  // it is dying; the pidfd will say
        break;
      }
      worker.sent += static_cast<std::size_t>(n);
    }
    if (worker.sent == worker.outbox.size()) {
      worker.outbox.clear();
      worker.sent = 0;
    }
    worker.waiting_to_send = !worker.outbox.empty() && worker.process.to_worker;
    if (worker.waiting_to_send != was_waiting) {
      watch(worker.process.to_worker.get(), worker.waiting_to_send ? std::uint32_t{EPOLLOUT} : 0u,
            kToWorkerTag, worker.id, EPOLL_CTL_MOD);
    }
  }

  void receive(Worker& worker) {
    char buffer[1 << 16];
    while (worker.process.from_worker) {
      const ssize_t n =
          ::recv(worker.process.from_worker.get(), buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0) {
        worker.closing = true;  // end of file: it is exiting
        return;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) worker.closing = true;
        return;
      }
      worker.inbox.feed(buffer, static_cast<std::size_t>(n));
      if (!handle_frames(worker)) return;
    }
  }

  // expected_id: the id the worker's next frame must carry: 0 until it is
  // ready, then that of the call it runs.
  static std::uint64_t expected_id(const Worker& worker) {
    if (!worker.ready || worker.calls.empty() || !worker.front_started) return 0;
    return worker.calls.front().sent_as;
  }

  // check_header: throws ValueError if a frame cannot be the worker's next.
  static void check_header(const Worker& worker, const wire::Header& header) {
    const bool setup_reply =
        header.kind == wire::Kind::ready || header.kind == wire::Kind::initializer_failed;
    if (setup_reply != !worker.ready) {
      throw ValueError(worker.ready ? "a second reply to its setup"
                                    : "an outcome before it was ready");
    }
    if (header.id != expected_id(worker)) {
      throw ValueError("a frame for call " + std::to_string(header.id) +
                       ", which it was not running");
    }
  }

  // handle_frames: false if the worker sent garbage (and was killed).
  bool handle_frames(Worker& worker) {
    for (;;) {
      std::optional<wire::FrameParser::Frame> frame;
      try {
        frame = worker.inbox.next();
        if (frame) {
          check_header(worker, wire::Header{wire::kMagic, frame->kind, frame->id, 0});
        } else if (const auto header = worker.inbox.incomplete_header()) {
          check_header(worker, *header);  // before waiting for its payload
        }
      } catch (const std::exception& e) {
        corrupt(worker, e.what());
        return false;
      }
      if (!frame) return true;
      switch (frame->kind) {
        case wire::Kind::ready:
          worker.ready = true;
          startup_failures_ = 0;
          break;
        case wire::Kind::initializer_failed:
          initializer_failed(worker, frame->payload);
          return false;
        case wire::Kind::outcome:
          if (!outcome(worker, *frame)) return false;
          break;
        default:
          corrupt(worker, "a frame of a kind workers do not send");
          return false;
      }
    }
  }

  bool outcome(Worker& worker, const wire::FrameParser::Frame& frame) {
    if (worker.calls.empty() || !worker.front_started) {
      corrupt(worker, "an outcome for a call it was not running");
      return false;
    }
    RemoteJob& job = worker.calls.front();
    try {
      job.deliver(*job.state.get(), frame.payload);
    } catch (const InvalidStateError&) {
      // Cannot happen for a RUNNING future; ignore rather than lose the worker.
    } catch (const std::exception& e) {
      corrupt(worker, std::string("an undecodable outcome (") + e.what() + ")");
      return false;
    }
    worker.calls.pop_front();
    worker.deadline.reset();
    if (!worker.calls.empty()) start_clock(worker, worker.calls.front());
    return true;
  }

  // --- Failures ---------------------------------------------------------------------

  void kill(Worker& worker) {
    worker.closing = true;
    worker.killed_by_pool = true;
    detail::signal_pidfd(worker.process.pidfd.get(), SIGKILL);
  }

  // take_running: removes the call the worker was running, if any.
  std::optional<RemoteJob> take_running(Worker& worker) {
    if (worker.calls.empty() || !worker.front_started) return std::nullopt;
    RemoteJob job = std::move(worker.calls.front());
    worker.calls.pop_front();
    worker.front_started = false;
    worker.deadline.reset();
    return job;
  }

  void corrupt(Worker& worker, const std::string& defect) {
    const std::string message = "worker pid " + std::to_string(worker.process.pid) + " sent " +
                                defect + "; it was killed and will be replaced";
    kill(worker);
    if (auto job = take_running(worker)) fail<BrokenProcessPool>(*job, message);
  }

  void expire_deadlines() {
    const auto now = Clock::now();
    for (auto& [id, worker] : workers_) {
      if (!worker->deadline || *worker->deadline > now) continue;
      kill(*worker);
      if (auto job = take_running(*worker)) {
        fail<TimeoutError>(*job, "the task ran past its timeout; its worker pid " +
                                     std::to_string(worker->process.pid) +
                                     " was killed and will be replaced");
      }
    }
  }

  void initializer_failed(Worker& worker, std::string_view payload) {
    std::string reason = "the initializer failed";
    try {
      payload.remove_prefix(1);
      std::rethrow_exception(detail::read_exception(payload));
    } catch (const std::exception& e) {
      reason = std::string("the initializer failed in worker pid ") +
               std::to_string(worker.process.pid) + ": " + e.what();
    }
    break_pool("A process in the process pool failed to start (" + reason +
               "); the process pool is not usable anymore");
  }

  // break_pool: no further calls run; every queued and running call fails.
  void break_pool(const std::string& message) {
    std::deque<RemoteJob> orphans;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      if (!broken_) broken_ = message;
      orphans.swap(pending_);
    }
    for (auto& [id, worker] : workers_) {
      for (RemoteJob& job : worker->calls)
        orphans.push_back(std::move(job));
      worker->calls.clear();
      worker->deadline.reset();
      kill(*worker);
    }
    for (RemoteJob& job : orphans) {
      if (job.state->status() == detail::FutureStatus::running ||
          job.state->set_running_or_notify_cancel()) {
        fail<BrokenProcessPool>(job, message);
      }
    }
  }

  // close_channel: no more calls for this worker; it exits at end of file.
  void close_channel(Worker& worker) {
    worker.closing = true;
    if (worker.process.to_worker) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, worker.process.to_worker.get(), nullptr);
      worker.process.to_worker.reset();
    }
  }

  // reap: the worker has ended (or is being waited for at shutdown).
  void reap(Worker& worker) {
    if (worker.process.from_worker) receive(worker);  // outcomes it sent before it died
    detail::ExitStatus status{CLD_KILLED, SIGKILL};
    try {
      status = launcher_->reap(worker.process);
    } catch (const std::exception& e) {
      // The fork server died (an OOM kill, a stray signal): its workers die
      // with it, and nothing can be started or reaped any more.
      break_pool(std::string(e.what()) + "; the process pool is not usable anymore");
    }
    const bool asked_to_stop = worker.closing && worker.calls.empty();
    if (!worker.ready && !asked_to_stop) {
      // It died starting up: nothing it held had started. A worker that
      // cannot start (no concur::init, a crashing initializer, a crash
      // before main) would die again: after a few, the pool is broken.
      // (SIGKILL comes from outside - a user, the OOM killer - and says
      // nothing about the next worker.)
      // A signal from outside (SIGTERM, SIGKILL, ...) says nothing about
      // the next worker, and neither does any death while another worker
      // is ready (then the program and its initializer work).
      worker.front_started = false;
      const bool unhooked = status.code == CLD_EXITED && status.status == 127;
      const bool telling = !from_outside(status) && !any_worker_ready();
      if (unhooked || (telling && ++startup_failures_ >= kMaxStartupFailures)) {
        break_pool(
            "A process in the process pool ended before it was ready: worker pid " +
            std::to_string(worker.process.pid) + " " + status.describe() +
            (unhooked ? " (was concur::init(argc, argv) called first thing in main()?)" : "") +
            "; the process pool is not usable anymore");
      }
    }
    if (auto job = take_running(worker)) {
      fail<BrokenProcessPool>(
          *job, kAbruptMessage + std::to_string(worker.process.pid) + " " + status.describe());
    }
    // Calls it had not started go back to the front of the queue - unless
    // workers keep dying under the same call while starting (a crash before
    // main, in the initializer): after kMaxDeathsPerCall it fails for good
    // (dask's "allowed failures"), so such a call cannot make workers die
    // forever. Counted only for a death that says something about the next
    // worker: not one the pool ordered (a timeout, garbage on the channel, a
    // broken pool), not a signal from outside (SIGKILL, SIGTERM, ...), and
    // not a death after the worker was ready (only its running call, failed
    // above, was in it).
    const bool counts = !worker.killed_by_pool && !worker.ready && !from_outside(status);
    std::deque<RemoteJob> requeued;
    for (RemoteJob& job : worker.calls) {
      if (counts && ++job.deaths >= kMaxDeathsPerCall) {
        fail<BrokenProcessPool>(job, std::to_string(kMaxDeathsPerCall) +
                                         " worker processes died while holding this call; "
                                         "the last, pid " +
                                         std::to_string(worker.process.pid) + ", " +
                                         status.describe());
      } else {
        requeued.push_back(std::move(job));
      }
    }
    worker.calls.clear();
    {
      std::lock_guard<std::mutex> hold(mutex_);
      for (auto it = requeued.rbegin(); it != requeued.rend(); ++it) {
        pending_.push_front(std::move(*it));
      }
    }
    close_channel(worker);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, worker.process.from_worker.get(), nullptr);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, worker.process.pidfd.get(), nullptr);
    const auto id = worker.id;
    workers_.erase(id);
    publish_pids();
  }

  const std::size_t max_workers_;
  const std::size_t max_tasks_;
  const StartMethod method_;
  void (*const initializer_)();
  detail::CodeAddress initializer_address_;
  std::unique_ptr<detail::Launcher> launcher_;
  UniqueFd wake_;
  UniqueFd epoll_;

  mutable std::mutex mutex_;  // guards the members below, up to the manager's own
  std::deque<RemoteJob> pending_;
  bool shut_down_ = false;
  std::optional<std::string> broken_;
  std::vector<int> pids_;
  std::thread manager_;
  std::atomic<bool> manager_sleeping_{false};  // in epoll_wait, or about to be

  std::mutex join_mutex_;  // one joiner at a time

  // The manager thread's own state.
  std::map<std::uint64_t, std::unique_ptr<Worker>> workers_;
  std::uint64_t next_worker_id_ = 1;
  std::uint64_t next_call_id_ = 1;
  int startup_failures_ = 0;  // workers in a row that died before they were ready
  int start_failures_ = 0;    // attempts in a row to start one that failed
  Clock::time_point next_start_attempt_ = Clock::time_point::min();  // the back-off
};

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
