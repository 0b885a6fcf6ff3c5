#include "concur/detail/future_state.hpp"

#include <cstdio>
#include <string>

#include "concur/errors.hpp"
#include "concur/future.hpp"

namespace concur {
namespace {

void print_callback_error(std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "concur: exception ignored in a future's callback or a task's destructor: %s\n",
                 e.what());
  } catch (...) {
    std::fprintf(stderr,
                 "concur: exception ignored in a future's callback or a task's destructor: "
                 "unknown exception\n");
  }
}

std::atomic<CallbackErrorHandler> callback_error_handler{&print_callback_error};

}  // namespace

CallbackErrorHandler set_callback_error_handler(CallbackErrorHandler handler) noexcept {
  return callback_error_handler.exchange(handler != nullptr ? handler : &print_callback_error);
}

namespace detail {

void report_callback_error(std::exception_ptr error) noexcept {
  callback_error_handler.load()(std::move(error));
}

void throw_cancelled() {
  throw CancelledError("the future was cancelled");
}
void throw_future_timeout() {
  throw TimeoutError("the future did not finish in time");
}
void throw_unexpected_state() {
  throw RuntimeError("Future in unexpected state");
}
void throw_empty_future() {
  throw InvalidStateError(
      "this Future is empty (default-constructed or moved from): it belongs to no promise or "
      "executor");
}

void throw_invalid_state(FutureStatus status) {
  const bool was_cancelled =
      status == FutureStatus::cancelled || status == FutureStatus::cancelled_notified;
  throw InvalidStateError(was_cancelled ? "CANCELLED: the future was cancelled"
                                        : "FINISHED: the future already has a result");
}

bool FutureStateBase::wait_done(Deadline deadline) noexcept {
  for (;;) {
    std::uint32_t word = word_.load(std::memory_order_acquire);
    if (is_done(word)) return true;
    if ((word & kWaitersBit) == 0) {
      // Announce a sleeper, so the finisher knows to wake us.
      if (!word_.compare_exchange_weak(word, word | kWaitersBit, std::memory_order_acquire)) {
        continue;
      }
      word |= kWaitersBit;
    }
    if (!park(word_, word, deadline)) return done();
  }
}

bool FutureStateBase::claim() noexcept {
  std::uint32_t word = word_.load(std::memory_order_relaxed);
  for (;;) {
    const FutureStatus s = status_of(word);
    if (s != FutureStatus::pending && s != FutureStatus::running) return false;
    if (word_.compare_exchange_weak(word, with_status(word, FutureStatus::completing),
                                    std::memory_order_acquire, std::memory_order_relaxed)) {
      return true;
    }
  }
}

void FutureStateBase::publish_finished() noexcept {
  std::uint32_t word = word_.load(std::memory_order_relaxed);
  // Fast path: nobody registered a callback or a listener.
  while ((word & kHooksBit) == 0) {
    // release: publishes the outcome, written while completing, to every
    // acquire load of the word (status(), result()).
    if (word_.compare_exchange_weak(word, with_status(word, FutureStatus::finished) & ~kWaitersBit,
                                    std::memory_order_release, std::memory_order_relaxed)) {
      std::vector<std::function<void()>> none;
      after_complete((word & kWaitersBit) != 0, none);
      return;
    }
  }
  std::vector<std::function<void()>> callbacks;
  bool wake = false;
  {
    LockGuard hold(lock_);
    transition_locked(FutureStatus::completing, FutureStatus::finished, wake);
    take_hooks_locked(callbacks);
  }
  after_complete(wake, callbacks);
}

bool FutureStateBase::transition_locked(FutureStatus from, FutureStatus to, bool& wake) noexcept {
  std::uint32_t word = word_.load(std::memory_order_relaxed);
  while (status_of(word) == from) {
    // release: as in publish_finished().
    if (word_.compare_exchange_weak(word, with_status(word, to) & ~kWaitersBit,
                                    std::memory_order_release, std::memory_order_relaxed)) {
      wake = (word & kWaitersBit) != 0;
      return true;
    }
  }
  return false;
}

void FutureStateBase::take_hooks_locked(std::vector<std::function<void()>>& callbacks) {
  // Listeners run under the lock (see Listener); they only record and signal.
  for (Listener* listener = listeners_; listener != nullptr;) {
    Listener* next = listener->next;
    listener->prev = listener->next = nullptr;
    listener->notify(*this);
    listener = next;
  }
  listeners_ = nullptr;
  callbacks.swap(callbacks_);
}

void FutureStateBase::after_complete(bool wake,
                                     std::vector<std::function<void()>>& callbacks) noexcept {
  if (wake) unpark_all(word_);
  // Callbacks run outside the lock, in order; one that throws is reported
  // and the others still run.
  for (auto& callback : callbacks) {
    try {
      callback();
    } catch (...) {
      report_callback_error(std::current_exception());
    }
  }
  callbacks.clear();
  on_settled();
}

bool FutureStateBase::cancel() {
  std::vector<std::function<void()>> callbacks;
  bool wake = false;
  {
    LockGuard hold(lock_);
    if (!transition_locked(FutureStatus::pending, FutureStatus::cancelled, wake)) {
      return cancelled();  // true again if already cancelled; false if running or done
    }
    take_hooks_locked(callbacks);
  }
  after_complete(wake, callbacks);
  return true;
}

bool FutureStateBase::set_running_or_notify_cancel() {
  std::uint32_t word = word_.load(std::memory_order_relaxed);
  for (;;) {
    FutureStatus next;
    switch (status_of(word)) {
      case FutureStatus::pending:
        next = FutureStatus::running;
        break;
      case FutureStatus::cancelled:
        next = FutureStatus::cancelled_notified;
        break;
      default:
        throw_unexpected_state();
    }
    if (word_.compare_exchange_weak(word, with_status(word, next), std::memory_order_acq_rel,
                                    std::memory_order_relaxed)) {
      return next == FutureStatus::running;
    }
  }
}

void FutureStateBase::set_exception(std::exception_ptr error) {
  if (error == nullptr) throw ValueError("set_exception needs an exception, not a null pointer");
  if (!finish([&] { error_ = std::move(error); })) throw_invalid_state(status());
}

bool FutureStateBase::add_hook_locked() noexcept {
  std::uint32_t word = word_.load(std::memory_order_acquire);
  for (;;) {
    if (is_done(word)) return false;
    if ((word & kHooksBit) != 0) return true;
    if (word_.compare_exchange_weak(word, word | kHooksBit, std::memory_order_acquire)) {
      return true;
    }
  }
}

bool FutureStateBase::add_callback(std::function<void()>&& callback) {
  LockGuard hold(lock_);
  if (!add_hook_locked()) return false;
  callbacks_.push_back(std::move(callback));
  return true;
}

bool FutureStateBase::add_listener(Listener& listener) {
  LockGuard hold(lock_);
  if (!add_hook_locked()) return false;
  listener.prev = nullptr;
  listener.next = listeners_;
  if (listeners_ != nullptr) listeners_->prev = &listener;
  listeners_ = &listener;
  return true;
}

void FutureStateBase::remove_listener(Listener& listener) {
  LockGuard hold(lock_);
  // Completion unhooks every listener itself; only a still-linked one is here.
  if (listener.prev == nullptr && listeners_ != &listener) return;
  (listener.prev != nullptr ? listener.prev->next : listeners_) = listener.next;
  if (listener.next != nullptr) listener.next->prev = listener.prev;
  listener.prev = listener.next = nullptr;
}

void fail_abandoned(FutureStateBase& state) noexcept {
  try {
    state.set_exception(
        std::make_exception_ptr(RuntimeError("promise destroyed without a result")));
  } catch (...) {
    // Completed (or cancelled) meanwhile: nothing is lost.
  }
}

}  // namespace detail
}  // namespace concur
