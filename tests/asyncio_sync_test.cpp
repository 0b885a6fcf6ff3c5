// asyncio: the coroutine-aware locks and queues, and the bridge to
// concur::Future and the executors (docs/spec.md section AIO), from
// Lib/test/test_asyncio/test_locks.py, test_queues.py and
// test_futures.py. Order is checked, never time.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/asyncio.hpp"
#include "concur/errors.hpp"
#include "concur/future.hpp"
#include "concur/process_pool_executor.hpp"
#include "concur/thread_pool_executor.hpp"

namespace concur::asyncio {
namespace {

using namespace std::chrono_literals;

Coroutine<> hold_lock(Lock& lock, int id, std::vector<int>& order) {
  co_await lock.acquire();
  order.push_back(id);
  co_await sleep(0s);
  lock.release();
}

Coroutine<> lock_cases(std::vector<int>& order) {
  Lock lock;
  EXPECT_FALSE(lock.locked());
  std::vector<Task<>> tasks;
  for (int i = 0; i < 4; ++i)
    tasks.push_back(create_task(hold_lock(lock, i, order)));
  for (auto& task : tasks)
    co_await task;
  EXPECT_FALSE(lock.locked());
  EXPECT_THROW(lock.release(), RuntimeError);
  // A cancelled waiter leaves the queue; the next one still gets the lock.
  co_await lock.acquire();
  Task<> waiter = create_task(hold_lock(lock, 10, order));
  Task<> next = create_task(hold_lock(lock, 11, order));
  co_await sleep(0s);
  waiter.cancel();
  co_await sleep(0s);
  lock.release();
  co_await next;
  EXPECT_TRUE(waiter.cancelled());
}

TEST(AsyncioSyncTest, AIO_50_LockServesWaitersInOrderAndACancelledWaiterPassesItsTurn) {
  std::vector<int> order;
  run(lock_cases(order));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 11}));
}

Coroutine<> event_cases(int& woken) {
  Event event;
  auto waiter = [](Event& e, int& count) -> Coroutine<> {
    EXPECT_TRUE(co_await e.wait());
    ++count;
  };
  std::vector<Task<>> tasks;
  for (int i = 0; i < 3; ++i)
    tasks.push_back(create_task(waiter(event, woken)));
  co_await sleep(0s);
  EXPECT_EQ(woken, 0);
  event.set();
  event.clear();  // a set then a clear still wakes everyone who waited
  for (auto& task : tasks)
    co_await task;
  EXPECT_FALSE(event.is_set());
  event.set();
  EXPECT_TRUE(co_await event.wait());  // set: at once
}

TEST(AsyncioSyncTest, AIO_51_EventWakesEveryWaiter) {
  int woken = 0;
  run(event_cases(woken));
  EXPECT_EQ(woken, 3);
}

Coroutine<> condition_cases(std::vector<std::string>& log) {
  Condition condition;
  int items = 0;
  auto consumer = [](Condition& c, int& stock, std::vector<std::string>& out,
                     int id) -> Coroutine<> {
    co_await c.acquire();
    co_await c.wait_for([&] { return stock > 0; });
    --stock;
    out.push_back("consumer " + std::to_string(id));
    c.release();
  };
  std::vector<Task<>> consumers;
  for (int i = 0; i < 2; ++i)
    consumers.push_back(create_task(consumer(condition, items, log, i)));
  co_await sleep(0s);
  EXPECT_THROW(condition.notify(), RuntimeError);  // not held
  co_await condition.acquire();
  items = 2;
  condition.notify_all();
  condition.release();
  for (auto& task : consumers)
    co_await task;
  bool refused = false;
  try {
    co_await condition.wait();  // the lock is not held
  } catch (const RuntimeError&) {
    refused = true;
  }
  EXPECT_TRUE(refused);
  // A cancelled wait takes the lock back before CancelledError comes out.
  auto cancelled_waiter = [](Condition& c, std::vector<std::string>& out) -> Coroutine<> {
    co_await c.acquire();
    bool was_cancelled = false;
    try {
      co_await c.wait();
    } catch (const CancelledError&) {
      was_cancelled = true;
    }
    if (was_cancelled && c.locked()) out.push_back("cancelled, lock held");
    c.release();
  };
  Task<> waiter = create_task(cancelled_waiter(condition, log));
  co_await sleep(0s);
  waiter.cancel();
  co_await waiter;
}

TEST(AsyncioSyncTest, AIO_52_ConditionWaitsReleasingTheLockAndTakesItBack) {
  std::vector<std::string> log;
  run(condition_cases(log));
  EXPECT_EQ(log, (std::vector<std::string>{"consumer 0", "consumer 1", "cancelled, lock held"}));
}

Coroutine<> semaphore_cases(int& most_inside) {
  Semaphore semaphore(2);
  int inside = 0;
  auto worker = [](Semaphore& s, int& now, int& most) -> Coroutine<> {
    co_await s.acquire();
    ++now;
    most = std::max(most, now);
    co_await sleep(1ms);
    --now;
    s.release();
  };
  std::vector<Task<>> tasks;
  for (int i = 0; i < 6; ++i)
    tasks.push_back(create_task(worker(semaphore, inside, most_inside)));
  for (auto& task : tasks)
    co_await task;
  EXPECT_FALSE(semaphore.locked());
  EXPECT_THROW(Semaphore(-1), ValueError);
  BoundedSemaphore bounded(1);
  co_await bounded.acquire();
  EXPECT_TRUE(bounded.locked());
  bounded.release();
  try {
    bounded.release();
    ADD_FAILURE() << "an over-release did not throw";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "BoundedSemaphore released too many times");
  }
}

TEST(AsyncioSyncTest, AIO_53_SemaphoreLetsValueTasksInAndBoundedSemaphoreRefusesAnOverRelease) {
  int most_inside = 0;
  run(semaphore_cases(most_inside));
  EXPECT_EQ(most_inside, 2);
}

Coroutine<> queue_cases(std::vector<int>& got) {
  Queue<int> queue(2);
  auto producer = [](Queue<int>& q) -> Coroutine<> {
    for (int i = 0; i < 5; ++i)
      co_await q.put(i);  // waits while full
  };
  Task<> producing = create_task(producer(queue));
  for (int i = 0; i < 5; ++i) {
    got.push_back(co_await queue.get());
    queue.task_done();
  }
  co_await producing;
  co_await queue.join();
  EXPECT_THROW(queue.get_nowait(), QueueEmpty);
  queue.put_nowait(1);
  queue.put_nowait(2);
  EXPECT_THROW(queue.put_nowait(3), QueueFull);
  queue.task_done();
  queue.task_done();
  EXPECT_THROW(queue.task_done(), ValueError);  // more than were put
  LifoQueue<int> lifo;
  lifo.put_nowait(1);
  lifo.put_nowait(2);
  got.push_back(lifo.get_nowait());
  PriorityQueue<int> priority;
  for (int x : {5, 1, 3})
    priority.put_nowait(x);
  got.push_back(priority.get_nowait());
}

TEST(AsyncioQueueTest, AIO_54_QueuesGiveItemsInTheirOrderAndWaitWhileFullOrEmpty) {
  std::vector<int> got;
  run(queue_cases(got));
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 2, 1}));
}

Coroutine<> shutdown_cases(std::vector<std::string>& log) {
  Queue<int> queue(1);
  queue.put_nowait(7);
  auto getter = [](Queue<int>& q, std::vector<std::string>& out) -> Coroutine<> {
    try {
      for (;;)
        out.push_back("got " + std::to_string(co_await q.get()));
    } catch (const QueueShutDown&) {
      out.push_back("getter shut down");
    }
  };
  auto putter = [](Queue<int>& q, std::vector<std::string>& out) -> Coroutine<> {
    try {
      co_await q.put(8);
      co_await q.put(9);  // full: waits
    } catch (const QueueShutDown&) {
      out.push_back("putter shut down");
    }
  };
  Task<> putting = create_task(putter(queue, log));
  co_await sleep(0s);
  queue.shutdown();
  co_await putting;
  Task<> getting = create_task(getter(queue, log));
  co_await getting;  // drains what is left, then QueueShutDown
  EXPECT_THROW(queue.put_nowait(1), QueueShutDown);
  Queue<int> immediate;
  immediate.put_nowait(1);
  immediate.shutdown(true);
  EXPECT_EQ(immediate.qsize(), 0u);
  EXPECT_THROW(immediate.get_nowait(), QueueShutDown);
  co_await immediate.join();  // the dropped item no longer counts
}

TEST(AsyncioQueueTest, AIO_55_ShutdownWakesPuttersAndGettersWithQueueShutDown) {
  std::vector<std::string> log;
  run(shutdown_cases(log));
  EXPECT_EQ(log, (std::vector<std::string>{"putter shut down", "got 7", "getter shut down"}));
}

int square(int x) {
  return x * x;
}

Coroutine<int> await_pools(ThreadPoolExecutor& pool) {
  int total = co_await pool.submit(square, 3);                               // 9
  total += co_await get_running_loop().run_in_executor(pool, square, 4);     // 16
  total += co_await get_running_loop().run_in_executor(nullptr, square, 5);  // 25
  Promise<int> promise;
  std::thread completer([&promise] {
    std::this_thread::sleep_for(2ms);
    if (promise.set_running_or_notify_cancel()) promise.set_result(100);
  });
  total += co_await promise.future();  // completed in another thread
  completer.join();
  Task<int> wrapped = wrap_future(pool.submit(square, 1));
  total += co_await wrapped;
  try {
    co_await pool.submit([]() -> int { throw std::out_of_range("from the pool"); });
  } catch (const std::out_of_range&) {
    total += 1000;
  }
  co_return total;
}

TEST(AsyncioBridgeTest, AIO_60_CoAwaitOnAnyConcurFutureAndRunInExecutor) {
  ThreadPoolExecutor pool(2);
  EXPECT_EQ(run(await_pools(pool)), 9 + 16 + 25 + 100 + 1 + 1000);
}

Coroutine<bool> cancel_a_bridge(ThreadPoolExecutor& pool, Promise<int>& gate) {
  Future<int> never = gate.future();
  auto awaiting = [](Future<int> f) -> Coroutine<int> { co_return co_await f; };
  Task<int> task = create_task(awaiting(never));
  co_await sleep(1ms);
  task.cancel();
  try {
    co_await task;
  } catch (const CancelledError&) {
  }
  (void)pool;
  co_return never.cancelled();
}

TEST(AsyncioBridgeTest, AIO_61_CancellingTheAwaiterCancelsTheFutureIfItCan) {
  ThreadPoolExecutor pool(1);
  Promise<int> gate;
  EXPECT_TRUE(run(cancel_a_bridge(pool, gate)));
}

TEST(AsyncioBridgeTest, AIO_61_AFutureFinishingAfterItsLoopIsGoneIsDropped) {
  Promise<int> late;
  {
    EventLoop loop;
    auto awaiting = [](Future<int> f) -> Coroutine<int> { co_return co_await f; };
    loop.create_task(awaiting(late.future()));
    loop.call_later(1ms, [&] { loop.stop(); });
    loop.run_forever();
  }
  ASSERT_TRUE(late.set_running_or_notify_cancel());
  late.set_result(1);  // its callback posts to a closed inbox: nothing happens
  SUCCEED();
}

int process_square(int x) {
  return x * x;
}

TEST(AsyncioBridgeTest, AIO_62_RunInExecutorTakesAProcessPoolToo) {
  ProcessPoolExecutor pool(ProcessPoolOptions{.max_workers = 1, .start_method = StartMethod::fork});
  const int result = run([](ProcessPoolExecutor& p) -> Coroutine<int> {
    co_return co_await get_running_loop().run_in_executor(p, process_square, 12);
  }(pool));
  EXPECT_EQ(result, 144);
}

}  // namespace
}  // namespace concur::asyncio
