// concur/detail/future_state.hpp - the shared state behind Future and Promise.
// Not API; see concur/future.hpp.
//
// One object holds everything a future needs: an intrusive reference count,
// the state machine in one atomic word, the outcome (a value or an
// exception), the done-callbacks, and the listeners of wait()/as_completed().
// Executors derive from FutureState<T> to fuse a task with its future in one
// allocation.
//
// The state word doubles as the futex that result() sleeps on. Its low bits
// are the state; kWaitersBit says that someone sleeps on it, so completing a
// future nobody waits for makes no system call; kHooksBit says that
// callbacks or listeners are registered. Every transition is a CAS on this
// word, so the common path of a task - pending -> running -> completing ->
// finished, with no callback and no waiter - takes no lock at all. The lock
// guards the callback and listener lists; a finisher that sees kHooksBit
// takes it to run them.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/detail/deadline.hpp"
#include "concur/detail/lock_guard.hpp"
#include "concur/detail/parking.hpp"
#include "concur/detail/state_ref.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/lock.hpp"

namespace concur::detail {

enum class FutureStatus : std::uint32_t {
  pending = 0,
  running = 1,
  finished = 2,
  cancelled = 3,           // cancelled; the executor has not noticed yet
  cancelled_notified = 4,  // cancelled, and set_running_or_notify_cancel() saw it
  completing = 5,          // a finisher is writing the outcome (not done yet)
};

class FutureStateBase;

// Listener: a wait()/as_completed() waiter's hook on one future. notify()
// runs under the future's internal lock, so a listener that unregisters (also
// under that lock) can never be called after it returned.
struct Listener {
  Listener* prev = nullptr;
  Listener* next = nullptr;
  virtual void notify(FutureStateBase& done) = 0;

 protected:
  ~Listener() = default;
};

// report_callback_error: hands a done-callback's exception to the handler
// installed with concur::set_callback_error_handler (stderr by default).
void report_callback_error(std::exception_ptr error) noexcept;

[[noreturn]] void throw_cancelled();
[[noreturn]] void throw_future_timeout();
[[noreturn]] void throw_invalid_state(FutureStatus status);
[[noreturn]] void throw_unexpected_state();
[[noreturn]] void throw_empty_future();

class FutureStateBase {
 public:
  FutureStateBase(const FutureStateBase&) = delete;
  FutureStateBase& operator=(const FutureStateBase&) = delete;

  // --- References ------------------------------------------------------------
  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release_ref() noexcept {
    // acq_rel: the last owner must see every other owner's writes before it
    // destroys the state.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // --- Observers -------------------------------------------------------------
  FutureStatus status() const noexcept {
    // acquire: pairs with the release in finish(); a finished status makes
    // the outcome visible.
    return static_cast<FutureStatus>(word_.load(std::memory_order_acquire) & kStatusMask);
  }
  bool done() const noexcept {
    const FutureStatus s = status();
    return s == FutureStatus::finished || s == FutureStatus::cancelled ||
           s == FutureStatus::cancelled_notified;
  }
  bool cancelled() const noexcept {
    const FutureStatus s = status();
    return s == FutureStatus::cancelled || s == FutureStatus::cancelled_notified;
  }
  bool running() const noexcept {
    const FutureStatus s = status();
    return s == FutureStatus::running || s == FutureStatus::completing;
  }
  bool failed() const noexcept { return status() == FutureStatus::finished && error_ != nullptr; }

  // wait_done: blocks until done or the deadline; returns done().
  bool wait_done(Deadline deadline) noexcept;

  // --- Transitions -----------------------------------------------------------
  bool cancel();
  bool set_running_or_notify_cancel();
  // set_exception: finishes with `error`; throws InvalidStateError if done.
  void set_exception(std::exception_ptr error);

  // add_callback: queues `callback` to run once the future is done. Returns
  // false, without queuing it, if the future is already done.
  bool add_callback(std::function<void()>&& callback);

  // add_listener / remove_listener: hook a waiter on; false if already done.
  bool add_listener(Listener& listener);
  void remove_listener(Listener& listener);

  // The exception of a failed future (null otherwise). Valid once finished.
  const std::exception_ptr& error() const noexcept { return error_; }

  // run_task: for states that are also tasks (detail::Task): runs the work
  // and completes the future. A plain promise's state has nothing to run.
  virtual void run_task() noexcept {}

 protected:
  FutureStateBase() = default;
  virtual ~FutureStateBase() = default;

  // finish: moves to `finished` with the outcome written by store_outcome()
  // (called only by the one finisher that claimed the future). Returns false
  // if the future was already done, or being finished by someone else.
  template <class StoreOutcome>
  bool finish(StoreOutcome&& store_outcome) {
    if (!claim()) return false;
    store_outcome();
    publish_finished();
    return true;
  }

  // on_settled: for executors: called once the state is final and the
  // callbacks ran (e.g. to release the task's callable). Default: nothing.
  virtual void on_settled() noexcept {}

  std::exception_ptr error_;

 private:
  static constexpr std::uint32_t kStatusMask = 0xff;
  static constexpr std::uint32_t kWaitersBit = 0x100;
  static constexpr std::uint32_t kHooksBit = 0x200;

  static FutureStatus status_of(std::uint32_t word) noexcept {
    return static_cast<FutureStatus>(word & kStatusMask);
  }
  static bool is_done(std::uint32_t word) noexcept {
    const FutureStatus s = status_of(word);
    return s == FutureStatus::finished || s == FutureStatus::cancelled ||
           s == FutureStatus::cancelled_notified;
  }
  static std::uint32_t with_status(std::uint32_t word, FutureStatus status) noexcept {
    return (word & ~kStatusMask) | static_cast<std::uint32_t>(status);
  }

  // claim: pending/running -> completing; false if done or being finished.
  bool claim() noexcept;
  // publish_finished: completing -> finished, then callbacks and wake-ups.
  void publish_finished() noexcept;
  // transition_locked: from -> to (under the lock, where hooks may exist);
  // false if the status is not `from`. Sets `wake` if sleepers must be woken.
  bool transition_locked(FutureStatus from, FutureStatus to, bool& wake) noexcept;
  // take_hooks_locked: notifies the listeners and takes the callbacks.
  void take_hooks_locked(std::vector<std::function<void()>>& callbacks);
  void after_complete(bool wake, std::vector<std::function<void()>>& callbacks) noexcept;
  // add_hook_locked: marks the word as having hooks; false if already done.
  bool add_hook_locked() noexcept;

  std::atomic<std::uint32_t> refs_{1};
  ParkWord word_{static_cast<std::uint32_t>(FutureStatus::pending)};
  Lock lock_;  // guards callbacks_, listeners_, and the transitions that run them
  std::vector<std::function<void()>> callbacks_;
  Listener* listeners_ = nullptr;
};

// FutureState<T>: the state plus storage for a T.
template <class T>
class FutureState : public FutureStateBase {
 public:
  FutureState() = default;

  template <class... Args>
  void set_value(Args&&... args) {
    if (!finish([&] { value_.emplace(std::forward<Args>(args)...); })) {
      throw_invalid_state(status());
    }
  }
  // value: the result of a finished, successful future.
  const T& value() const noexcept { return *value_; }
  // take_value: the same value, for moving out (Future::result() &&).
  T& take_value() noexcept { return *value_; }

 private:
  std::optional<T> value_;
};

template <>
class FutureState<void> : public FutureStateBase {
 public:
  FutureState() = default;
  void set_value() {
    if (!finish([] {})) throw_invalid_state(status());
  }
};

// fail_abandoned: fails a future whose Promise was destroyed first.
void fail_abandoned(FutureStateBase& state) noexcept;

}  // namespace concur::detail
