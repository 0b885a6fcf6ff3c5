// The process pool's engine, ProcessPoolExecutor::Impl, shared by the files
// that implement it - each one part of the manager's work:
//   process_pool_executor.cpp  the pool's life: construction, post(), shutdown()
//   manager.cpp                the manager loop: dispatch, start workers, wait
//   channel.cpp                the bytes on each worker's socket pair
//   failures.cpp               deaths, timeouts, garbage, a broken pool
// docs/process-pool.md walks the manager loop step by step.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "concur/detail/deadline.hpp"
#include "concur/detail/mutex.hpp"
#include "concur/detail/shared_mapping.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/process_pool_executor.hpp"
#include "launcher.hpp"
#include "unique_fd.hpp"
#include "wire.hpp"
#include "worker.hpp"

namespace concur {
namespace wire = detail::wire;  // for the engine's files
}  // namespace concur

namespace concur {

// Impl: the pool. The executor and the manager thread share it, so a pool
// destroyed from a done-callback (which runs on the manager) lives on until
// the manager has finished the work and left its loop. The members above
// mutex_ are fixed at construction; those it guards are shared with
// submitters; the rest belong to the manager thread alone.
class ProcessPoolExecutor::Impl : public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(ProcessPoolOptions options);
  ~Impl();

  void post(detail::RemoteJob job);
  void shutdown(bool wait, bool cancel_futures);

  std::size_t max_workers() const noexcept { return max_workers_; }
  StartMethod start_method() const noexcept { return method_; }
  std::vector<int> worker_pids() const;

 private:
  using Clock = detail::Clock;
  using RemoteJob = detail::RemoteJob;

  // Epoll tags: the low two bits of epoll_event.data.u64; the rest is a
  // worker id.
  static constexpr std::uint64_t kFromWorkerTag = 0;  // outcomes to read
  static constexpr std::uint64_t kPidfdTag = 1;       // the worker ended
  static constexpr std::uint64_t kToWorkerTag = 2;    // room again to send calls
  static constexpr std::uint64_t kWakeTag = 3;        // new calls queued

  // fail: completes a call with an error. A call cancelled before it was
  // sent is done already: nothing to report then.
  static void fail(RemoteJob& job, std::exception_ptr error) noexcept {
    try {
      job.state->set_exception(std::move(error));
    } catch (...) {
    }
  }
  template <class E>
  static void fail(RemoteJob& job, const std::string& message) noexcept {
    fail(job, std::make_exception_ptr(E(message)));
  }

  // ArgumentRegion: shared memory the worker reads calls from, reused from
  // call to call; `holds` is the call (its sent_as) whose bytes are in it
  // until its outcome arrives, 0 if free.
  struct ArgumentRegion {
    detail::SharedMapping memory;
    std::uint64_t holds = 0;
  };

  struct Worker {
    std::uint64_t id = 0;
    detail::WorkerProcess process;
    std::deque<RemoteJob> calls;                // calls.front() runs (or is next to)
    std::optional<Clock::time_point> deadline;  // of calls.front(), if timed
    bool front_started = true;                  // false once the running call was taken away
    std::string outbox;
    std::size_t sent = 0;
    // Descriptors to attach to the outbox's byte at `offset`, in order.
    struct Attachment {
      std::size_t offset;
      std::vector<int> fds;  // owned elsewhere: by the call or a region
    };
    std::deque<Attachment> outbox_descriptors;
    std::vector<detail::UniqueFd> received;  // descriptors not yet claimed by a frame
    ArgumentRegion argument_regions[wire::kRegionSlots];
    detail::SharedMapping outcome_regions[wire::kRegionSlots];  // the worker's, mapped here
    bool waiting_to_send = false;                               // EPOLLOUT asked for
    detail::wire::FrameParser inbox;
    bool ready = false;           // its initializer ran
    bool closing = false;         // no more calls: retiring, killed, or at end of file
    bool killed_by_pool = false;  // its death was ordered here: it counts against no call
    std::size_t calls_sent = 0;
  };

  // process_pool_executor.cpp
  void wake() noexcept;
  void watch(int fd, std::uint32_t events, std::uint64_t tag, std::uint64_t id = 0,
             int operation = EPOLL_CTL_ADD);

  // manager.cpp
  void manage();
  bool finished();
  void dispatch();
  bool has_room(const Worker& worker) const;
  bool has_room_anywhere() const;
  bool retiring(const Worker& worker) const;
  std::size_t live_workers() const;
  bool any_worker_ready() const;
  bool has_pending() const;
  std::optional<RemoteJob> next_job();
  void send(Worker& worker, RemoteJob job);
  bool place_in_region(Worker& worker, RemoteJob& job, std::string& reference,
                       std::vector<int>& fds);
  void start_clock(Worker& worker, const RemoteJob& job);
  bool start_worker();
  void publish_pids();
  void wait_for_events();

  // channel.cpp
  void flush(Worker& worker);
  void receive(Worker& worker);
  static std::uint64_t expected_id(const Worker& worker);
  static void check_header(const Worker& worker, const detail::wire::Header& header);
  bool handle_frames(Worker& worker);
  bool outcome(Worker& worker, const wire::FrameParser::Frame& frame,
               std::vector<detail::UniqueFd> descriptors);
  std::string_view outcome_bytes(Worker& worker, const wire::FrameParser::Frame& frame,
                                 std::vector<detail::UniqueFd>& descriptors,
                                 std::optional<std::uint32_t>& one_shot);
  void free_argument_region(Worker& worker, std::uint64_t call);

  // failures.cpp
  void kill(Worker& worker);
  std::optional<RemoteJob> take_running(Worker& worker);
  void corrupt(Worker& worker, const std::string& defect);
  void expire_deadlines();
  void initializer_failed(Worker& worker, std::string_view payload);
  void break_pool(const std::string& message);
  void close_channel(Worker& worker);
  void reap(Worker& worker);

  const std::size_t max_workers_;
  const std::size_t max_tasks_;
  const StartMethod method_;
  const std::size_t shm_threshold_;
  void (*const initializer_)();
  detail::CodeAddress initializer_address_;
  std::unique_ptr<detail::Launcher> launcher_;
  detail::UniqueFd wake_;
  detail::UniqueFd epoll_;

  // Shared with submitters.
  mutable detail::Mutex mutex_;
  std::deque<RemoteJob> pending_ CONCUR_GUARDED_BY(mutex_);
  bool shut_down_ CONCUR_GUARDED_BY(mutex_) = false;
  std::optional<std::string> broken_ CONCUR_GUARDED_BY(mutex_);
  std::vector<int> pids_ CONCUR_GUARDED_BY(mutex_);
  // manager_: started under mutex_ by the first post(), which cannot come
  // after shut_down_ is set; joined (under join_mutex_) only after that.
  std::thread manager_;
  std::atomic<bool> manager_sleeping_{false};  // in epoll_wait, or about to be

  detail::Mutex join_mutex_;  // one joiner at a time

  // The manager thread's own state.
  std::map<std::uint64_t, std::unique_ptr<Worker>> workers_;
  std::uint64_t next_worker_id_ = 1;
  std::uint64_t next_call_id_ = 1;
  int startup_failures_ = 0;  // workers in a row that died before they were ready
  int start_failures_ = 0;    // attempts in a row to start one that failed
  Clock::time_point next_start_attempt_ = Clock::time_point::min();  // the back-off
};

}  // namespace concur
