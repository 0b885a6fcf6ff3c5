// concur/asyncio.hpp - Python's asyncio on C++20 coroutines: one thread,
// many coroutines, an event loop on epoll (namespace concur::asyncio).
//
//   concur::asyncio::Coroutine<int> answer() {
//     co_await concur::asyncio::sleep(10ms);
//     co_return 42;
//   }
//   int main() { std::printf("%d\n", concur::asyncio::run(answer())); }
//
// The pieces, one header each under concur/asyncio/: Coroutine (coroutine.hpp),
// the EventLoop and its Handles (event_loop.hpp, handle.hpp), Task and
// AnyTask (task.hpp), sleep (sleep.hpp), run (run.hpp), gather
// (gather.hpp), wait, wait_for, shield and as_completed (wait.hpp),
// TaskGroup (task_group.hpp), co_await on a concur::Future and
// run_in_executor (future_bridge.hpp), Lock, Event, Condition, Semaphore
// and BoundedSemaphore (locks.hpp), Queue, LifoQueue and PriorityQueue
// (queues.hpp), and the exception handler (exception_handler.hpp).
#pragma once

#include "concur/asyncio/coroutine.hpp"
#include "concur/asyncio/event_loop.hpp"
#include "concur/asyncio/exception_handler.hpp"
#include "concur/asyncio/future_bridge.hpp"
#include "concur/asyncio/gather.hpp"
#include "concur/asyncio/handle.hpp"
#include "concur/asyncio/locks.hpp"
#include "concur/asyncio/queues.hpp"
#include "concur/asyncio/run.hpp"
#include "concur/asyncio/sleep.hpp"
#include "concur/asyncio/task.hpp"
#include "concur/asyncio/task_group.hpp"
#include "concur/asyncio/wait.hpp"
