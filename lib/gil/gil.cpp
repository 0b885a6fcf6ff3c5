// The GIL emulator. The modern policy follows Python/ceval_gil.c (3.11/3.12)
// step by step: take_gil / drop_gil with a timed wait, switch_number, the
// drop request and forced switching. The legacy policy follows CPython 2's
// ceval.c: a plain semaphore released and re-taken every check_interval
// ticks. Step numbers in comments refer to docs/gil.md.
#include "concur/gil.hpp"

#include <semaphore.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <map>

#include "concur/detail/deadline.hpp"
#include "concur/detail/mutex.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/detail/thread_token.hpp"
#include "concur/errors.hpp"
#include "histogram.hpp"

namespace concur::gil {
namespace {

using Clock = std::chrono::steady_clock;
using concur::detail::this_thread_token;

std::chrono::microseconds checked_interval(std::chrono::nanoseconds interval) {
  if (interval <= std::chrono::nanoseconds(0)) {
    throw ValueError("switch interval must be strictly positive");
  }
  // CPython keeps whole microseconds (truncated) and waits at least 1.
  return std::max(std::chrono::duration_cast<std::chrono::microseconds>(interval),
                  std::chrono::microseconds(1));
}

std::int64_t checked_check_interval(std::int64_t ticks) {
  if (ticks < 1) throw ValueError("check interval must be at least 1 tick");
  return ticks;
}

struct ThreadRecord {
  std::size_t index = 0;
  std::uint64_t acquisitions = 0;
  std::chrono::nanoseconds held{0};
  std::chrono::nanoseconds waited{0};
  detail::LogHistogram waits;
};

}  // namespace

struct Gil::State {
  explicit State(const Options& options)
      : interval(checked_interval(options.switch_interval)),
        check_interval(checked_check_interval(options.check_interval)) {
    ::sem_init(&legacy_lock, 0, 1);
  }
  ~State() { ::sem_destroy(&legacy_lock); }

  const std::chrono::microseconds interval;
  const std::int64_t check_interval;

  // Modern: CPython's gil->mutex / gil->cond and switch_mutex / switch_cond.
  concur::detail::Mutex mutex;
  std::condition_variable cond;
  bool locked CONCUR_GUARDED_BY(mutex) = false;
  std::uint64_t switch_number CONCUR_GUARDED_BY(mutex) = 0;
  concur::detail::Mutex switch_mutex;
  std::condition_variable switch_cond;
  // last_holder: written under switch_mutex (take) or by the holder (drop).
  std::atomic<std::uintptr_t> last_holder{0};

  // Legacy: CPython 2's interpreter_lock (a POSIX semaphore on Linux).
  sem_t legacy_lock;

  // Who holds it now (0: nobody), for held_by_me() and the checks.
  std::atomic<std::uintptr_t> holder{0};
  Clock::time_point slice_start;  // written by the holder

  // Statistics.
  mutable concur::detail::Mutex stats_mutex;
  std::uint64_t acquisitions CONCUR_GUARDED_BY(stats_mutex) = 0;
  std::uint64_t switches CONCUR_GUARDED_BY(stats_mutex) = 0;
  std::uint64_t drop_requests CONCUR_GUARDED_BY(stats_mutex) = 0;
  std::uint64_t forced_switches CONCUR_GUARDED_BY(stats_mutex) = 0;
  std::chrono::nanoseconds held CONCUR_GUARDED_BY(stats_mutex){0};
  std::chrono::nanoseconds waited CONCUR_GUARDED_BY(stats_mutex){0};
  detail::LogHistogram slices CONCUR_GUARDED_BY(stats_mutex);
  std::map<std::uintptr_t, ThreadRecord> threads CONCUR_GUARDED_BY(stats_mutex);
  Clock::time_point since CONCUR_GUARDED_BY(stats_mutex) = Clock::now();
  std::atomic<std::uint64_t> free_acquisitions{0};  // Policy::none

  // took: the bookkeeping of an acquisition by `me` after waiting `wait`.
  void took(std::uintptr_t me, std::chrono::nanoseconds wait, bool switched) {
    holder.store(me, std::memory_order_relaxed);
    const auto now = Clock::now();
    slice_start = now;
    concur::detail::MutexLock hold(stats_mutex);
    ++acquisitions;
    if (switched) ++switches;
    waited += wait;
    auto [it, added] = threads.try_emplace(me);
    if (added) it->second.index = threads.size() - 1;
    ++it->second.acquisitions;
    it->second.waited += wait;
    it->second.waits.add(wait);
  }

  // dropping: the bookkeeping of a release by `me`.
  void dropping(std::uintptr_t me) {
    const auto slice = Clock::now() - slice_start;
    holder.store(0, std::memory_order_relaxed);
    concur::detail::MutexLock hold(stats_mutex);
    held += slice;
    slices.add(slice);
    auto it = threads.find(me);
    if (it != threads.end()) it->second.held += slice;
  }
};

Gil::Gil(Options options)
    : policy_(options.policy),
      ticker_(options.check_interval),
      state_(std::make_unique<State>(options)) {}

Gil::~Gil() = default;

bool Gil::held_by_me() const noexcept {
  return state_->holder.load(std::memory_order_relaxed) == this_thread_token();
}

void Gil::acquire() {
  if (policy_ == Policy::none) {
    state_->free_acquisitions.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::uintptr_t me = this_thread_token();
  if (held_by_me()) throw RuntimeError("the GIL is not recursive: this thread already holds it");
  State& s = *state_;
  const auto start = Clock::now();
  if (policy_ == Policy::legacy) {
    bool switched = false;
    while (::sem_wait(&s.legacy_lock) != 0 && errno == EINTR) {
    }
    if (s.last_holder.load(std::memory_order_relaxed) != me) {
      s.last_holder.store(me, std::memory_order_relaxed);
      switched = true;
    }
    s.took(me, Clock::now() - start, switched);
    return;
  }
  // take_gil, steps 2-7.
  concur::detail::MutexLock lock(s.mutex);
  while (s.locked) {
    const std::uint64_t saved = s.switch_number;
    // Step 4.2: the timeout restarts on every turn, whoever woke us. An
    // interval too long to add to the clock (nanoseconds::max()) never
    // times out: wait_for would overflow into the past and spin.
    const concur::detail::Deadline deadline = concur::detail::deadline_after(s.interval);
    bool timed_out = false;
    if (deadline == concur::detail::kNoDeadline) {
      lock.wait(s.cond);
    } else {
      timed_out = lock.wait_until(s.cond, deadline) == std::cv_status::timeout;
    }
    // Step 4.3: ask only after a whole quiet interval under one holder.
    if (timed_out && s.locked && s.switch_number == saved) {
      drop_request_.store(true, std::memory_order_relaxed);
      concur::detail::MutexLock hold(s.stats_mutex);
      ++s.drop_requests;
    }
  }
  bool switched = false;
  {
    // Step 5: take it; a different taker counts as a switch and releases a
    // forced-switching dropper waiting on switch_cond.
    concur::detail::MutexLock hold(s.switch_mutex);
    s.locked = true;
    if (s.last_holder.load(std::memory_order_relaxed) != me) {
      s.last_holder.store(me, std::memory_order_relaxed);
      ++s.switch_number;
      switched = true;
    }
    s.switch_cond.notify_one();
  }
  // Step 6: a request made against the previous holder never carries over.
  drop_request_.store(false, std::memory_order_relaxed);
  lock.unlock();
  s.took(me, Clock::now() - start, switched);
}

void Gil::release() {
  if (policy_ == Policy::none) return;
  const std::uintptr_t me = this_thread_token();
  if (!held_by_me()) throw RuntimeError("release of a GIL this thread does not hold");
  State& s = *state_;
  s.dropping(me);
  if (policy_ == Policy::legacy) {
    ::sem_post(&s.legacy_lock);
    return;
  }
  // drop_gil, steps 2-4.
  s.last_holder.store(me, std::memory_order_relaxed);
  {
    concur::detail::MutexLock hold(s.mutex);
    s.locked = false;
    s.cond.notify_one();  // wakes one waiter; no hand-off
  }
  // Step 4, forced switching: with a request pending, wait until another
  // thread has taken the GIL, so this one (still on its core) cannot win it
  // straight back.
  if (drop_request_.load(std::memory_order_relaxed)) {
    concur::detail::MutexLock hold(s.switch_mutex);
    if (s.last_holder.load(std::memory_order_relaxed) == me) {
      drop_request_.store(false, std::memory_order_relaxed);
      hold.wait(s.switch_cond, [&] { return s.last_holder.load(std::memory_order_relaxed) != me; });
    }
  }
}

void Gil::honour_drop_request() {
  // eval_breaker was set: drop_gil then take_gil at once (docs/gil.md, "The check point").
  {
    concur::detail::MutexLock hold(state_->stats_mutex);
    ++state_->forced_switches;
  }
  release();
  acquire();
}

void Gil::legacy_check() {
  // CPython 2: every check_interval ticks, release and immediately
  // re-acquire, whether or not anyone waits.
  ticker_ = state_->check_interval;
  release();
  acquire();
}

Stats Gil::stats() const {
  const State& s = *state_;
  Stats out;
  concur::detail::MutexLock hold(s.stats_mutex);
  out.acquisitions = policy_ == Policy::none ? s.free_acquisitions.load(std::memory_order_relaxed)
                                             : s.acquisitions;
  out.switches = s.switches;
  out.drop_requests = s.drop_requests;
  out.forced_switches = s.forced_switches;
  out.held = s.held;
  out.waited = s.waited;
  out.wall = Clock::now() - s.since;
  out.slice = {s.slices.percentile(0.5), s.slices.percentile(0.99), s.slices.max()};
  for (const auto& [token, record] : s.threads) {
    ThreadStats thread;
    thread.thread = record.index;
    thread.acquisitions = record.acquisitions;
    thread.held = record.held;
    thread.waited = record.waited;
    thread.wait = {record.waits.percentile(0.5), record.waits.percentile(0.99), record.waits.max()};
    out.threads.push_back(thread);
  }
  std::sort(out.threads.begin(), out.threads.end(),
            [](const ThreadStats& a, const ThreadStats& b) { return a.thread < b.thread; });
  return out;
}

void Gil::reset_stats() {
  State& s = *state_;
  concur::detail::MutexLock hold(s.stats_mutex);
  s.acquisitions = s.switches = s.drop_requests = s.forced_switches = 0;
  s.held = s.waited = std::chrono::nanoseconds(0);
  s.slices = detail::LogHistogram();
  s.threads.clear();
  s.since = Clock::now();
  s.free_acquisitions.store(0, std::memory_order_relaxed);
}

}  // namespace concur::gil
