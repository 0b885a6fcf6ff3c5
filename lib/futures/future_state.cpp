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
    std::fprintf(stderr, "concur: exception calling callback for future: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "concur: exception calling callback for future: unknown exception\n");
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

void throw_invalid_state(FutureStatus status) {
  const bool was_cancelled =
      status == FutureStatus::cancelled || status == FutureStatus::cancelled_notified;
  throw InvalidStateError(was_cancelled ? "CANCELLED: the future was cancelled"
                                        : "FINISHED: the future already has a result");
}

bool FutureStateBase::wait_done(Deadline deadline) noexcept {
  for (;;) {
    std::uint32_t word = word_.load(std::memory_order_acquire);
    if (done()) return true;
    if ((word & kWaitersBit) == 0) {
      // Announce a sleeper, so the completer knows to wake us.
      if (!word_.compare_exchange_weak(word, word | kWaitersBit, std::memory_order_acquire)) {
        continue;
      }
      word |= kWaitersBit;
    }
    if (!park(word_, word, deadline)) return done();
  }
}

void FutureStateBase::set_status_locked(FutureStatus status) noexcept {
  // release: publishes the outcome (written before, under the lock) to
  // lock-free readers of status(). Keeps the waiters bit.
  std::uint32_t word = word_.load(std::memory_order_relaxed);
  while (!word_.compare_exchange_weak(word,
                                      (word & ~kStatusMask) | static_cast<std::uint32_t>(status),
                                      std::memory_order_release, std::memory_order_relaxed)) {
  }
}

void FutureStateBase::complete_locked(FutureStatus status,
                                      std::vector<std::function<void()>>& callbacks) {
  set_status_locked(status);
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

void FutureStateBase::after_complete(std::vector<std::function<void()>>& callbacks) noexcept {
  // Wake result() sleepers, if any announced themselves.
  if ((word_.fetch_and(~kWaitersBit, std::memory_order_relaxed) & kWaitersBit) != 0) {
    unpark_all(word_);
  }
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
  {
    LockGuard hold(lock_);
    const FutureStatus s = status();
    if (s == FutureStatus::cancelled || s == FutureStatus::cancelled_notified) return true;
    if (s != FutureStatus::pending) return false;
    complete_locked(FutureStatus::cancelled, callbacks);
  }
  after_complete(callbacks);
  return true;
}

bool FutureStateBase::set_running_or_notify_cancel() {
  LockGuard hold(lock_);
  switch (status()) {
    case FutureStatus::pending:
      set_status_locked(FutureStatus::running);
      return true;
    case FutureStatus::cancelled:
      set_status_locked(FutureStatus::cancelled_notified);
      return false;
    default:
      throw_unexpected_state();
  }
}

void FutureStateBase::set_exception(std::exception_ptr error) {
  if (error == nullptr) throw ValueError("set_exception needs an exception, not a null pointer");
  if (!finish([&] { error_ = std::move(error); })) throw_invalid_state(status());
}

bool FutureStateBase::add_callback(std::function<void()>&& callback) {
  LockGuard hold(lock_);
  if (done()) return false;
  callbacks_.push_back(std::move(callback));
  return true;
}

bool FutureStateBase::add_listener(Listener& listener) {
  LockGuard hold(lock_);
  if (done()) return false;
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

}  // namespace detail
}  // namespace concur
