// concur/future.hpp - concurrent.futures.Future, the Promise that completes
// it, and the free functions wait() and as_completed().
//
// A Future<T> is a cheap, copyable handle to the eventual outcome of a
// computation: a T, an exception, or cancellation. Executors hand them out;
// a Promise<T> is how an executor (or your own code) completes one.
//
//   concur::Promise<int> promise;
//   concur::Future<int> future = promise.future();
//   future.add_done_callback([](const concur::Future<int>& f) { log(f.result()); });
//   std::thread worker([promise]() mutable {
//     if (promise.set_running_or_notify_cancel()) promise.set_result(42);
//   });
//   int answer = future.result(2s);   // 42, or TimeoutError after 2 s
//
// States: pending -> running -> finished, or pending -> cancelled. A
// cancelled future is done (everywhere: wait, as_completed). Promises:
// - set_result()/set_exception() happen-before every result()/exception()
//   that returns their outcome, and before the done-callbacks run.
// - Done-callbacks run once, in the order they were added, in the thread that
//   completed the future (or at once, in the caller, if it is already done),
//   outside any internal lock: a callback may call result() or cancel(). A
//   callback that throws is reported to the callback error handler (stderr by
//   default) and the others still run.
// - Errors: CancelledError (result/exception of a cancelled future),
//   TimeoutError (not done in time), InvalidStateError (completed twice),
//   RuntimeError (set_running_or_notify_cancel in the wrong state).
// All members are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <ranges>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "concur/detail/deadline.hpp"
#include "concur/detail/future_state.hpp"
#include "concur/detail/gatherer.hpp"
#include "concur/detail/pull_iterator.hpp"
#include "concur/errors.hpp"

namespace concur {

template <class T>
class Future;
template <class T>
class Promise;

// CallbackErrorHandler: receives an exception concur cannot propagate: from
// a done-callback that threw, or from the destructor of a task's callable
// or arguments (a captured object whose destructor is noexcept(false)).
using CallbackErrorHandler = void (*)(std::exception_ptr) noexcept;

// set_callback_error_handler: replaces the handler (nullptr restores the
// default, which prints to stderr); returns the previous one. Thread-safe.
CallbackErrorHandler set_callback_error_handler(CallbackErrorHandler handler) noexcept;

namespace detail {
struct FutureAccess;
}  // namespace detail

// Future<T>: concurrent.futures.Future.
template <class T>
class Future {
 public:
  using value_type = T;

  // Future: an empty handle, valid() == false. Every other member of an
  // empty handle throws InvalidStateError (so do wait() and as_completed()
  // given one); valid ones come from a Promise or an executor.
  Future() = default;

  bool valid() const noexcept { return state_.get() != nullptr; }

  // --- State -------------------------------------------------------------------

  // cancel: cancels a pending future and runs its callbacks; returns true.
  // Returns true again on a cancelled future, false on a running or finished one.
  bool cancel() { return checked().cancel(); }
  bool cancelled() const { return checked().cancelled(); }
  bool running() const { return checked().running(); }
  // done: finished (with a result or an exception) or cancelled.
  bool done() const { return checked().done(); }

  // --- Outcome -----------------------------------------------------------------

  // result: blocks until done; returns the value (const T&, or nothing for
  // Future<void>), rethrows the task's exception, or throws CancelledError.
  // The reference lives as long as some handle to this future does.
  decltype(auto) result() const& { return result_until(detail::kNoDeadline); }

  // result() on a temporary handle (pool.submit(f).result()) returns the T
  // by value, moved out of the shared state: nothing dangles. Other handles
  // to the same future then see a moved-from T.
  decltype(auto) result() && { return take_result_until(detail::kNoDeadline); }

  // result(timeout): as result(), throwing TimeoutError if not done in time.
  template <class Rep, class Period>
  decltype(auto) result(const std::chrono::duration<Rep, Period>& timeout) const& {
    return result_until(detail::deadline_after(timeout));
  }
  template <class Rep, class Period>
  decltype(auto) result(const std::chrono::duration<Rep, Period>& timeout) && {
    return take_result_until(detail::deadline_after(timeout));
  }

  // exception: blocks until done; returns the task's exception, or null if
  // it succeeded. Throws CancelledError if cancelled; never the task's error.
  std::exception_ptr exception() const { return exception_until(detail::kNoDeadline); }

  template <class Rep, class Period>
  std::exception_ptr exception(const std::chrono::duration<Rep, Period>& timeout) const {
    return exception_until(detail::deadline_after(timeout));
  }

  // add_done_callback: fn(const Future<T>&) runs once the future is done -
  // at once, in this thread, if it already is.
  template <class F>
  void add_done_callback(F fn) {
    static_assert(std::is_invocable_v<F&, const Future<T>&>,
                  "add_done_callback: the callback must be callable as fn(const Future<T>&)");
    if (!checked().add_callback([fn, self = *this]() mutable { fn(self); })) {
      try {
        fn(*this);
      } catch (...) {
        detail::report_callback_error(std::current_exception());
      }
    }
  }

  // Two handles are equal when they refer to the same future.
  friend bool operator==(const Future& a, const Future& b) noexcept {
    return a.state_.get() == b.state_.get();
  }

 private:
  friend struct detail::FutureAccess;

  explicit Future(detail::StateRef<detail::FutureState<T>> state) : state_(std::move(state)) {}

  detail::FutureState<T>& checked() const {
    if (state_.get() == nullptr) detail::throw_empty_future();
    return *state_.get();
  }

  detail::FutureState<T>& settled(detail::Deadline deadline) const {
    detail::FutureState<T>& state = checked();
    if (!state.wait_done(deadline)) detail::throw_future_timeout();
    if (state.cancelled()) detail::throw_cancelled();
    if (state.error() != nullptr) std::rethrow_exception(state.error());
    return state;
  }

  decltype(auto) result_until(detail::Deadline deadline) const {
    const auto& state = settled(deadline);
    if constexpr (std::is_void_v<T>) {
      return;
    } else {
      return static_cast<const T&>(state.value());
    }
  }

  auto take_result_until(detail::Deadline deadline) {
    auto& state = settled(deadline);
    if constexpr (std::is_void_v<T>) {
      return;
    } else {
      return T(std::move(state.take_value()));
    }
  }

  std::exception_ptr exception_until(detail::Deadline deadline) const {
    detail::FutureState<T>& state = checked();
    if (!state.wait_done(deadline)) detail::throw_future_timeout();
    if (state.cancelled()) detail::throw_cancelled();
    return state.error();
  }

  detail::StateRef<detail::FutureState<T>> state_;
};

namespace detail {
// FutureAccess: how concur's executors and free functions make a Future
// around a shared state and reach the state behind one.
struct FutureAccess {
  template <class T>
  static Future<T> make(StateRef<FutureState<T>> state) {
    return Future<T>(std::move(state));
  }
  template <class T>
  static FutureState<T>* state(const Future<T>& future) noexcept {
    return future.state_.get();
  }
};

template <class T>
Future<T> make_future(StateRef<FutureState<T>> state) {
  return FutureAccess::make<T>(std::move(state));
}
}  // namespace detail

// Promise<T>: the producer's side of a Future<T>, for executor writers.
// Destroying a promise whose future is still pending fails that future with
// concur::RuntimeError("promise destroyed without a result"): nothing is lost.
template <class T>
class Promise {
 public:
  Promise() : state_(new detail::FutureState<T>()) {}
  Promise(Promise&&) noexcept = default;
  Promise& operator=(Promise&&) noexcept = default;
  Promise(const Promise&) = delete;
  Promise& operator=(const Promise&) = delete;
  ~Promise() { abandon(); }

  // future: a handle to the future this promise completes (any number).
  Future<T> future() const { return detail::make_future<T>(state_); }

  // set_running_or_notify_cancel: pending -> running, returns true; on a
  // cancelled future returns false (the work must not run). Throws
  // RuntimeError in any other state.
  bool set_running_or_notify_cancel() { return state_->set_running_or_notify_cancel(); }

  // set_result: finishes the future with a value. Throws InvalidStateError
  // if it is already done (the first outcome stays).
  template <class... Args>
  void set_result(Args&&... args) {
    state_->set_value(std::forward<Args>(args)...);
  }

  // set_exception: finishes the future with an exception (non-null).
  void set_exception(std::exception_ptr error) { state_->set_exception(std::move(error)); }

 private:
  void abandon() noexcept;

  detail::StateRef<detail::FutureState<T>> state_;
};

template <class T>
void Promise<T>::abandon() noexcept {
  if (state_.get() != nullptr && !state_->done()) detail::fail_abandoned(*state_.get());
}

// --- wait() --------------------------------------------------------------------

enum class ReturnWhen { first_completed, first_exception, all_completed };

// WaitResult: the partition wait() returns.
template <class T>
struct WaitResult {
  std::vector<Future<T>> done;
  std::vector<Future<T>> not_done;
};

namespace detail {

template <class T>
struct is_future : std::false_type {};
template <class T>
struct is_future<Future<T>> : std::true_type {};

// FutureRange: a range of concur::Futures (what wait and as_completed take).
template <class Range>
concept FutureRange = std::ranges::input_range<Range> &&
    is_future<std::remove_cvref_t<std::ranges::range_reference_t<Range>>>::value;

// Distinct: the futures of a range, each once, in first-seen order.
template <class T, class Range>
std::vector<Future<T>> distinct(Range&& futures) {
  std::vector<Future<T>> out;
  std::unordered_set<const void*> seen;
  for (const Future<T>& f : futures) {
    if (!f.valid()) throw_empty_future();
    if (seen.insert(FutureAccess::state(f)).second) out.push_back(f);
  }
  return out;
}

}  // namespace detail

// wait: blocks until the condition holds or the deadline passes, and returns
// {done, not_done}: the distinct input futures, split. Never throws on a
// timeout (it returns the split as it is then); never changes the futures.
template <detail::FutureRange Range>
auto wait(Range&& futures, ReturnWhen when = ReturnWhen::all_completed) {
  return wait_until(std::forward<Range>(futures), detail::kNoDeadline, when);
}

template <detail::FutureRange Range, class Rep, class Period>
auto wait(Range&& futures, const std::chrono::duration<Rep, Period>& timeout,
          ReturnWhen when = ReturnWhen::all_completed) {
  return wait_until(std::forward<Range>(futures), detail::deadline_after(timeout), when);
}

// wait_until: as wait(futures, timeout, when), with a deadline.
template <detail::FutureRange Range>
auto wait_until(Range&& futures, detail::Deadline deadline, ReturnWhen when) {
  using T = typename std::remove_cvref_t<std::ranges::range_reference_t<Range>>::value_type;
  std::vector<Future<T>> all = detail::distinct<T>(futures);
  std::vector<bool> is_done(all.size(), false);
  std::size_t done_count = 0;
  bool saw_exception = false;
  const auto mark = [&](std::size_t i) {
    if (is_done[i]) return;
    is_done[i] = true;
    ++done_count;
    if (detail::FutureAccess::state(all[i])->failed()) saw_exception = true;
  };
  const auto satisfied = [&] {
    switch (when) {
      case ReturnWhen::first_completed:
        return done_count > 0 || all.empty();
      case ReturnWhen::first_exception:
        return saw_exception || done_count == all.size();
      case ReturnWhen::all_completed:
        break;
    }
    return done_count == all.size();
  };

  detail::Gatherer gatherer(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!gatherer.watch(i, *detail::FutureAccess::state(all[i]))) mark(i);
  }
  std::vector<std::size_t> completed;
  while (!satisfied()) {
    if (!gatherer.wait_for_more(deadline)) break;
    completed.clear();
    gatherer.take_completed(completed);
    for (std::size_t i : completed)
      mark(i);
  }
  gatherer.detach();
  // Everything that completed by now counts as done, more than asked for too.
  WaitResult<T> result;
  for (std::size_t i = 0; i < all.size(); ++i) {
    (is_done[i] || all[i].done() ? result.done : result.not_done).push_back(all[i]);
  }
  return result;
}

// --- as_completed() ------------------------------------------------------------

// AsCompleted: the input range as_completed() returns. It yields each
// distinct future once: those already done first, then the others as they
// complete. With a deadline, advancing past it throws TimeoutError("N (of M)
// futures unfinished"). Leaving the loop early detaches it from the futures,
// which go on untouched. Single pass; not copyable or movable.
template <class T>
class AsCompleted {
 public:
  template <class Range>
  AsCompleted(Range&& futures, detail::Deadline deadline)
      : all_(detail::distinct<T>(futures)), gatherer_(all_.size()), deadline_(deadline) {
    for (std::size_t i = 0; i < all_.size(); ++i) {
      if (!gatherer_.watch(i, *detail::FutureAccess::state(all_[i]))) ready_.push_back(i);
    }
  }
  AsCompleted(const AsCompleted&) = delete;
  AsCompleted& operator=(const AsCompleted&) = delete;

  using iterator = detail::PullIterator<AsCompleted, Future<T>>;

  iterator begin() {
    advance();
    return iterator(this);
  }
  iterator end() const noexcept { return iterator(); }

 private:
  friend iterator;
  bool at_end() const noexcept { return finished_; }
  const Future<T>& current() const noexcept { return current_; }
  void advance() {
    current_ = Future<T>();  // keep no reference to a yielded future
    for (;;) {
      if (next_ready_ < ready_.size()) {
        const std::size_t i = ready_[next_ready_++];
        current_ = std::move(all_[i]);
        ++yielded_;
        return;
      }
      if (yielded_ == all_.size()) {
        finished_ = true;
        gatherer_.detach();
        return;
      }
      if (!gatherer_.wait_for_more(deadline_)) {
        const std::size_t unfinished = all_.size() - yielded_;
        finished_ = true;
        gatherer_.detach();
        throw TimeoutError(std::to_string(unfinished) + " (of " + std::to_string(all_.size()) +
                           ") futures unfinished");
      }
      gatherer_.take_completed(ready_);
    }
  }

  std::vector<Future<T>> all_;
  detail::Gatherer gatherer_;
  detail::Deadline deadline_;
  std::vector<std::size_t> ready_;
  std::size_t next_ready_ = 0;
  std::size_t yielded_ = 0;
  Future<T> current_;
  bool finished_ = false;
};

// as_completed: see AsCompleted. The deadline counts from this call.
template <detail::FutureRange Range>
auto as_completed(Range&& futures) {
  using T = typename std::remove_cvref_t<std::ranges::range_reference_t<Range>>::value_type;
  return AsCompleted<T>(std::forward<Range>(futures), detail::kNoDeadline);
}

template <detail::FutureRange Range, class Rep, class Period>
auto as_completed(Range&& futures, const std::chrono::duration<Rep, Period>& timeout) {
  using T = typename std::remove_cvref_t<std::ranges::range_reference_t<Range>>::value_type;
  return AsCompleted<T>(std::forward<Range>(futures), detail::deadline_after(timeout));
}

}  // namespace concur

// std::hash<Future<T>>: futures as keys, Python's
// {executor.submit(fn, x): x for x in xs}. A handle hashes as the future it
// refers to, consistently with ==; empty handles all hash alike.
template <class T>
struct std::hash<concur::Future<T>> {
  std::size_t operator()(const concur::Future<T>& future) const noexcept {
    return std::hash<const void*>{}(concur::detail::FutureAccess::state(future));
  }
};
