// asyncio: gather, wait, wait_for, shield, as_completed and TaskGroup
// (docs/spec.md section AIO), from Python's documentation and
// Lib/test/test_asyncio/test_tasks.py, test_waitfor.py and
// test_taskgroups.py. Order is checked, never time.
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "concur/asyncio.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio {
namespace {

using namespace std::chrono_literals;

Coroutine<int> value_after(int value, std::chrono::milliseconds delay,
                           std::vector<int>* log = nullptr) {
  co_await sleep(delay);
  if (log != nullptr) log->push_back(value);
  co_return value;
}

Coroutine<int> fail_after(std::chrono::milliseconds delay) {
  co_await sleep(delay);
  throw std::runtime_error("failed on purpose");
}

Coroutine<> nothing_after(std::chrono::milliseconds delay) {
  co_await sleep(delay);
}

Coroutine<int> forever() {
  co_await sleep(std::chrono::hours(24));
  co_return -1;
}

TEST(AsyncioGatherTest, AIO_30_GatherRunsConcurrentlyAndKeepsTheArgumentOrder) {
  std::vector<int> finished;
  auto [a, b, c] =
      run([](std::vector<int>& log) -> Coroutine<std::tuple<int, std::monostate, int>> {
        co_return co_await gather(value_after(1, 6ms, &log), nothing_after(1ms),
                                  value_after(3, 2ms, &log));
      }(finished));
  EXPECT_EQ(a, 1);
  EXPECT_EQ(c, 3);
  EXPECT_EQ(finished, (std::vector<int>{3, 1}));  // completion order differs from the result order
}

Coroutine<int> value_when_set(int value, Event& go, std::vector<int>& log) {
  co_await go.wait();
  log.push_back(value);
  co_return value;
}

Coroutine<std::string> gather_one_failure(std::vector<int>& finished) {
  Event go;  // the other task finishes only once the gather has failed
  Task<int> slow = create_task(value_when_set(5, go, finished));
  std::string message = "no failure";
  try {
    co_await gather(fail_after(1ms), slow);
  } catch (const std::runtime_error& e) {
    EXPECT_FALSE(slow.done());  // the others go on
    message = e.what();
  }
  go.set();
  co_await slow;
  co_return message;
}

TEST(AsyncioGatherTest, AIO_31_TheFirstFailureEndsTheGatherAndTheOthersGoOn) {
  std::vector<int> finished;
  EXPECT_EQ(run(gather_one_failure(finished)), "failed on purpose");
  EXPECT_EQ(finished, (std::vector<int>{5}));
}

Coroutine<> gather_outcomes() {
  Task<int> doomed = create_task(forever());
  auto outcomes = co_await gather(
      value_after(1, 1ms), fail_after(1ms), doomed,
      [](Task<int> t) -> Coroutine<int> {
        co_await sleep(0s);
        t.cancel();
        co_return 4;
      }(doomed),
      GatherOptions{.return_exceptions = true});
  EXPECT_EQ(std::get<0>(std::get<0>(outcomes)), 1);
  EXPECT_THROW(std::rethrow_exception(std::get<1>(std::get<1>(outcomes))), std::runtime_error);
  EXPECT_THROW(std::rethrow_exception(std::get<1>(std::get<2>(outcomes))), CancelledError);
  EXPECT_EQ(std::get<0>(std::get<3>(outcomes)), 4);
}

TEST(AsyncioGatherTest, AIO_32_WithReturnExceptionsEveryOutcomeIsAnElement) {
  run(gather_outcomes());
}

Coroutine<std::vector<int>> gather_range() {
  std::vector<Coroutine<int>> coroutines;
  for (int i = 0; i < 5; ++i)
    coroutines.push_back(value_after(i * i, std::chrono::milliseconds(5 - i)));
  co_return co_await gather(coroutines);
}

TEST(AsyncioGatherTest, AIO_33_GatherOverARangeReturnsAVectorInOrder) {
  EXPECT_EQ(run(gather_range()), (std::vector<int>{0, 1, 4, 9, 16}));
}

Coroutine<> cancel_a_group(std::vector<std::string>& log) {
  Task<int> a = create_task(forever());
  Task<int> b = create_task(forever());
  auto group = [](Task<int> x, Task<int> y) -> Coroutine<std::tuple<int, int>> {
    co_return co_await gather(x, y);
  };
  Task<std::tuple<int, int>> both = create_task(group(a, b));
  co_await sleep(1ms);
  EXPECT_TRUE(both.cancel());
  try {
    co_await both;
  } catch (const CancelledError&) {
    log.push_back("the group's awaiter got CancelledError");
  }
  co_await sleep(0s);
  if (a.cancelled() && b.cancelled()) log.push_back("every member was cancelled");
}

TEST(AsyncioGatherTest, AIO_34_CancellingAGatherCancelsItsTasksAndItsAwaiterGetsCancelledError) {
  std::vector<std::string> log;
  run(cancel_a_group(log));
  EXPECT_EQ(log, (std::vector<std::string>{"the group's awaiter got CancelledError",
                                           "every member was cancelled"}));
}

TEST(AsyncioGatherTest, AIO_35_GatherOfNothingIsEmptyAtOnce) {
  auto empty_tuple = run([]() -> Coroutine<std::tuple<>> { co_return co_await gather(); }());
  EXPECT_EQ(std::tuple_size_v<decltype(empty_tuple)>, 0u);
  auto empty = run([]() -> Coroutine<std::vector<int>> {
    co_return co_await gather(std::vector<Coroutine<int>>());
  }());
  EXPECT_TRUE(empty.empty());
}

Coroutine<> wait_modes() {
  std::vector<Task<int>> tasks{create_task(value_after(1, 1ms)), create_task(forever()),
                               create_task(fail_after(2ms))};
  auto [first_done, first_pending] = co_await wait(tasks, ReturnWhen::first_completed);
  EXPECT_GE(first_done.size(), 1u);
  EXPECT_EQ(first_done.size() + first_pending.size(), 3u);
  auto [failed_done, failed_pending] = co_await wait(tasks, ReturnWhen::first_exception);
  bool saw_failure = false;
  for (auto& task : failed_done)
    saw_failure = saw_failure || task.exception() != nullptr;
  EXPECT_TRUE(saw_failure);
  auto [timed_done, timed_pending] = co_await wait(tasks, 0s);  // a snapshot
  EXPECT_FALSE(timed_pending.empty());
  for (auto& task : timed_pending)
    EXPECT_FALSE(task.cancelled());  // wait never cancels
  std::vector<Task<int>> twice{tasks[0], tasks[0]};
  tasks[1].cancel();  // cancelled is done too
  auto [all_done, none_pending] = co_await wait(tasks);
  EXPECT_EQ(all_done.size(), 3u);
  EXPECT_TRUE(none_pending.empty());
  auto [distinct, rest] = co_await wait(twice);
  EXPECT_EQ(distinct.size(), 1u);  // a task given twice counts once
  EXPECT_THROW(static_cast<void>(wait(std::vector<Task<int>>())), ValueError);
}

TEST(AsyncioWaitTest, AIO_36_WaitSplitsTheTasksByTheConditionAndNeverCancels) {
  run(wait_modes());
}

Coroutine<> wait_for_cases(std::vector<std::string>& log) {
  EXPECT_EQ(co_await wait_for(value_after(7, 1ms), 10s), 7);
  auto stubborn = [](std::vector<std::string>& out) -> Coroutine<int> {
    bool cancelled = false;
    try {
      co_await sleep(std::chrono::hours(1));
    } catch (const CancelledError&) {
      cancelled = true;
    }
    if (cancelled) {
      co_await sleep(2ms);  // takes a while to finish cancelling
      out.push_back("inner finished cancelling");
      throw CancelledError("cancelled");
    }
    co_return 0;
  };
  try {
    co_await wait_for(stubborn(log), 1ms);
  } catch (const TimeoutError&) {
    log.push_back("TimeoutError");
  }
  Task<int> task = create_task(forever());
  try {
    co_await wait_for(task, 0s);
  } catch (const TimeoutError&) {
    log.push_back(task.cancelled() ? "task cancelled" : "task not cancelled");
  }
  EXPECT_EQ(current_task().cancelling(), 0);  // the timeout's request was taken back
}

TEST(AsyncioWaitTest, AIO_37_WaitForCancelsOnTimeoutWaitsForTheCancellationThenThrowsTimeoutError) {
  std::vector<std::string> log;
  run(wait_for_cases(log));
  EXPECT_EQ(log, (std::vector<std::string>{"inner finished cancelling", "TimeoutError",
                                           "task cancelled"}));
}

Coroutine<> outside_cancel_wins(bool& got_cancelled) {
  auto waiter = []() -> Coroutine<int> { co_return co_await wait_for(forever(), 1h); };
  Task<int> task = create_task(waiter());
  co_await sleep(1ms);
  task.cancel();
  try {
    co_await task;
  } catch (const CancelledError&) {
    got_cancelled = true;
  }
}

TEST(AsyncioWaitTest, AIO_37_ACancellationFromOutsideStaysACancellation) {
  bool got_cancelled = false;
  run(outside_cancel_wins(got_cancelled));
  EXPECT_TRUE(got_cancelled);
}

Coroutine<> shield_cases(std::vector<std::string>& log) {
  Event go;  // the inner task finishes only after the outer one was cancelled
  std::vector<int> finished;
  Task<int> inner = create_task(value_when_set(9, go, finished));
  auto shielded = [](Task<int> t) -> Coroutine<int> { co_return co_await shield(t); };
  Task<int> outer = create_task(shielded(inner));
  co_await sleep(1ms);
  outer.cancel();
  try {
    co_await outer;
  } catch (const CancelledError&) {
    log.push_back("outer cancelled");
  }
  go.set();
  log.push_back("inner result " + std::to_string(co_await inner));
  EXPECT_EQ(co_await shield(value_after(3, 0ms)), 3);
}

TEST(AsyncioWaitTest, AIO_38_ShieldKeepsTheInnerTaskRunningWhenTheAwaiterIsCancelled) {
  std::vector<std::string> log;
  run(shield_cases(log));
  EXPECT_EQ(log, (std::vector<std::string>{"outer cancelled", "inner result 9"}));
}

Coroutine<std::vector<int>> completion_order() {
  std::vector<Task<int>> tasks{create_task(value_after(30, 6ms)), create_task(value_after(10, 1ms)),
                               create_task(value_after(20, 3ms))};
  std::vector<int> order;
  for (auto next : as_completed(tasks))
    order.push_back(co_await next);
  std::vector<Task<int>> slow{create_task(forever()), create_task(value_after(1, 0ms))};
  auto timed = as_completed(slow, 5ms);
  int yielded = 0;
  try {
    for (auto next : timed) {
      order.push_back(co_await next);
      ++yielded;
    }
  } catch (const TimeoutError&) {
    order.push_back(-1);
  }
  EXPECT_EQ(yielded, 1);
  co_return order;
}

TEST(AsyncioWaitTest, AIO_39_AsCompletedYieldsInCompletionOrderThenTimesOut) {
  EXPECT_EQ(run(completion_order()), (std::vector<int>{10, 20, 30, 1, -1}));
}

Coroutine<> group_success(std::vector<int>& results) {
  TaskGroup group;
  auto a = group.create_task(value_after(1, 2ms));
  auto b = group.create_task(value_after(2, 1ms));
  co_await group.join();
  results = {a.result(), b.result()};
  EXPECT_THROW(group.create_task(value_after(3, 0ms)), RuntimeError);
}

Coroutine<std::size_t> group_failure(bool& sibling_cancelled) {
  TaskGroup group;
  auto sibling = group.create_task(forever());
  group.create_task(fail_after(1ms));
  group.create_task(fail_after(1ms));
  std::size_t failures = 0;
  try {
    co_await group.join();
  } catch (const ExceptionGroup& e) {
    failures = e.exceptions().size();
    EXPECT_NE(std::string(e.what()).find("unhandled errors in a TaskGroup"), std::string::npos);
  }
  sibling_cancelled = sibling.cancelled();
  co_return failures;
}

Coroutine<> group_dropped(bool& cancelled) {
  Task<int> member;
  {
    TaskGroup group;
    member = group.create_task(forever());
  }  // never joined
  co_await sleep(0s);
  cancelled = member.cancelled();
}

TEST(AsyncioTaskGroupTest, AIO_40_JoinWaitsForEveryTaskAndAFailureCancelsTheRest) {
  std::vector<int> results;
  run(group_success(results));
  EXPECT_EQ(results, (std::vector<int>{1, 2}));
  bool sibling_cancelled = false;
  EXPECT_EQ(run(group_failure(sibling_cancelled)), 2u);
  EXPECT_TRUE(sibling_cancelled);
  bool cancelled = false;
  run(group_dropped(cancelled));
  EXPECT_TRUE(cancelled);
}

}  // namespace
}  // namespace concur::asyncio
