// Future, Promise, wait() and as_completed(): docs/spec.md sections
// FUT, WAIT and ASC, on promise-made futures (the executors' own suite
// checks the same calls through submit()).
#include "concur/future.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kHangGuard;
using test::kShort;
using test::Stopwatch;
using test::Threads;

// Started: a promise already moved to running.
Promise<int> started() {
  Promise<int> p;
  EXPECT_TRUE(p.set_running_or_notify_cancel());
  return p;
}

std::exception_ptr error(const std::string& what) {
  return std::make_exception_ptr(std::out_of_range(what));
}

TEST(FutureTest, FUT_01_ANewFutureIsNotDoneRunningOrCancelled) {
  Promise<int> p;
  Future<int> f = p.future();
  EXPECT_TRUE(f.valid());
  EXPECT_FALSE(f.done());
  EXPECT_FALSE(f.running());
  EXPECT_FALSE(f.cancelled());
  EXPECT_FALSE(Future<int>().valid());
}

TEST(FutureTest, FUT_02_RunningOnlyWhileRunning) {
  Promise<int> p;
  Future<int> f = p.future();
  EXPECT_TRUE(p.set_running_or_notify_cancel());
  EXPECT_TRUE(f.running());
  p.set_result(1);
  EXPECT_FALSE(f.running());
}

TEST(FutureTest, FUT_03_FUT_04_DoneWhenFinishedFailedOrCancelled) {
  Promise<int> ok, failed, cancelled;
  ok.set_result(1);
  failed.set_exception(error("x"));
  EXPECT_TRUE(cancelled.future().cancel());
  EXPECT_TRUE(ok.future().done());
  EXPECT_TRUE(failed.future().done());
  EXPECT_TRUE(cancelled.future().done());
  EXPECT_FALSE(ok.future().cancelled());
  EXPECT_FALSE(failed.future().cancelled());
  EXPECT_TRUE(cancelled.future().cancelled());
  EXPECT_FALSE(cancelled.set_running_or_notify_cancel());  // -> cancelled and notified
  EXPECT_TRUE(cancelled.future().cancelled());
  EXPECT_TRUE(cancelled.future().done());
}

TEST(FutureTest, FUT_05_CancelWakesBlockedResultWithCancelledErrorAndRunsCallbacks) {
  Promise<int> p;
  Future<int> f = p.future();
  std::atomic<int> callbacks{0};
  f.add_done_callback([&](const Future<int>& g) {
    EXPECT_TRUE(g.cancelled());
    ++callbacks;
  });
  std::atomic<bool> threw_cancelled{false};
  std::thread waiter([&] {
    try {
      f.result(kHangGuard);
    } catch (const CancelledError&) {
      threw_cancelled = true;
    }
  });
  EXPECT_TRUE(f.cancel());
  waiter.join();
  EXPECT_TRUE(threw_cancelled);
  EXPECT_EQ(callbacks, 1);
}

TEST(FutureTest, FUT_06_CancelOnARunningFutureFails) {
  Promise<int> p = started();
  EXPECT_FALSE(p.future().cancel());
  EXPECT_TRUE(p.future().running());
}

TEST(FutureTest, FUT_07_CancelOnAFinishedFutureFails) {
  Promise<int> ok, failed;
  ok.set_result(1);
  failed.set_exception(error("x"));
  EXPECT_FALSE(ok.future().cancel());
  EXPECT_FALSE(failed.future().cancel());
}

TEST(FutureTest, FUT_08_CancelAgainReturnsTrueWithoutRerunningCallbacks) {
  Promise<int> p;
  int calls = 0;
  p.future().add_done_callback([&](const Future<int>&) { ++calls; });
  EXPECT_TRUE(p.future().cancel());
  EXPECT_TRUE(p.future().cancel());
  EXPECT_EQ(calls, 1);
}

TEST(FutureTest, FUT_09_ResultReturnsTheValueZeroTimeoutOnAFinishedFuture) {
  Promise<std::string> p;
  p.set_result("value");
  const Future<std::string> f = p.future();
  EXPECT_EQ(f.result(), "value");
  EXPECT_EQ(f.result(0s), "value");
}

TEST(FutureTest, FUT_10_ResultRethrowsTheSameExceptionEveryTime) {
  Promise<int> p;
  p.set_exception(error("bad index"));
  for (int i = 0; i < 2; ++i) {
    try {
      p.future().result();
      FAIL() << "no exception";
    } catch (const std::out_of_range& e) {
      EXPECT_STREQ(e.what(), "bad index");
    }
  }
}

TEST(FutureTest, FUT_11_ResultAndExceptionOfACancelledFutureThrowCancelledError) {
  Promise<int> p;
  p.future().cancel();
  EXPECT_THROW(p.future().result(), CancelledError);
  EXPECT_THROW(p.future().result(0s), CancelledError);
  EXPECT_THROW(p.future().exception(), CancelledError);
  EXPECT_THROW(p.future().exception(0s), CancelledError);
}

TEST(FutureTest, FUT_12_ResultAndExceptionTimeOutOnPendingAndRunningFutures) {
  Promise<int> pending;
  Promise<int> running = started();
  for (Future<int> f : {pending.future(), running.future()}) {
    Stopwatch watch;
    EXPECT_THROW(f.result(kShort), TimeoutError);
    EXPECT_WAITED_AT_LEAST(watch, kShort);
    EXPECT_THROW(f.result(0s), TimeoutError);
    EXPECT_THROW(f.result(-1s), TimeoutError);
    EXPECT_THROW(f.exception(0s), TimeoutError);
  }
}

TEST(FutureTest, FUT_13_ResultReturnsAsSoonAsTheResultIsSet) {
  Promise<int> p = started();
  Future<int> f = p.future();
  std::thread setter([&] { p.set_result(42); });
  EXPECT_EQ(f.result(kHangGuard), 42);
  setter.join();
}

TEST(FutureTest, FUT_14_ResultThrowsCancelledErrorIfCancelledDuringTheWait) {
  Promise<int> p;
  Future<int> f = p.future();
  std::thread canceller([&] {
    ASSERT_TRUE(eventually([&] { return detail::parked_threads() > 0; }));
    f.cancel();
  });
  EXPECT_THROW(f.result(kHangGuard), CancelledError);
  canceller.join();
}

TEST(FutureTest, FUT_15_ExceptionReturnsTheErrorOrNullAndNeverThrowsIt) {
  Promise<int> ok, failed;
  ok.set_result(1);
  failed.set_exception(error("x"));
  EXPECT_EQ(ok.future().exception(), nullptr);
  std::exception_ptr e = nullptr;
  EXPECT_NO_THROW(e = failed.future().exception());
  ASSERT_NE(e, nullptr);
  EXPECT_THROW(std::rethrow_exception(e), std::out_of_range);
}

TEST(FutureTest, FUT_16_SetResultOrExceptionFromPendingOrRunningThenCallbacks) {
  Promise<int> from_pending;
  Promise<int> from_running = started();
  std::vector<int> seen;
  from_pending.future().add_done_callback(
      [&](const Future<int>& f) { seen.push_back(f.result()); });
  from_running.future().add_done_callback(
      [&](const Future<int>& f) { seen.push_back(f.exception() != nullptr ? -1 : 0); });
  from_pending.set_result(7);
  from_running.set_exception(error("x"));
  EXPECT_EQ(seen, (std::vector<int>{7, -1}));
}

TEST(FutureTest, FUT_17_ASecondSetThrowsInvalidStateErrorAndKeepsTheFirst) {
  Promise<int> p;
  p.set_result(1);
  try {
    p.set_result(2);
    FAIL() << "second set_result accepted";
  } catch (const InvalidStateError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("FINISHED", 0), 0u) << e.what();
  }
  EXPECT_THROW(p.set_exception(error("x")), InvalidStateError);
  EXPECT_EQ(p.future().result(), 1);
}

TEST(FutureTest, FUT_18_SettingACancelledFutureThrowsInvalidStateError) {
  Promise<int> p;
  p.future().cancel();
  try {
    p.set_result(1);
    FAIL() << "set_result on a cancelled future accepted";
  } catch (const InvalidStateError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("CANCELLED", 0), 0u) << e.what();
  }
  EXPECT_THROW(p.set_exception(error("x")), InvalidStateError);
}

TEST(FutureTest, FUT_19_SetRunningOrNotifyCancelTransitionsOrThrows) {
  Promise<int> p;
  EXPECT_TRUE(p.set_running_or_notify_cancel());
  EXPECT_THROW(p.set_running_or_notify_cancel(), RuntimeError);  // running
  p.set_result(1);
  EXPECT_THROW(p.set_running_or_notify_cancel(), RuntimeError);  // finished
  Promise<int> c;
  c.future().cancel();
  EXPECT_FALSE(c.set_running_or_notify_cancel());
  try {
    c.set_running_or_notify_cancel();  // already notified
    FAIL() << "no exception";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Future in unexpected state");
  }
}

TEST(FutureTest, FUT_20_FUT_21_CallbacksRunOnceInOrderWithTheFuture) {
  Promise<int> p;
  Future<int> f = p.future();
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) {
    f.add_done_callback([&order, i, f](const Future<int>& g) {
      EXPECT_TRUE(g == f);
      order.push_back(i);
    });
  }
  p.set_result(1);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(FutureTest, FUT_22_CallbacksRunInTheCompletingThread) {
  Promise<int> p;
  std::thread::id ran_on;
  p.future().add_done_callback([&](const Future<int>&) { ran_on = std::this_thread::get_id(); });
  std::thread completer([&] { p.set_result(1); });
  const auto completer_id = completer.get_id();
  completer.join();
  EXPECT_EQ(ran_on, completer_id);
  Promise<int> q;
  q.future().add_done_callback([&](const Future<int>&) { ran_on = std::this_thread::get_id(); });
  std::thread canceller([&] { q.future().cancel(); });
  const auto canceller_id = canceller.get_id();
  canceller.join();
  EXPECT_EQ(ran_on, canceller_id);
}

TEST(FutureTest, FUT_23_CallbackOnADoneFutureRunsAtOnceInTheCaller) {
  Promise<int> ok, failed, cancelled;
  ok.set_result(1);
  failed.set_exception(error("x"));
  cancelled.future().cancel();
  for (Future<int> f : {ok.future(), failed.future(), cancelled.future()}) {
    bool ran = false;
    f.add_done_callback([&](const Future<int>&) { ran = true; });
    EXPECT_TRUE(ran);  // before add_done_callback returned
  }
}

std::atomic<int> reported_errors{0};
void count_error(std::exception_ptr) noexcept {
  ++reported_errors;
}

TEST(FutureTest, FUT_24_AThrowingCallbackIsReportedAndTheOthersStillRun) {
  const CallbackErrorHandler previous = set_callback_error_handler(&count_error);
  reported_errors = 0;
  Promise<int> p;
  bool second_ran = false;
  p.future().add_done_callback([](const Future<int>&) { throw std::runtime_error("boom"); });
  p.future().add_done_callback([&](const Future<int>&) { second_ran = true; });
  EXPECT_NO_THROW(p.set_result(1));
  EXPECT_TRUE(second_ran);
  EXPECT_EQ(reported_errors, 1);
  EXPECT_NO_THROW(
      p.future().add_done_callback([](const Future<int>&) { throw std::logic_error("late"); }));
  EXPECT_EQ(reported_errors, 2);
  set_callback_error_handler(previous);
}

TEST(FutureTest, FUT_25_FUT_26_CallbacksMayUseTheFutureAndSeeItsFinalState) {
  Promise<int> p;
  Future<int> f = p.future();
  int result = 0;
  bool nested_ran = false;
  f.add_done_callback([&](const Future<int>& g) {
    result = g.result(0s);  // no block, no deadlock
    EXPECT_FALSE(g.cancelled());
    EXPECT_FALSE(f.cancel());  // finished: false, no deadlock
    f.add_done_callback([&](const Future<int>&) { nested_ran = true; });
  });
  p.set_result(5);
  EXPECT_EQ(result, 5);
  EXPECT_TRUE(nested_ran);
}

struct EmptyMessage : std::exception {
  const char* what() const noexcept override { return ""; }
};

TEST(FutureTest, FUT_27_AnEmptyLookingExceptionIsStillAnException) {
  Promise<int> p;
  p.set_exception(std::make_exception_ptr(EmptyMessage()));
  EXPECT_THROW(p.future().result(), EmptyMessage);
  EXPECT_NE(p.future().exception(), nullptr);
}

TEST(FutureTest, FUT_28_EveryCallbackExceptionTypeIsReportedNotPropagated) {
  const CallbackErrorHandler previous = set_callback_error_handler(&count_error);
  reported_errors = 0;
  Promise<int> p;
  p.future().add_done_callback([](const Future<int>&) { throw 42; });  // not a std::exception
  EXPECT_NO_THROW(p.set_result(1));
  EXPECT_EQ(reported_errors, 1);
  set_callback_error_handler(previous);
}

TEST(FutureTest, FUT_29_ManyThreadsBlockedInResultAllGetIt) {
  Promise<int> p;
  Future<int> f = p.future();
  std::atomic<int> got{0};
  {
    Threads waiters(8, [&](std::size_t) {
      if (f.result(kHangGuard) == 9) ++got;
    });
    p.set_result(9);
  }
  EXPECT_EQ(got, 8);
}

TEST(FutureTest, VoidFuturesWork) {
  Promise<void> p;
  Future<void> f = p.future();
  p.set_result();
  f.result();
  EXPECT_EQ(f.exception(), nullptr);
  EXPECT_THROW(p.set_result(), InvalidStateError);
}

TEST(FutureTest, MoveOnlyResultsWork) {
  Promise<std::unique_ptr<int>> p;
  p.set_result(std::make_unique<int>(3));
  EXPECT_EQ(*p.future().result(), 3);
}

TEST(FutureTest, AnAbandonedPromiseFailsItsFutureInsteadOfLosingIt) {
  Future<int> f;
  {
    Promise<int> p;
    f = p.future();
  }
  ASSERT_TRUE(f.done());
  EXPECT_THROW(f.result(), RuntimeError);
  Future<int> finished;
  {
    Promise<int> p;
    finished = p.future();
    p.set_result(1);
  }
  EXPECT_EQ(finished.result(), 1);
}

TEST(FutureTest, AnEmptyFutureThrowsInvalidStateErrorFromEveryMember) {
  Future<int> empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_THROW(empty.result(), InvalidStateError);
  EXPECT_THROW(empty.result(1ms), InvalidStateError);
  EXPECT_THROW(Future<int>().result(), InvalidStateError);
  EXPECT_THROW(empty.exception(), InvalidStateError);
  EXPECT_THROW(empty.done(), InvalidStateError);
  EXPECT_THROW(empty.running(), InvalidStateError);
  EXPECT_THROW(empty.cancelled(), InvalidStateError);
  EXPECT_THROW(empty.cancel(), InvalidStateError);
  EXPECT_THROW(empty.add_done_callback([](const Future<int>&) {}), InvalidStateError);
  Future<void> empty_void;
  EXPECT_THROW(empty_void.result(), InvalidStateError);
}

TEST(FutureTest, WaitAndAsCompletedRefuseAnEmptyFuture) {
  Promise<int> p;
  std::vector<Future<int>> fs = {p.future(), Future<int>()};
  EXPECT_THROW(wait(fs), InvalidStateError);
  EXPECT_THROW(wait(fs, 1ms), InvalidStateError);
  EXPECT_THROW(as_completed(fs), InvalidStateError);
}

TEST(FutureTest, ResultOfATemporaryHandleIsAValueThatOutlivesTheFuture) {
  static_assert(
      std::is_same_v<decltype(std::declval<Future<std::string>>().result()), std::string>);
  static_assert(
      std::is_same_v<decltype(std::declval<Future<std::string>&>().result()), const std::string&>);
  const std::string* kept = nullptr;
  {
    auto p = std::make_unique<Promise<std::string>>();
    Future<std::string> f = p->future();
    p->set_result(std::string(1000, 'x'));
    p.reset();
    // The last handle is the temporary: the shared state goes with it, and
    // the reference below is bound to a value, not into the state.
    const std::string& r = std::move(f).result();
    kept = &r;
    EXPECT_EQ(r, std::string(1000, 'x'));
  }
  EXPECT_NE(kept, nullptr);
}

TEST(FutureTest, ResultOfATemporaryMovesAMoveOnlyValueOut) {
  Promise<std::unique_ptr<int>> p;
  Future<std::unique_ptr<int>> f = p.future();
  Future<std::unique_ptr<int>> other = f;
  p.set_result(std::make_unique<int>(7));
  std::unique_ptr<int> taken = std::move(f).result(kHangGuard);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 7);
  EXPECT_EQ(other.result(), nullptr);  // the other handle sees the moved-from value
  Promise<int> failing;
  failing.set_exception(error("gone"));
  EXPECT_THROW(failing.future().result(), std::out_of_range);
}

TEST(FutureTest, SetResultHappensBeforeResult) {
  Promise<std::vector<int>> p;
  Future<std::vector<int>> f = p.future();
  std::thread producer([&] { p.set_result(std::vector<int>(1000, 7)); });
  EXPECT_EQ(f.result(kHangGuard).size(), 1000u);
  producer.join();
}

// --- wait() --------------------------------------------------------------------

TEST(WaitTest, WAIT_01_ReturnsAPartitionOfTheDistinctFutures) {
  Promise<int> a, b;
  a.set_result(1);
  std::vector<Future<int>> fs{a.future(), a.future(), b.future()};
  auto [done, not_done] = wait(fs, 0s);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_EQ(not_done.size(), 1u);
  EXPECT_TRUE(done[0] == a.future());
  EXPECT_TRUE(not_done[0] == b.future());
}

TEST(WaitTest, WAIT_02_EmptyInputReturnsAtOnce) {
  std::vector<Future<int>> none;
  for (ReturnWhen when :
       {ReturnWhen::first_completed, ReturnWhen::first_exception, ReturnWhen::all_completed}) {
    auto [done, not_done] = wait(none, when);
    EXPECT_TRUE(done.empty() && not_done.empty());
  }
}

TEST(WaitTest, WAIT_03_AllCompletedWaitsForEveryFutureCancelledCounts) {
  Promise<int> a, b, c;
  std::vector<Future<int>> fs{a.future(), b.future(), c.future()};
  c.future().cancel();
  std::thread finisher([&] {
    a.set_result(1);
    b.set_exception(error("x"));
  });
  auto [done, not_done] = wait(fs);
  finisher.join();
  EXPECT_EQ(done.size(), 3u);
  EXPECT_TRUE(not_done.empty());
}

TEST(WaitTest, WAIT_04_FirstCompletedReturnsAtOnceIfOneIsDoneElseOnTheFirst) {
  Promise<int> a, b, c;
  a.set_result(1);
  std::vector<Future<int>> fs{a.future(), b.future(), c.future()};
  auto [done, not_done] = wait(fs, ReturnWhen::first_completed);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_EQ(not_done.size(), 2u);
  std::vector<Future<int>> pending{b.future(), c.future()};
  std::thread finisher([&] { c.set_result(3); });
  auto [done2, not_done2] = wait(pending, kHangGuard, ReturnWhen::first_completed);
  finisher.join();
  ASSERT_EQ(done2.size(), 1u);
  EXPECT_TRUE(done2[0] == c.future());
  EXPECT_EQ(not_done2.size(), 1u);
}

TEST(WaitTest, WAIT_05_FirstExceptionReturnsOnAnExceptionElseActsAsAllCompleted) {
  Promise<int> ok, raises, blocked, cancelled;
  ok.set_result(1);
  cancelled.future().cancel();  // not an exception
  std::vector<Future<int>> fs{ok.future(), raises.future(), blocked.future(), cancelled.future()};
  std::thread failer([&] { raises.set_exception(error("x")); });
  auto [done, not_done] = wait(fs, kHangGuard, ReturnWhen::first_exception);
  failer.join();
  EXPECT_EQ(done.size(), 3u);  // ok, raises, cancelled
  ASSERT_EQ(not_done.size(), 1u);
  EXPECT_TRUE(not_done[0] == blocked.future());

  Promise<int> x, y;
  std::vector<Future<int>> no_errors{x.future(), y.future()};
  std::thread finisher([&] {
    x.set_result(1);
    y.set_result(2);
  });
  auto [all_done, none] = wait(no_errors, kHangGuard, ReturnWhen::first_exception);
  finisher.join();
  EXPECT_EQ(all_done.size(), 2u);
  EXPECT_TRUE(none.empty());
}

TEST(WaitTest, WAIT_05_AnAlreadyFailedFutureSatisfiesFirstExceptionAtOnce) {
  Promise<int> failed, pending;
  failed.set_exception(error("x"));
  std::vector<Future<int>> fs{failed.future(), pending.future()};
  auto [done, not_done] = wait(fs, ReturnWhen::first_exception);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_EQ(not_done.size(), 1u);
}

TEST(WaitTest, WAIT_06_ATimeoutReturnsTheCurrentPartitionWithoutThrowing) {
  Promise<int> a, b;
  a.set_result(1);
  std::vector<Future<int>> fs{a.future(), b.future()};
  Stopwatch watch;
  auto [done, not_done] = wait(fs, kShort);
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_EQ(not_done.size(), 1u);
  auto [snapshot_done, snapshot_not_done] = wait(fs, 0s);
  EXPECT_EQ(snapshot_done.size(), 1u);
}

TEST(WaitTest, WAIT_07_ACancelledFutureIsDone) {
  Promise<int> p;
  p.future().cancel();  // cancelled, not yet noticed by any executor
  std::vector<Future<int>> fs{p.future()};
  auto [done, not_done] = wait(fs, kHangGuard);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_TRUE(not_done.empty());
}

TEST(WaitTest, WAIT_08_DoneHoldsEverythingThatCompletedByTheReturn) {
  Promise<int> a, b;
  a.set_result(1);
  b.set_result(2);
  std::vector<Future<int>> fs{a.future(), b.future()};
  auto [done, not_done] = wait(fs, ReturnWhen::first_completed);
  EXPECT_EQ(done.size(), 2u);
}

TEST(WaitTest, WAIT_09_FuturesFromDifferentSourcesMix) {
  Promise<int> a;
  Promise<int> b = started();
  std::vector<Future<int>> fs{a.future(), b.future()};
  std::thread t([&] {
    a.set_result(1);
    b.set_result(2);
  });
  auto [done, not_done] = wait(fs, kHangGuard);
  t.join();
  EXPECT_EQ(done.size(), 2u);
}

TEST(WaitTest, WAIT_11_NoMissedCompletionWhenAHundredFinishTogether) {
  std::vector<Promise<int>> promises(100);
  std::vector<Future<int>> fs;
  for (auto& p : promises)
    fs.push_back(p.future());
  std::atomic<bool> go{false};
  std::thread finisher([&] {
    while (!go)
      std::this_thread::yield();
    for (auto& p : promises)
      p.set_result(1);
  });
  go = true;
  auto [done, not_done] = wait(fs, kHangGuard);
  finisher.join();
  EXPECT_EQ(done.size(), 100u);
  EXPECT_TRUE(not_done.empty());
}

TEST(WaitTest, WAIT_12_WaitNeverChangesTheFutures) {
  Promise<int> p = started();
  std::vector<Future<int>> fs{p.future()};
  wait(fs, 1ms);
  EXPECT_TRUE(p.future().running());
  p.set_result(1);
  EXPECT_EQ(p.future().result(), 1);
}

// --- as_completed() ------------------------------------------------------------

TEST(AsCompletedTest, ASC_01_YieldsEachDistinctFutureOnce) {
  Promise<int> a, b;
  a.set_result(1);
  b.set_result(2);
  std::vector<Future<int>> fs{a.future(), b.future(), a.future()};
  int count = 0;
  int sum = 0;
  for (const Future<int>& f : as_completed(fs)) {
    ++count;
    sum += f.result();
  }
  EXPECT_EQ(count, 2);
  EXPECT_EQ(sum, 3);
}

TEST(AsCompletedTest, ASC_02_ASC_03_DoneFirstThenInCompletionOrder) {
  Promise<int> first, second, third, already;
  already.set_result(0);
  std::vector<Future<int>> fs{first.future(), second.future(), third.future(), already.future()};
  std::vector<int> order;
  std::thread completer;
  for (const Future<int>& f : as_completed(fs, kHangGuard)) {
    order.push_back(f.result());
    if (order.size() == 1) {
      // Complete the rest in the order 2, 3, 1, each after the previous was
      // seen, so completion order is defined.
      completer = std::thread([&] { second.set_result(2); });
      completer.join();
    } else if (order.back() == 2) {
      third.set_result(3);
    } else if (order.back() == 3) {
      first.set_result(1);
    }
  }
  EXPECT_EQ(order, (std::vector<int>{0, 2, 3, 1}));
}

TEST(AsCompletedTest, ASC_04_ATimeoutThrowsWithTheCountOfUnfinished) {
  Promise<int> a, b, c, d;
  a.set_result(1);
  b.set_result(2);
  std::vector<Future<int>> fs{a.future(), b.future(), c.future(), d.future()};
  int yielded = 0;
  try {
    for (const Future<int>& f : as_completed(fs, kShort)) {
      (void)f;
      ++yielded;
    }
    FAIL() << "no timeout";
  } catch (const TimeoutError& e) {
    EXPECT_STREQ(e.what(), "2 (of 4) futures unfinished");
  }
  EXPECT_EQ(yielded, 2);
}

TEST(AsCompletedTest, ASC_05_ZeroTimeoutYieldsTheDoneOnesThenThrowsIfAnyRemain) {
  Promise<int> a, b;
  a.set_result(1);
  std::vector<Future<int>> fs{a.future(), b.future()};
  int yielded = 0;
  EXPECT_THROW(
      {
        for (const Future<int>& f : as_completed(fs, 0s)) {
          (void)f;
          ++yielded;
        }
      },
      TimeoutError);
  EXPECT_EQ(yielded, 1);
  b.set_result(2);
  yielded = 0;
  for (const Future<int>& f : as_completed(fs, 0s)) {
    (void)f;
    ++yielded;
  }
  EXPECT_EQ(yielded, 2);
}

TEST(AsCompletedTest, ASC_06_TheDeadlineCountsFromTheCall) {
  Promise<int> p;
  std::vector<Future<int>> fs{p.future()};
  auto completed = as_completed(fs, kShort);
  std::this_thread::sleep_for(kShort);  // the deadline passes before iterating
  Stopwatch watch;
  EXPECT_THROW(completed.begin(), TimeoutError);
  EXPECT_LT(watch.elapsed(), kHangGuard);
}

TEST(AsCompletedTest, ASC_07_EmptyInputYieldsNothing) {
  std::vector<Future<int>> none;
  int count = 0;
  for (const Future<int>& f : as_completed(none)) {
    (void)f;
    ++count;
  }
  EXPECT_EQ(count, 0);
}

TEST(AsCompletedTest, ASC_08_KeepsNoReferenceToAYieldedFuture) {
  auto p = std::make_unique<Promise<std::shared_ptr<int>>>();
  auto value = std::make_shared<int>(1);
  std::weak_ptr<int> watch = value;
  p->set_result(std::move(value));
  std::vector<Future<std::shared_ptr<int>>> fs{p->future()};
  p.reset();
  auto completed = as_completed(fs);
  auto it = completed.begin();
  EXPECT_FALSE(watch.expired());
  fs.clear();
  ++it;  // done: the range dropped its handle to the yielded future
  EXPECT_TRUE(watch.expired());
}

TEST(AsCompletedTest, ASC_09_LeavingEarlyDetachesWithoutCancelling) {
  Promise<int> a, b;
  a.set_result(1);
  std::vector<Future<int>> fs{a.future(), b.future()};
  for (const Future<int>& f : as_completed(fs)) {
    (void)f;
    break;
  }
  EXPECT_FALSE(b.future().cancelled());
  b.set_result(2);  // no listener left behind to call
  EXPECT_EQ(b.future().result(), 2);
}

TEST(AsCompletedTest, ASC_10_ACompletionRacingWithTheStartIsNeverLost) {
  for (int round = 0; round < 200; ++round) {
    Promise<int> p;
    std::vector<Future<int>> fs{p.future()};
    std::thread completer([&] { p.set_result(1); });
    int count = 0;
    for (const Future<int>& f : as_completed(fs, kHangGuard)) {
      (void)f;
      ++count;
    }
    completer.join();
    ASSERT_EQ(count, 1);
  }
}

TEST(AsCompletedTest, ASC_11_CancelledFuturesAreYielded) {
  Promise<int> a, b;
  std::vector<Future<int>> fs{a.future(), b.future()};
  std::thread canceller([&] {
    a.future().cancel();
    b.future().cancel();
  });
  int cancelled = 0;
  for (const Future<int>& f : as_completed(fs, kHangGuard))
    cancelled += f.cancelled() ? 1 : 0;
  canceller.join();
  EXPECT_EQ(cancelled, 2);
}

}  // namespace
}  // namespace concur
