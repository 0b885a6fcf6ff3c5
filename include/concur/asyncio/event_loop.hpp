// concur/asyncio/event_loop.hpp - EventLoop: asyncio's event loop, on epoll.
//
//   concur::asyncio::EventLoop loop;
//   loop.call_soon([] { std::puts("first"); });
//   loop.call_later(10ms, [&] { loop.stop(); });
//   loop.run_forever();                    // runs until stop()
//   int x = loop.run_until_complete(compute(1, 2));
//   loop.close();
//
// One thread runs a loop at a time, and a thread runs one loop at a time.
// Each iteration does what CPython's BaseEventLoop._run_once does:
//   1. wait in epoll_wait - not at all if a callback is ready or stop() was
//      called, else until the earliest timer, else until an event;
//   2. queue the callbacks of the file descriptors that became ready, and
//      those posted by call_soon_threadsafe (from any thread);
//   3. move every due timer to the ready queue, in deadline order
//      (cancelled timers are skipped, and purged once they are most of the
//      heap);
//   4. run exactly the callbacks ready at that moment, first in first out;
//      callbacks they schedule wait for the next iteration.
// Nothing polls and nothing sleeps in a loop: another thread wakes it
// through an eventfd.
//
// The loop owns every task it runs until the task is done: a task nobody
// holds a handle to still runs to its end (CPython holds tasks weakly and
// can lose one mid-run). Destroying the loop destroys the tasks that never
// finished (their frames' destructors run) and closes it.
//
// Errors, with Python's words: RuntimeError for running a closed loop
// ("Event loop is closed"), a running one ("This event loop is already
// running"), two loops in one thread ("Cannot run the event loop while
// another loop is running"), closing a running one ("Cannot close a
// running event loop") and scheduling on a closed one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "concur/asyncio/coroutine.hpp"
#include "concur/asyncio/handle.hpp"
#include "concur/detail/deadline.hpp"

namespace concur {
class ThreadPoolExecutor;
}  // namespace concur

namespace concur::asyncio {

template <class T>
class Task;

namespace detail {
class TaskBase;
class Inbox;
struct LoopAccess;

// ReadyItem: one entry of the ready queue: an internal callback (fn, context)
// or a user's Handle.
struct ReadyItem {
  void (*fn)(void* context) = nullptr;
  void* context = nullptr;
  HandleState* handle = nullptr;
};

// RingQueue: the ready queue, a growable ring (no allocation per item once
// it has grown to the loop's working size).
class RingQueue {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  void push(const ReadyItem& item);
  ReadyItem pop() noexcept;

 private:
  std::vector<ReadyItem> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

struct TimerEntry {
  std::chrono::steady_clock::time_point when;
  std::uint64_t sequence;  // equal deadlines run in the order they were set
  HandleState* handle;
};
}  // namespace detail

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  // --- Running ------------------------------------------------------------

  // run_until_complete: runs the loop until the coroutine (made a task) or
  // the task is done, and returns its result or rethrows its exception.
  template <class T>
  T run_until_complete(Coroutine<T> coroutine);
  template <class T>
  T run_until_complete(Task<T> task);

  // run_forever: runs until stop(). stop() before it makes it run one
  // iteration.
  void run_forever();
  // stop: the current iteration finishes, then run_forever returns.
  void stop() noexcept { stopping_ = true; }
  // close: drops the callbacks and timers still queued and shuts the
  // default executor down without waiting for it. Refuses a running loop;
  // idempotent.
  void close();
  bool is_running() const noexcept { return running_; }
  bool is_closed() const noexcept { return closed_; }

  // time: the loop's clock (steady_clock), what call_at and
  // TimerHandle::when speak.
  Clock::time_point time() const noexcept { return Clock::now(); }

  // --- Callbacks ----------------------------------------------------------

  // call_soon: fn runs on the next iteration, after those queued before it.
  Handle call_soon(std::function<void()> fn);
  // call_soon_threadsafe: as call_soon, from any thread; wakes the loop.
  Handle call_soon_threadsafe(std::function<void()> fn);
  // call_later / call_at: fn runs once the delay has passed or the time has
  // come (at once, on the next iteration, for a past time). Any duration;
  // huge ones never fire rather than overflow.
  template <class Rep, class Period>
  TimerHandle call_later(std::chrono::duration<Rep, Period> delay, std::function<void()> fn);
  TimerHandle call_at(Clock::time_point when, std::function<void()> fn);

  // --- Tasks --------------------------------------------------------------

  // create_task: schedules the coroutine as a task (its first step runs on
  // the next iteration) and returns its handle. An empty name becomes
  // "Task-<n>".
  template <class T>
  Task<T> create_task(Coroutine<T> coroutine, std::string name = {});

  // run_in_executor: fn(args...) submitted to `executor` (any Executor:
  // threads or processes), or with nullptr to the default ThreadPoolExecutor
  // made on first use; returns an awaitable of its result. See
  // concur/asyncio/future_bridge.hpp.
  template <class E, class F, class... Args>
  auto run_in_executor(E& executor, F&& fn, Args&&... args);
  template <class F, class... Args>
  auto run_in_executor(std::nullptr_t, F&& fn, Args&&... args);

  // --- File descriptors ---------------------------------------------------

  // add_reader / add_writer: fn runs on every iteration in which fd is
  // readable / writable, until removed. One reader and one writer per fd;
  // adding again replaces it. remove_*: whether one was registered.
  void add_reader(int fd, std::function<void()> fn);
  bool remove_reader(int fd);
  void add_writer(int fd, std::function<void()> fn);
  bool remove_writer(int fd);

  // --- Debugging ----------------------------------------------------------

  // set_debug: with it on, a callback or task step that runs longer than
  // slow_callback_duration (0.1 s) is reported, with its name, to the
  // exception handler (concur/asyncio/exception_handler.hpp).
  void set_debug(bool enabled) noexcept { debug_ = enabled; }
  bool get_debug() const noexcept { return debug_; }
  void set_slow_callback_duration(std::chrono::nanoseconds limit) noexcept {
    slow_callback_ = limit;
  }
  std::chrono::nanoseconds slow_callback_duration() const noexcept { return slow_callback_; }

  // --- For concur's own templates -----------------------------------------

  // default_executor: the ThreadPoolExecutor run_in_executor(nullptr, ...)
  // uses, made on first use. shutdown_default_executor: waits for it to
  // finish its work (blocking this thread; run() calls it last).
  ThreadPoolExecutor& default_executor();
  void shutdown_default_executor();

 private:
  friend struct detail::LoopAccess;

  // schedule: an internal callback on the ready queue (no handle).
  void schedule(void (*fn)(void*), void* context);
  void adopt(detail::TaskBase& task) noexcept;
  void forget(detail::TaskBase& task) noexcept;
  void check_open() const;

  void run_once();
  void wait_for_events(int timeout_ms);
  void run_ready(const detail::ReadyItem& item);
  void push_timer(detail::HandleState* handle);
  void pop_due_timers();
  void purge_cancelled_timers();
  int timeout_ms();
  void update_fd(int fd);
  struct Watch;
  void watch_fd(int fd, std::function<void()> fn, detail::HandleState* Watch::*side,
                const char* what);
  bool unwatch_fd(int fd, detail::HandleState* Watch::*side);
  void destroy_unfinished_tasks() noexcept;

  detail::RingQueue ready_;
  std::vector<detail::TimerEntry> timers_;  // a min-heap by (when, sequence)
  std::uint64_t timer_sequence_ = 0;
  std::size_t cancelled_timers_ = 0;
  std::size_t pending_bridges_ = 0;

  int epoll_ = -1;
  std::shared_ptr<detail::Inbox> inbox_;
  struct Watch {
    detail::HandleState* reader = nullptr;
    detail::HandleState* writer = nullptr;
    std::uint32_t registered = 0;  // the epoll events asked for
  };
  std::unordered_map<int, Watch> watches_;

  detail::TaskBase* tasks_ = nullptr;  // the unfinished tasks, a list
  std::unique_ptr<ThreadPoolExecutor> default_executor_;

  bool running_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  bool debug_ = false;
  std::chrono::nanoseconds slow_callback_ = std::chrono::milliseconds(100);
};

namespace detail {

// LoopAccess: the loop's private side, for concur's own asyncio types:
// futures schedule their callbacks, tasks leave the loop's list, timers
// count their cancellation, and a task awaiting a concur::Future posts
// through the inbox (which outlives the loop for late posters) and makes
// the loop poll it briefly before it sleeps.
struct LoopAccess {
  static void schedule(EventLoop& loop, void (*fn)(void*), void* context) {
    loop.schedule(fn, context);
  }
  static void forget(EventLoop& loop, TaskBase& task) noexcept { loop.forget(task); }
  static TaskBase* first_task(const EventLoop& loop) noexcept { return loop.tasks_; }
  static void timer_cancelled(EventLoop& loop) noexcept { ++loop.cancelled_timers_; }
  static std::shared_ptr<Inbox> inbox(const EventLoop& loop) noexcept { return loop.inbox_; }
  static void bridge_started(EventLoop& loop) noexcept { ++loop.pending_bridges_; }
  static void bridge_ended(EventLoop& loop) noexcept { --loop.pending_bridges_; }
};

}  // namespace detail

// get_running_loop: the loop running in this thread; RuntimeError("no
// running event loop") outside one.
EventLoop& get_running_loop();

namespace detail {
// running_loop: the loop running in this thread, or null.
EventLoop* running_loop() noexcept;
}  // namespace detail

template <class Rep, class Period>
TimerHandle EventLoop::call_later(std::chrono::duration<Rep, Period> delay,
                                  std::function<void()> fn) {
  // Saturating (deadline.hpp): a delay too long for the clock never fires;
  // zero or negative ones are due at once.
  return call_at(concur::detail::deadline_after(delay), std::move(fn));
}

}  // namespace concur::asyncio
