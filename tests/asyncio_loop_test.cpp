// asyncio: the loop, coroutines and tasks (docs/spec.md section AIO), from
// Python's documentation and Lib/test/test_asyncio/test_base_events.py and
// test_tasks.py. No test depends on how long anything takes: sleeps are
// short and only order is checked.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/asyncio.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio {
namespace {

using namespace std::chrono_literals;

Coroutine<int> add_later(int x, int y) {
  co_await sleep(1ms);
  co_return x + y;
}

Coroutine<int> fail_later(std::string message) {
  co_await sleep(0s);
  throw std::invalid_argument(message);
}

// Reports handed to the exception handler, for the tests that expect one.
struct CapturedReports {
  static inline std::vector<std::string> messages;
  static inline std::vector<std::string> tasks;
  static void handler(const ExceptionContext& context) noexcept {
    messages.push_back(context.message);
    tasks.push_back(context.task);
  }
  CapturedReports() {
    messages.clear();
    tasks.clear();
    previous = set_exception_handler(&handler);
  }
  ~CapturedReports() { set_exception_handler(previous); }
  ExceptionHandler previous;
};

TEST(AsyncioLoopTest, AIO_01_RunReturnsTheResultOrRethrows) {
  EXPECT_EQ(run(add_later(2, 3)), 5);
  EXPECT_THROW(run(fail_later("bad")), std::invalid_argument);
}

Coroutine<int> outer_sum(std::vector<std::string>& log) {
  log.push_back("outer starts");
  const int sum = co_await add_later(1, 2);
  log.push_back("inner returned " + std::to_string(sum));
  try {
    co_await fail_later("inner failed");
  } catch (const std::invalid_argument& e) {
    log.push_back(e.what());
  }
  co_return sum * 10;
}

TEST(AsyncioLoopTest, AIO_02_AnAwaitedCoroutineRunsInTheTaskAndHandsBackItsOutcome) {
  std::vector<std::string> log;
  EXPECT_EQ(run(outer_sum(log)), 30);
  EXPECT_EQ(log, (std::vector<std::string>{"outer starts", "inner returned 3", "inner failed"}));
}

Coroutine<> sleeper(int id, std::vector<std::string>& log) {
  log.push_back("start " + std::to_string(id));
  co_await sleep(5ms);
  log.push_back("end " + std::to_string(id));
}

Coroutine<> ten_sleepers(std::vector<std::string>& log) {
  std::vector<Task<>> tasks;
  for (int i = 0; i < 10; ++i)
    tasks.push_back(create_task(sleeper(i, log)));
  for (auto& task : tasks)
    co_await task;
}

TEST(AsyncioLoopTest, AIO_03_SleepingTasksWaitTogetherOnOneThread) {
  std::vector<std::string> log;
  run(ten_sleepers(log));
  ASSERT_EQ(log.size(), 20u);
  // Every task started before any finished: they slept at the same time.
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(log[i], "start " + std::to_string(i));
  for (int i = 10; i < 20; ++i)
    EXPECT_EQ(log[i].substr(0, 4), "end ");
}

TEST(AsyncioLoopTest, AIO_04_CallSoonRunsInFifoOrderAndWhatItSchedulesWaitsAnIteration) {
  EventLoop loop;
  std::vector<int> order;
  loop.call_soon([&] {
    order.push_back(1);
    loop.call_soon([&] { order.push_back(4); });
  });
  loop.call_soon([&] { order.push_back(2); });
  loop.call_soon([&] {
    order.push_back(3);
    loop.stop();  // this iteration finishes; the callback it queued waits
  });
  loop.run_forever();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  loop.call_soon([&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(AsyncioLoopTest, AIO_05_TimersRunInDeadlineOrderAndACancelledOneNever) {
  EventLoop loop;
  std::vector<int> order;
  const auto now = loop.time();
  TimerHandle third = loop.call_at(now + 3ms, [&] { order.push_back(3); });
  loop.call_later(1ms, [&] { order.push_back(1); });
  TimerHandle cancelled = loop.call_later(2ms, [&] { order.push_back(99); });
  loop.call_later(2ms, [&] { order.push_back(2); });
  loop.call_later(-5s, [&] { order.push_back(0); });  // past: due at once
  loop.call_at(now + 4ms, [&] { loop.stop(); });
  cancelled.cancel();
  cancelled.cancel();  // idempotent
  EXPECT_TRUE(cancelled.cancelled());
  EXPECT_EQ(third.when(), now + 3ms);
  loop.run_forever();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(AsyncioLoopTest, AIO_05_ManyCancelledTimersArePurgedAndTheRestStillRun) {
  EventLoop loop;
  int ran = 0;
  std::vector<TimerHandle> timers;
  for (int i = 0; i < 1000; ++i)
    timers.push_back(loop.call_later(1ms, [&] { ++ran; }));
  for (int i = 0; i < 1000; i += 2)
    timers[i].cancel();
  loop.call_later(std::chrono::hours::max(), [&] { ++ran; });  // never due
  loop.call_later(2ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(ran, 500);
}

TEST(AsyncioLoopTest, AIO_06_StopBeforeRunForeverRunsOneIteration) {
  EventLoop loop;
  int ran = 0;
  loop.call_soon([&] { ++ran; });
  loop.stop();
  loop.run_forever();
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(loop.is_running());
}

TEST(AsyncioLoopTest, AIO_07_CloseRefusesARunningLoopIsIdempotentAndDropsWhatIsQueued) {
  EventLoop loop;
  bool ran = false;
  loop.call_soon([&] {
    try {
      loop.close();
      ADD_FAILURE() << "close() of a running loop did not throw";
    } catch (const RuntimeError& e) {
      EXPECT_STREQ(e.what(), "Cannot close a running event loop");
    }
    loop.stop();
  });
  loop.run_forever();
  loop.call_soon([&] { ran = true; });
  loop.call_later(1ms, [&] { ran = true; });
  loop.close();
  loop.close();
  EXPECT_TRUE(loop.is_closed());
  EXPECT_FALSE(ran);
  try {
    loop.call_soon([] {});
    FAIL() << "call_soon on a closed loop did not throw";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Event loop is closed");
  }
  EXPECT_THROW(loop.run_until_complete(add_later(1, 1)), RuntimeError);
  EXPECT_THROW(loop.run_forever(), RuntimeError);
}

Coroutine<> run_inside(EventLoop& loop, std::string& error) {
  try {
    loop.run_until_complete(add_later(1, 1));
  } catch (const RuntimeError& e) {
    error = e.what();
  }
  co_return;
}

Coroutine<> run_another(std::string& error) {
  EventLoop other;
  try {
    other.run_forever();
  } catch (const RuntimeError& e) {
    error = e.what();
  }
  co_return;
}

TEST(AsyncioLoopTest, AIO_08_ALoopRunsOnceAtATimeAndOneLoopPerThread) {
  EventLoop loop;
  std::string same;
  loop.run_until_complete(run_inside(loop, same));
  EXPECT_EQ(same, "This event loop is already running");
  std::string other;
  loop.run_until_complete(run_another(other));
  EXPECT_EQ(other, "Cannot run the event loop while another loop is running");
}

TEST(AsyncioLoopTest, AIO_09_GetRunningLoopOutsideALoopThrows) {
  try {
    get_running_loop();
    FAIL() << "get_running_loop() outside a loop did not throw";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "no running event loop");
  }
  EXPECT_THROW(create_task(add_later(1, 2)), RuntimeError);
  EventLoop loop;
  EventLoop* seen = nullptr;
  loop.call_soon([&] {
    seen = &get_running_loop();
    loop.stop();
  });
  loop.run_forever();
  EXPECT_EQ(seen, &loop);
}

TEST(AsyncioLoopTest, AIO_10_ATaskStartsOnTheNextIterationAndHoldsItsResult) {
  EventLoop loop;
  bool started = false;
  auto body = [](bool& flag) -> Coroutine<int> {
    flag = true;
    co_return 7;
  };
  Task<int> task = loop.create_task(body(started), "answer");
  EXPECT_FALSE(started);  // not before the loop runs
  EXPECT_EQ(task.get_name(), "answer");
  try {
    task.result();
    FAIL() << "result() of a pending task did not throw";
  } catch (const InvalidStateError& e) {
    EXPECT_STREQ(e.what(), "Result is not set.");
  }
  EXPECT_THROW(task.exception(), InvalidStateError);
  EXPECT_EQ(loop.run_until_complete(task), 7);
  EXPECT_TRUE(started);
  EXPECT_TRUE(task.done());
  EXPECT_EQ(task.result(), 7);
  EXPECT_EQ(task.exception(), nullptr);
  Task<int> unnamed = loop.create_task(add_later(0, 0));
  EXPECT_EQ(unnamed.get_name().rfind("Task-", 0), 0u);
  loop.run_until_complete(unnamed);
}

Coroutine<> cancel_while_sleeping(std::vector<std::string>& log) {
  auto victim = [](std::vector<std::string>& out) -> Coroutine<int> {
    try {
      co_await sleep(std::chrono::hours(1));
    } catch (const CancelledError&) {
      out.push_back("victim saw CancelledError");
      throw;
    }
    co_return 1;
  };
  Task<int> task = create_task(victim(log));
  co_await sleep(0s);  // let it reach its sleep
  EXPECT_TRUE(task.cancel());
  EXPECT_EQ(task.cancelling(), 1);
  try {
    co_await task;
  } catch (const CancelledError&) {
    log.push_back("awaiter saw CancelledError");
  }
  EXPECT_TRUE(task.cancelled());
  EXPECT_FALSE(task.cancel());  // done
  EXPECT_THROW(task.result(), CancelledError);
  EXPECT_THROW(task.exception(), CancelledError);
}

TEST(AsyncioLoopTest, AIO_11_CancelDeliversCancelledErrorAtTheTasksAwait) {
  std::vector<std::string> log;
  run(cancel_while_sleeping(log));
  EXPECT_EQ(log,
            (std::vector<std::string>{"victim saw CancelledError", "awaiter saw CancelledError"}));
}

Coroutine<int> survive_cancellation() {
  AnyTask self = current_task();
  int caught = 0;
  for (int round = 0; round < 2; ++round) {
    try {
      co_await sleep(std::chrono::hours(1));
    } catch (const CancelledError&) {
      ++caught;
      EXPECT_EQ(self.cancelling(), round + 1);
    }
  }
  EXPECT_EQ(self.uncancel(), 1);
  EXPECT_EQ(self.uncancel(), 0);
  EXPECT_EQ(self.uncancel(), 0);  // never below zero
  co_return caught;
}

Coroutine<int> cancel_twice() {
  Task<int> task = create_task(survive_cancellation());
  for (int i = 0; i < 2; ++i) {
    co_await sleep(0s);
    co_await sleep(0s);
    task.cancel();
  }
  co_return co_await task;
}

TEST(AsyncioLoopTest, AIO_12_ACancellationMayBeCaughtAndCancellingCountsTheRequests) {
  EXPECT_EQ(run(cancel_twice()), 2);
}

Coroutine<int> sleep_an_hour() {
  co_await sleep(std::chrono::hours(1));
  co_return 1;
}

Coroutine<> cancel_the_awaiter(bool& inner_cancelled) {
  Task<int> inner = create_task(sleep_an_hour());
  auto awaiting = [](Task<int> t) -> Coroutine<int> { co_return co_await t; };
  Task<int> outer = create_task(awaiting(inner));
  co_await sleep(0s);
  co_await sleep(0s);
  outer.cancel();
  try {
    co_await outer;
  } catch (const CancelledError&) {
  }
  inner_cancelled = inner.cancelled();
}

TEST(AsyncioLoopTest, AIO_13_CancellingATaskCancelsTheTaskItAwaits) {
  bool inner_cancelled = false;
  run(cancel_the_awaiter(inner_cancelled));
  EXPECT_TRUE(inner_cancelled);
}

TEST(AsyncioLoopTest, AIO_14_ATaskCancelledBeforeItStartsNeverRuns) {
  EventLoop loop;
  bool ran = false;
  auto body = [](bool& flag) -> Coroutine<> {
    flag = true;
    co_return;
  };
  Task<> task = loop.create_task(body(ran));
  EXPECT_TRUE(task.cancel());
  EXPECT_THROW(loop.run_until_complete(task), CancelledError);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(task.cancelled());
}

Coroutine<> fire_and_forget(std::vector<int>& steps) {
  auto worker = [](std::vector<int>& out) -> Coroutine<> {
    for (int i = 0; i < 3; ++i) {
      co_await sleep(1ms);
      out.push_back(i);
    }
  };
  create_task(worker(steps));  // no handle kept
  co_await sleep(20ms);
  while (steps.size() < 3)
    co_await sleep(1ms);
}

TEST(AsyncioLoopTest, AIO_15_TheLoopOwnsATaskNobodyHolds) {
  std::vector<int> steps;
  run(fire_and_forget(steps));
  EXPECT_EQ(steps, (std::vector<int>{0, 1, 2}));
}

TEST(AsyncioLoopTest, AIO_16_AnExceptionNobodyRetrievedIsReportedWhenTheTaskGoes) {
  CapturedReports reports;
  {
    EventLoop loop;
    loop.create_task(fail_later("lost"), "forgotten");  // handle dropped at once
    Task<int> kept = loop.create_task(fail_later("seen"), "kept");
    // Both take the same steps; the forgotten one, made first, ends first.
    EXPECT_THROW(loop.run_until_complete(kept), std::invalid_argument);
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_EQ(reports.messages[0], "Task exception was never retrieved");
    EXPECT_EQ(reports.tasks[0], "forgotten");
  }
  EXPECT_EQ(reports.messages.size(), 1u);  // the kept one was retrieved
}

TEST(AsyncioLoopTest, AIO_17_DoneCallbacksRunOnTheLoopAfterTheTaskEnds) {
  EventLoop loop;
  std::vector<std::string> log;
  Task<int> task = loop.create_task(add_later(20, 22));
  task.add_done_callback(
      [&](const Task<int>& t) { log.push_back("first " + std::to_string(t.result())); });
  task.add_done_callback([&](const Task<int>&) { log.push_back("second"); });
  loop.run_until_complete(task);
  loop.call_soon([&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(log, (std::vector<std::string>{"first 42", "second"}));
  // On a done task: scheduled, not run at once.
  task.add_done_callback([&](const Task<int>&) { log.push_back("late"); });
  EXPECT_EQ(log.size(), 2u);
  loop.call_soon([&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(log.back(), "late");
}

Coroutine<std::size_t> count_tasks(std::string& name) {
  auto idle = []() -> Coroutine<> { co_await sleep(2ms); };
  Task<> a = create_task(idle());
  Task<> b = create_task(idle());
  name = current_task().get_name();
  const std::size_t seen = all_tasks().size();  // a, b and this one
  co_await a;
  co_await b;
  co_return seen;
}

TEST(AsyncioLoopTest, AIO_18_CurrentTaskAndAllTasks) {
  EXPECT_FALSE(current_task().valid());
  EventLoop loop;
  std::string name;
  Task<std::size_t> main = loop.create_task(count_tasks(name), "main");
  EXPECT_EQ(loop.run_until_complete(main), 3u);
  EXPECT_EQ(name, "main");
  EXPECT_TRUE(all_tasks(loop).empty());
}

TEST(AsyncioLoopTest, AIO_19_ReadersAndWritersRunWhileTheirDescriptorIsReady) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  EventLoop loop;
  std::string received;
  int writes = 0;
  loop.add_writer(fds[1], [&] {
    const char* text = writes == 0 ? "ab" : "c";
    ASSERT_GT(::write(fds[1], text, std::string(text).size()), 0);
    if (++writes == 2) {
      EXPECT_TRUE(loop.remove_writer(fds[1]));
    }
  });
  loop.add_reader(fds[0], [&] {
    char buffer[16];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
    if (received.size() == 3) {
      EXPECT_TRUE(loop.remove_reader(fds[0]));
      loop.stop();
    }
  });
  loop.run_forever();
  EXPECT_EQ(received, "abc");
  EXPECT_FALSE(loop.remove_reader(fds[0]));
  EXPECT_FALSE(loop.remove_writer(fds[1]));
  EXPECT_THROW(loop.add_reader(-1, [] {}), ValueError);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(AsyncioLoopTest, AIO_20_CallSoonThreadsafeWakesASleepingLoopFromAnyThread) {
  EventLoop loop;
  std::atomic<int> ran{0};
  std::thread poster([&] {
    std::this_thread::sleep_for(5ms);  // the loop is asleep in epoll_wait by now
    for (int i = 0; i < 100; ++i)
      loop.call_soon_threadsafe([&] { ++ran; });
    loop.call_soon_threadsafe([&] { loop.stop(); });
  });
  loop.run_forever();  // nothing else would ever wake it
  poster.join();
  EXPECT_EQ(ran.load(), 100);
  loop.close();
  EXPECT_THROW(loop.call_soon_threadsafe([] {}), RuntimeError);
}

struct ForeignAwaitable {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};

Coroutine<> bad_yield() {
  co_await ForeignAwaitable{};
}

TEST(AsyncioLoopTest, AIO_21_SuspendingOnAForeignAwaitableFailsTheTask) {
  EventLoop loop;
  try {
    loop.run_until_complete(bad_yield());
    FAIL() << "a bad yield did not fail the task";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("got bad yield"), std::string::npos) << e.what();
  }
}

Coroutine<> block_the_loop() {
  std::this_thread::sleep_for(30ms);  // a blocking call inside a coroutine
  co_return;
}

TEST(AsyncioLoopTest, AIO_22_DebugModeNamesASlowStep) {
  CapturedReports reports;
  EventLoop loop;
  loop.set_debug(true);
  loop.set_slow_callback_duration(10ms);
  EXPECT_TRUE(loop.get_debug());
  loop.run_until_complete(loop.create_task(block_the_loop(), "blocker"));
  ASSERT_FALSE(reports.messages.empty());
  EXPECT_EQ(reports.messages[0].rfind("Executing blocker took ", 0), 0u) << reports.messages[0];
}

Coroutine<> leave_tasks_behind(std::vector<std::string>& log) {
  auto stubborn = [](std::vector<std::string>& out) -> Coroutine<> {
    bool cancelled = false;
    try {
      co_await sleep(std::chrono::hours(1));
    } catch (const CancelledError&) {
      cancelled = true;
      out.push_back("cancelled at shutdown");
    }
    if (cancelled) {
      co_await sleep(1ms);  // finishing its cancellation takes a while
      out.push_back("finished cancelling");
      throw CancelledError("cancelled");
    }
  };
  create_task(stubborn(log));
  create_task(stubborn(log));
  co_await sleep(0s);
}

Coroutine<> run_nested(std::string& error) {
  try {
    run(add_later(1, 1));
  } catch (const RuntimeError& e) {
    error = e.what();
  }
  co_return;
}

TEST(AsyncioLoopTest, AIO_23_RunCancelsWhatIsLeftAndWaitsForItToFinish) {
  std::vector<std::string> log;
  run(leave_tasks_behind(log));
  EXPECT_EQ(log, (std::vector<std::string>{"cancelled at shutdown", "cancelled at shutdown",
                                           "finished cancelling", "finished cancelling"}));
  std::string nested;
  run(run_nested(nested));
  EXPECT_EQ(nested, "asyncio.run() cannot be called from a running event loop");
}

TEST(AsyncioLoopTest, AIO_24_AwaitingATaskOfAnotherLoopThrows) {
  EventLoop first;
  Task<int> foreign = first.create_task(add_later(1, 2));
  EventLoop second;
  auto awaiting = [](Task<int> t) -> Coroutine<int> { co_return co_await t; };
  EXPECT_THROW(second.run_until_complete(awaiting(foreign)), RuntimeError);
  EXPECT_THROW(second.run_until_complete(foreign), ValueError);
  EXPECT_EQ(first.run_until_complete(foreign), 3);
}

TEST(AsyncioLoopTest, AIO_25_DestroyingALoopDestroysTheFramesOfUnfinishedTasks) {
  auto guard = std::make_shared<int>(1);
  std::weak_ptr<int> watch = guard;
  Task<> held;
  {
    EventLoop loop;
    auto holder = [](std::shared_ptr<int> kept) -> Coroutine<> {
      co_await sleep(std::chrono::hours(1));
      (void)kept;
    };
    held = loop.create_task(holder(std::move(guard)));
    loop.call_later(1ms, [&] { loop.stop(); });
    loop.run_forever();
    EXPECT_FALSE(watch.expired());  // suspended in its sleep, holding it
  }
  EXPECT_TRUE(watch.expired());  // the frame went with the loop
  EXPECT_TRUE(held.done());
  EXPECT_THROW(held.add_done_callback([](const Task<>&) {}), RuntimeError);
}

}  // namespace
}  // namespace concur::asyncio
