// The manager loop: one thread per pool hands queued calls to workers,
// starts workers while the limit allows, and sleeps in one epoll_wait on
// every worker's channel and pidfd, the submitters' eventfd and the
// nearest deadline. docs/process-pool.md walks it step by step.
#include <sched.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pool.hpp"

namespace concur {

namespace {

// How many calls a worker holds at most: the running one and the next.
constexpr std::size_t kCallsPerWorker = 2;
// How long the manager polls for events before it sleeps in epoll_wait.
constexpr auto kPollBeforeSleep = std::chrono::microseconds(50);
// Attempts in a row to start a worker (fork or spawn failing: EMFILE,
// EAGAIN) before a pool with no worker at all gives up, and the back-off
// between them: 10 ms, doubling, at most a second. A pool with workers
// goes on with those and tries again later.
constexpr int kMaxStartAttempts = 6;
constexpr auto kFirstStartBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxStartBackoff = std::chrono::seconds(1);

}  // namespace

void ProcessPoolExecutor::Impl::manage() {
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
bool ProcessPoolExecutor::Impl::finished() {
  {
    detail::MutexLock hold(mutex_);
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
void ProcessPoolExecutor::Impl::dispatch() {
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

bool ProcessPoolExecutor::Impl::has_room(const Worker& worker) const {
  return !worker.closing && worker.calls.size() < kCallsPerWorker && !retiring(worker);
}

bool ProcessPoolExecutor::Impl::has_room_anywhere() const {
  if (live_workers() < max_workers_ && Clock::now() >= next_start_attempt_) return true;
  for (const auto& [id, worker] : workers_) {
    if (has_room(*worker)) return true;
  }
  return false;
}

bool ProcessPoolExecutor::Impl::retiring(const Worker& worker) const {
  return max_tasks_ != 0 && worker.calls_sent >= max_tasks_;
}

std::size_t ProcessPoolExecutor::Impl::live_workers() const {
  std::size_t live = 0;
  for (const auto& [id, worker] : workers_) {
    if (!worker->closing && !retiring(*worker)) ++live;
  }
  return live;
}

bool ProcessPoolExecutor::Impl::any_worker_ready() const {
  for (const auto& [id, worker] : workers_) {
    if (worker->ready && !worker->closing) return true;
  }
  return false;
}

bool ProcessPoolExecutor::Impl::has_pending() const {
  detail::MutexLock hold(mutex_);
  return !pending_.empty() && !broken_;
}

// next_job: the oldest queued call that is not cancelled, now RUNNING.
std::optional<detail::RemoteJob> ProcessPoolExecutor::Impl::next_job() {
  for (;;) {
    RemoteJob job;
    {
      detail::MutexLock hold(mutex_);
      if (pending_.empty() || broken_) return std::nullopt;
      job = std::move(pending_.front());
      pending_.pop_front();
    }
    if (job.state->status() == detail::FutureStatus::running) return job;  // requeued
    if (job.state->set_running_or_notify_cancel()) return job;
  }
}

void ProcessPoolExecutor::Impl::send(Worker& worker, RemoteJob job) {
  // The call's bytes stay with the job until its outcome arrives: a call
  // its worker never started is sent again to another.
  job.sent_as = next_call_id_++;
  std::vector<int> fds;
  std::string reference;
  const bool in_region = shm_threshold_ != 0 && job.call.size() > shm_threshold_;
  if (in_region && !place_in_region(worker, job, reference, fds)) return;  // it failed the call
  for (const detail::SharedRegion& region : job.attachments)
    fds.push_back(region->fd());
  if (!fds.empty()) worker.outbox_descriptors.push_back({worker.outbox.size(), fds});
  wire::append_frame(worker.outbox, in_region ? wire::Kind::task_in_region : wire::Kind::task,
                     job.sent_as, in_region ? std::string_view(reference) : job.call,
                     static_cast<std::uint16_t>(fds.size()));
  if (worker.calls.empty()) start_clock(worker, job);
  ++worker.calls_sent;
  worker.calls.push_back(std::move(job));
  flush(worker);
}

// place_in_region: copies the call into one of the worker's argument
// regions - the one the other call it holds (if any) does not use - and
// sets `reference` to the frame's payload; a new region's descriptor goes
// first in `fds`. False if no region could be had: the call failed.
bool ProcessPoolExecutor::Impl::place_in_region(Worker& worker, RemoteJob& job,
                                                std::string& reference, std::vector<int>& fds) {
  const std::uint32_t slot = worker.argument_regions[0].holds == 0 ? 0 : 1;
  ArgumentRegion& region = worker.argument_regions[slot];
  wire::RegionRef ref{slot, 0, job.call.size()};
  if (region.memory.size() < job.call.size()) {
    region.memory = {};  // the old one first: memory is what may be short
    try {
      region.memory = detail::SharedMapping::create(wire::region_capacity(job.call.size()),
                                                    detail::SharedMapping::Populate::yes);
    } catch (...) {
      fail(job, std::current_exception());
      return false;
    }
    ref.flags |= wire::kNewRegion;
    fds.push_back(region.memory.fd());
  }
  if (region.memory.size() > wire::kMaxReusedRegion) ref.flags |= wire::kOneShot;
  std::memcpy(region.memory.data(), job.call.data(), job.call.size());
  region.holds = job.sent_as;
  detail::write_pod(reference, ref);
  return true;
}

// free_argument_region: the region `call` was read from may take the next
// call (a one-shot region is dropped).
void ProcessPoolExecutor::Impl::free_argument_region(Worker& worker, std::uint64_t call) {
  for (ArgumentRegion& region : worker.argument_regions) {
    if (region.holds != call) continue;
    region.holds = 0;
    if (region.memory.size() > wire::kMaxReusedRegion) region.memory = {};
  }
}

void ProcessPoolExecutor::Impl::start_clock(Worker& worker, const RemoteJob& job) {
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
bool ProcessPoolExecutor::Impl::start_worker() {
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
  detail::write_pod(setup, wire::Setup{shm_threshold_});
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

void ProcessPoolExecutor::Impl::publish_pids() {
  std::vector<int> pids;
  for (const auto& [id, worker] : workers_)
    pids.push_back(worker->process.pid);
  detail::MutexLock hold(mutex_);
  pids_ = std::move(pids);
}

void ProcessPoolExecutor::Impl::wait_for_events() {
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

}  // namespace concur
