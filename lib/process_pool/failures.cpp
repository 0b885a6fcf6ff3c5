// Failures: a worker that dies, overruns its call's timeout or sends
// garbage; an initializer that throws; a pool that cannot go on. Each fails
// only the calls it must, and says why.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "pidfd.hpp"
#include "pool.hpp"

namespace concur {

namespace {

constexpr const char* kAbruptMessage =
    "A process in the process pool was terminated abruptly while the future was running or "
    "pending: worker ";

// Workers that may die holding one call before it fails for good.
constexpr int kMaxDeathsPerCall = 3;
// Workers in a row that may die while starting, with none ready, before
// the pool gives up.
constexpr int kMaxStartupFailures = 3;
// from_outside: whether a signal that ended a worker is one that others
// send (a user, a supervisor, the OOM killer) rather than one a crash
// raises; such a death says nothing about the next worker.
bool from_outside(const detail::ExitStatus& status) {
  if (status.code != CLD_KILLED) return false;
  return status.status == SIGKILL || status.status == SIGTERM || status.status == SIGINT ||
         status.status == SIGHUP;
}

}  // namespace

void ProcessPoolExecutor::Impl::kill(Worker& worker) {
  worker.closing = true;
  worker.killed_by_pool = true;
  detail::signal_pidfd(worker.process.pidfd.get(), SIGKILL);
}

// take_running: removes the call the worker was running, if any.
std::optional<detail::RemoteJob> ProcessPoolExecutor::Impl::take_running(Worker& worker) {
  if (worker.calls.empty() || !worker.front_started) return std::nullopt;
  RemoteJob job = std::move(worker.calls.front());
  worker.calls.pop_front();
  worker.front_started = false;
  worker.deadline.reset();
  return job;
}

void ProcessPoolExecutor::Impl::corrupt(Worker& worker, const std::string& defect) {
  const std::string message = "worker pid " + std::to_string(worker.process.pid) + " sent " +
                              defect + "; it was killed and will be replaced";
  kill(worker);
  if (auto job = take_running(worker)) fail<BrokenProcessPool>(*job, message);
}

void ProcessPoolExecutor::Impl::expire_deadlines() {
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

void ProcessPoolExecutor::Impl::initializer_failed(Worker& worker, std::string_view payload) {
  std::string reason = "the initializer failed";
  try {
    detail::ByteReader in(payload);
    in.skip(1);  // the outcome tag
    std::rethrow_exception(detail::read_exception(in));
  } catch (const std::exception& e) {
    reason = std::string("the initializer failed in worker pid ") +
             std::to_string(worker.process.pid) + ": " + e.what();
  }
  break_pool("A process in the process pool failed to start (" + reason +
             "); the process pool is not usable anymore");
}

// break_pool: no further calls run; every queued and running call fails.
void ProcessPoolExecutor::Impl::break_pool(const std::string& message) {
  std::deque<RemoteJob> orphans;
  {
    detail::MutexLock hold(mutex_);
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
void ProcessPoolExecutor::Impl::close_channel(Worker& worker) {
  worker.closing = true;
  if (worker.process.to_worker) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, worker.process.to_worker.get(), nullptr);
    worker.process.to_worker.reset();
  }
}

// reap: the worker has ended (or is being waited for at shutdown).
void ProcessPoolExecutor::Impl::reap(Worker& worker) {
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
      break_pool("A process in the process pool ended before it was ready: worker pid " +
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
    detail::MutexLock hold(mutex_);
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

}  // namespace concur
