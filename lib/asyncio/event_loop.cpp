// EventLoop: the ready queue, the timer heap, epoll and the inbox. See
// include/concur/asyncio/event_loop.hpp for one iteration, step by step.
#include "concur/asyncio/event_loop.hpp"

#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "concur/asyncio/exception_handler.hpp"
#include "concur/detail/asyncio/inbox.hpp"
#include "concur/detail/asyncio/task_base.hpp"
#include "concur/errors.hpp"
#include "concur/thread_pool_executor.hpp"

namespace concur::asyncio {
namespace {

thread_local EventLoop* running = nullptr;

// Timers form a min-heap by (when, sequence): std::push_heap keeps the
// greatest first, so the comparison is reversed.
bool later(const detail::TimerEntry& a, const detail::TimerEntry& b) noexcept {
  if (a.when != b.when) return a.when > b.when;
  return a.sequence > b.sequence;
}

// Purge cancelled timers once there are this many and they are most of
// the heap (CPython's _MIN_SCHEDULED_TIMER_HANDLES and
// _MIN_CANCELLED_TIMER_HANDLES_FRACTION).
constexpr std::size_t kMinCancelledToPurge = 100;

// How long a loop with a task awaiting a concur::Future polls its inbox
// before it sleeps: a pool's result is often microseconds away, and an
// eventfd wake-up costs tens of microseconds on a virtual machine (the
// process pool's manager does the same).
constexpr auto kPollBeforeSleep = std::chrono::microseconds(50);

void report(std::string message, std::exception_ptr error, std::string task = {}) noexcept {
  try {
    call_exception_handler(ExceptionContext{std::move(message), std::move(error), std::move(task)});
  } catch (...) {
    // No memory to build the report: nothing more can be done.
  }
}

}  // namespace

// --- Handles -----------------------------------------------------------------------

void detail::HandleState::cancel() noexcept {
  if (cancelled) return;
  cancelled = true;
  if (in_heap && loop != nullptr) LoopAccess::timer_cancelled(*loop);
}

// --- The ready queue ---------------------------------------------------------------

void detail::RingQueue::push(const ReadyItem& item) {
  if (size_ == slots_.size()) {
    // Capacities are powers of two, so positions wrap with a mask.
    std::vector<ReadyItem> grown(std::max<std::size_t>(64, slots_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i)
      grown[i] = slots_[(head_ + i) & (slots_.size() - 1)];
    slots_ = std::move(grown);
    head_ = 0;
  }
  slots_[(head_ + size_) & (slots_.size() - 1)] = item;
  ++size_;
}

detail::ReadyItem detail::RingQueue::pop() noexcept {
  ReadyItem item = slots_[head_];
  head_ = (head_ + 1) & (slots_.size() - 1);
  --size_;
  return item;
}

// --- The inbox ---------------------------------------------------------------------

detail::Inbox::Inbox() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw RuntimeError("EventLoop: cannot create its eventfd (descriptors exhausted?)");
}

detail::Inbox::~Inbox() {
  close();
  ::close(fd_);
}

bool detail::Inbox::post(HandleState* handle) noexcept {
  {
    concur::detail::MutexLock hold(mutex_);
    if (closed_) {
      hold.unlock();
      handle->release();
      return false;
    }
    try {
      items_.push_back(handle);
    } catch (...) {
      hold.unlock();
      handle->release();
      return false;
    }
    pending_.store(true, std::memory_order_seq_cst);
  }
  // seq_cst, paired with the loop's set_sleeping(true) then has_items().
  if (sleeping_.exchange(false, std::memory_order_seq_cst)) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
  }
  return true;
}

void detail::Inbox::take(std::vector<HandleState*>& out) {
  concur::detail::MutexLock hold(mutex_);
  out.swap(items_);
  pending_.store(false, std::memory_order_seq_cst);
}

void detail::Inbox::drain_wakeups() noexcept {
  std::uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(fd_, &count, sizeof count);
}

void detail::Inbox::close() noexcept {
  std::vector<HandleState*> dropped;
  {
    concur::detail::MutexLock hold(mutex_);
    closed_ = true;
    dropped.swap(items_);
    pending_.store(false, std::memory_order_seq_cst);
  }
  for (HandleState* handle : dropped)
    handle->release();
}

// --- The loop ----------------------------------------------------------------------

EventLoop& get_running_loop() {
  if (running == nullptr) throw RuntimeError("no running event loop");
  return *running;
}

EventLoop* detail::running_loop() noexcept {
  return running;
}

EventLoop::EventLoop() : inbox_(std::make_shared<detail::Inbox>()) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw RuntimeError("EventLoop: cannot create its epoll instance");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = inbox_->fd();
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, inbox_->fd(), &event) != 0) {
    ::close(epoll_);
    throw RuntimeError("EventLoop: cannot watch its eventfd");
  }
}

EventLoop::~EventLoop() {
  if (!closed_ && !running_) close();
  destroy_unfinished_tasks();
  // Callbacks the frames' destructors scheduled are dropped with the loop.
  while (!ready_.empty()) {
    const detail::ReadyItem item = ready_.pop();
    if (item.handle != nullptr) item.handle->release();
  }
  inbox_->close();
  ::close(epoll_);
}

void EventLoop::check_open() const {
  if (closed_) throw RuntimeError("Event loop is closed");
}

void EventLoop::run_forever() {
  check_open();
  if (running_) throw RuntimeError("This event loop is already running");
  if (running != nullptr) {
    throw RuntimeError("Cannot run the event loop while another loop is running");
  }
  running_ = true;
  running = this;
  struct Leave {
    EventLoop& loop;
    ~Leave() {
      loop.stopping_ = false;
      loop.running_ = false;
      running = nullptr;
    }
  } leave{*this};
  for (;;) {
    run_once();
    if (stopping_) break;
  }
}

void EventLoop::close() {
  if (running_) throw RuntimeError("Cannot close a running event loop");
  if (closed_) return;
  closed_ = true;
  while (!ready_.empty()) {
    const detail::ReadyItem item = ready_.pop();
    if (item.handle != nullptr) item.handle->release();
  }
  for (detail::TimerEntry& timer : timers_) {
    timer.handle->in_heap = false;
    timer.handle->release();
  }
  timers_.clear();
  cancelled_timers_ = 0;
  for (auto& [fd, watch] : watches_) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    if (watch.reader != nullptr) watch.reader->release();
    if (watch.writer != nullptr) watch.writer->release();
  }
  watches_.clear();
  inbox_->close();
  // Without waiting (Python's shutdown_default_executor is a separate
  // step); its destructor, with the loop's, joins what still runs.
  if (default_executor_) default_executor_->shutdown(false);
}

// --- Scheduling ------------------------------------------------------------------

void EventLoop::schedule(void (*fn)(void*), void* context) {
  ready_.push(detail::ReadyItem{fn, context, nullptr});
}

Handle EventLoop::call_soon(std::function<void()> fn) {
  check_open();
  auto* handle = new detail::HandleState;
  handle->fn = std::move(fn);
  handle->loop = this;
  Handle result(handle);
  handle->add_ref();  // the ready queue's
  try {
    ready_.push(detail::ReadyItem{nullptr, nullptr, handle});
  } catch (...) {
    handle->release();
    throw;
  }
  return result;
}

Handle EventLoop::call_soon_threadsafe(std::function<void()> fn) {
  auto* handle = new detail::HandleState;
  handle->fn = std::move(fn);
  handle->loop = this;
  Handle result(handle);
  handle->add_ref();  // the inbox's
  if (!inbox_->post(handle)) throw RuntimeError("Event loop is closed");
  return result;
}

TimerHandle EventLoop::call_at(Clock::time_point when, std::function<void()> fn) {
  check_open();
  auto* handle = new detail::HandleState;
  handle->fn = std::move(fn);
  handle->loop = this;
  handle->when = when;
  TimerHandle result(handle);
  handle->add_ref();  // the heap's
  push_timer(handle);
  return result;
}

void EventLoop::push_timer(detail::HandleState* handle) {
  try {
    timers_.push_back(detail::TimerEntry{handle->when, timer_sequence_++, handle});
  } catch (...) {
    handle->release();
    throw;
  }
  std::push_heap(timers_.begin(), timers_.end(), later);
  handle->in_heap = true;
}

void EventLoop::purge_cancelled_timers() {
  // Lazily at the top, where they would block the timeout computation...
  while (!timers_.empty() && timers_.front().handle->cancelled) {
    std::pop_heap(timers_.begin(), timers_.end(), later);
    detail::HandleState* handle = timers_.back().handle;
    timers_.pop_back();
    handle->in_heap = false;
    --cancelled_timers_;
    handle->release();
  }
  // ...and all at once when they are most of the heap.
  if (cancelled_timers_ < kMinCancelledToPurge || cancelled_timers_ * 2 < timers_.size()) return;
  std::erase_if(timers_, [](const detail::TimerEntry& timer) {
    if (!timer.handle->cancelled) return false;
    timer.handle->in_heap = false;
    timer.handle->release();
    return true;
  });
  std::make_heap(timers_.begin(), timers_.end(), later);
  cancelled_timers_ = 0;
}

void EventLoop::pop_due_timers() {
  const Clock::time_point now = Clock::now();
  while (!timers_.empty() && timers_.front().when <= now) {
    std::pop_heap(timers_.begin(), timers_.end(), later);
    detail::HandleState* handle = timers_.back().handle;
    timers_.pop_back();
    handle->in_heap = false;
    if (handle->cancelled) {
      --cancelled_timers_;
      handle->release();
      continue;
    }
    try {
      ready_.push(detail::ReadyItem{nullptr, nullptr, handle});  // the heap's reference moves
    } catch (...) {
      handle->release();
      throw;
    }
  }
}

// --- One iteration -----------------------------------------------------------------

int EventLoop::timeout_ms() {
  if (!ready_.empty() || stopping_) return 0;
  purge_cancelled_timers();
  if (timers_.empty()) return -1;
  const Clock::time_point when = timers_.front().when;
  if (when == Clock::time_point::max()) return -1;  // a timer that never fires
  const Clock::time_point now = Clock::now();
  if (when <= now) return 0;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(when - now).count();
  return static_cast<int>(std::min<std::int64_t>(left, INT_MAX));
}

void EventLoop::wait_for_events(int timeout) {
  if (timeout != 0 && pending_bridges_ > 0) {
    const auto give_up = Clock::now() + kPollBeforeSleep;
    while (!inbox_->has_items() && Clock::now() < give_up)
      ::sched_yield();
    if (inbox_->has_items()) timeout = 0;
  }
  if (timeout != 0) {
    inbox_->set_sleeping(true);
    if (inbox_->has_items()) timeout = 0;
  }
  epoll_event events[128];
  int n = ::epoll_wait(epoll_, events, 128, timeout);
  if (timeout != 0) inbox_->set_sleeping(false);
  if (n < 0) n = 0;  // EINTR: a signal; the iteration goes on
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == inbox_->fd()) {
      inbox_->drain_wakeups();
      continue;
    }
    const auto found = watches_.find(fd);
    if (found == watches_.end()) continue;
    const std::uint32_t what = events[i].events;
    // An error or a hang-up wakes both sides: the reader sees end of file,
    // the writer its error.
    const bool broken = (what & (EPOLLERR | EPOLLHUP)) != 0;
    for (detail::HandleState* handle :
         {(what & EPOLLIN) || broken ? found->second.reader : nullptr,
          (what & EPOLLOUT) || broken ? found->second.writer : nullptr}) {
      if (handle == nullptr) continue;
      handle->add_ref();
      ready_.push(detail::ReadyItem{nullptr, nullptr, handle});
    }
  }
  if (inbox_->has_items()) {
    std::vector<detail::HandleState*> posted;
    inbox_->take(posted);
    for (detail::HandleState* handle : posted)
      ready_.push(detail::ReadyItem{nullptr, nullptr, handle});
  }
}

void EventLoop::run_once() {
  wait_for_events(timeout_ms());
  pop_due_timers();
  // Exactly the callbacks ready now; what they schedule waits for the next
  // iteration.
  for (std::size_t n = ready_.size(); n > 0 && !ready_.empty(); --n) {
    run_ready(ready_.pop());
  }
}

void EventLoop::run_ready(const detail::ReadyItem& item) {
  const Clock::time_point start = debug_ ? Clock::now() : Clock::time_point{};
  std::string name;
  if (item.handle != nullptr) {
    detail::HandleState* handle = item.handle;
    if (!handle->cancelled) {
      try {
        handle->fn();
      } catch (...) {
        report("Exception in callback", std::current_exception());
      }
    }
    handle->release();
    name = "a callback";
  } else {
    if (debug_ && item.fn == &detail::TaskBase::step_callback) {
      name = static_cast<detail::TaskBase*>(item.context)->name();
    }
    item.fn(item.context);
  }
  if (debug_) {
    const auto took = Clock::now() - start;
    if (took >= slow_callback_) {
      const double seconds = std::chrono::duration<double>(took).count();
      report("Executing " + (name.empty() ? std::string("an internal callback") : name) + " took " +
                 std::to_string(seconds).substr(0, 5) + " seconds",
             nullptr);
    }
  }
}

// --- File descriptors --------------------------------------------------------------

void EventLoop::update_fd(int fd) {
  auto found = watches_.find(fd);
  const Watch& watch = found->second;
  std::uint32_t wanted = 0;
  if (watch.reader != nullptr) wanted |= EPOLLIN;
  if (watch.writer != nullptr) wanted |= EPOLLOUT;
  epoll_event event{};
  event.events = wanted;
  event.data.fd = fd;
  int status = 0;
  if (wanted == 0) {
    status = ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    watches_.erase(found);
  } else if (watch.registered == 0) {
    status = ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    found->second.registered = wanted;
  } else {
    status = ::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &event);
    found->second.registered = wanted;
  }
  if (status != 0 && wanted != 0) {
    const int error = errno;
    throw ValueError("EventLoop: cannot watch file descriptor " + std::to_string(fd) + ": " +
                     std::strerror(error));
  }
}

namespace {

detail::HandleState* make_watch(EventLoop& loop, std::function<void()> fn) {
  auto* handle = new detail::HandleState;
  handle->fn = std::move(fn);
  handle->loop = &loop;
  return handle;
}

}  // namespace

void EventLoop::watch_fd(int fd, std::function<void()> fn, detail::HandleState* Watch::*side,
                         const char* what) {
  check_open();
  if (fd < 0)
    throw ValueError(std::string(what) + ": invalid file descriptor " + std::to_string(fd));
  detail::HandleState* handle = make_watch(*this, std::move(fn));
  Watch& watch = watches_[fd];
  detail::HandleState* old = std::exchange(watch.*side, handle);
  try {
    update_fd(fd);
  } catch (...) {
    watch.*side = old;
    handle->release();
    if (watch.reader == nullptr && watch.writer == nullptr) watches_.erase(fd);
    throw;
  }
  if (old != nullptr) {
    old->cancelled = true;  // a queued run of the old one is skipped
    old->release();
  }
}

bool EventLoop::unwatch_fd(int fd, detail::HandleState* Watch::*side) {
  const auto found = watches_.find(fd);
  if (found == watches_.end() || found->second.*side == nullptr) return false;
  detail::HandleState* handle = std::exchange(found->second.*side, nullptr);
  handle->cancelled = true;
  handle->release();
  update_fd(fd);
  return true;
}

void EventLoop::add_reader(int fd, std::function<void()> fn) {
  watch_fd(fd, std::move(fn), &Watch::reader, "add_reader");
}
void EventLoop::add_writer(int fd, std::function<void()> fn) {
  watch_fd(fd, std::move(fn), &Watch::writer, "add_writer");
}
bool EventLoop::remove_reader(int fd) {
  return unwatch_fd(fd, &Watch::reader);
}
bool EventLoop::remove_writer(int fd) {
  return unwatch_fd(fd, &Watch::writer);
}

// --- Tasks -------------------------------------------------------------------------

void EventLoop::adopt(detail::TaskBase& task) noexcept {
  task.prev_in_loop = nullptr;
  task.next_in_loop = tasks_;
  if (tasks_ != nullptr) tasks_->prev_in_loop = &task;
  tasks_ = &task;
}

void EventLoop::forget(detail::TaskBase& task) noexcept {
  if (task.prev_in_loop != nullptr) {
    task.prev_in_loop->next_in_loop = task.next_in_loop;
  } else {
    tasks_ = task.next_in_loop;
  }
  if (task.next_in_loop != nullptr) task.next_in_loop->prev_in_loop = task.prev_in_loop;
  task.prev_in_loop = task.next_in_loop = nullptr;
  task.release_ref();  // the loop's reference: may destroy the task
}

void EventLoop::destroy_unfinished_tasks() noexcept {
  while (tasks_ != nullptr) {
    detail::TaskBase& task = *tasks_;
    task.add_ref();  // alive while its frame goes
    task.destroy_frame();
    if (tasks_ == &task) forget(task);
    task.release_ref();
  }
}

ThreadPoolExecutor& EventLoop::default_executor() {
  check_open();
  if (!default_executor_) {
    default_executor_ =
        std::make_unique<ThreadPoolExecutor>(ThreadPoolOptions{.thread_name_prefix = "asyncio"});
  }
  return *default_executor_;
}

void EventLoop::shutdown_default_executor() {
  if (default_executor_) default_executor_->shutdown(true);
}

}  // namespace concur::asyncio
