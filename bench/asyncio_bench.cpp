// concur::asyncio beside Boost.Asio's C++20 coroutines (co_spawn +
// awaitable, Boost 1.74), the same workloads as bench/compare_asyncio.py
// runs on CPython's asyncio and on uvloop:
//   (1) create, run and await 10^5 tasks that each sleep(0) once
//   (2) call_soon dispatch of 10^6 callbacks
//   (3) 10^5 timers with random delays (up to 1 ms), half of them cancelled
//   (4) gather of 10^5 coroutines
//   (5) round trip of co_await pool.submit(f) on a 2-worker
//       ThreadPoolExecutor, beside the pool's own result() round trip
// items_per_second is tasks, callbacks, timers or coroutines per second.
// MemoryPerSuspendedTask reports bytes per task (frame included) as
// measured by the allocator, beside a thread's default stack. The Asio
// cases need Asio's co_await support, which Boost 1.74 finds with GCC but
// not with Clang 14: under Clang only concur's cases are built.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <pthread.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <random>
#include <thread>
#include <vector>

#include "concur/asyncio.hpp"
#include "concur/thread_pool_executor.hpp"

namespace {

namespace aio = concur::asyncio;
namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr std::size_t kTasks = 100'000;
constexpr std::size_t kCallbacks = 1'000'000;
constexpr std::size_t kTimers = 100'000;

// Random delays up to 1 ms, the same for every engine (seeded).
std::vector<std::chrono::microseconds> timer_delays() {
  std::mt19937 random(42);
  std::uniform_int_distribution<int> micros(0, 1000);
  std::vector<std::chrono::microseconds> delays(kTimers);
  for (auto& delay : delays)
    delay = std::chrono::microseconds(micros(random));
  return delays;
}

// --- (1) tasks that sleep(0) once -----------------------------------------------

aio::Coroutine<> yield_once() {
  co_await aio::sleep(0s);
}

aio::Coroutine<> create_and_await_tasks() {
  std::vector<aio::Task<>> tasks;
  tasks.reserve(kTasks);
  for (std::size_t i = 0; i < kTasks; ++i)
    tasks.push_back(aio::create_task(yield_once()));
  for (auto& task : tasks)
    co_await task;
}

void Concur_Tasks(benchmark::State& state) {
  for (auto _ : state)
    aio::run(create_and_await_tasks());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTasks));
}
BENCHMARK(Concur_Tasks)->Unit(benchmark::kMillisecond)->UseRealTime();

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
void Asio_Tasks(benchmark::State& state) {
  for (auto _ : state) {
    asio::io_context context;
    std::size_t done = 0;
    for (std::size_t i = 0; i < kTasks; ++i) {
      asio::co_spawn(
          context,
          [&context, &done]() -> asio::awaitable<void> {
            co_await asio::post(context, asio::use_awaitable);  // a yield
            ++done;
          },
          asio::detached);
    }
    context.run();
    if (done != kTasks) state.SkipWithError("not every task ran");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTasks));
}
BENCHMARK(Asio_Tasks)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

// --- (2) call_soon ---------------------------------------------------------------

void Concur_CallSoon(benchmark::State& state) {
  for (auto _ : state) {
    aio::EventLoop loop;
    std::size_t ran = 0;
    for (std::size_t i = 0; i < kCallbacks; ++i)
      loop.call_soon([&ran] { ++ran; });
    loop.call_soon([&loop] { loop.stop(); });
    loop.run_forever();
    if (ran != kCallbacks) state.SkipWithError("not every callback ran");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCallbacks));
}
BENCHMARK(Concur_CallSoon)->Unit(benchmark::kMillisecond)->UseRealTime();

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
void Asio_Post(benchmark::State& state) {
  for (auto _ : state) {
    asio::io_context context;
    std::size_t ran = 0;
    for (std::size_t i = 0; i < kCallbacks; ++i)
      asio::post(context, [&ran] { ++ran; });
    context.run();
    if (ran != kCallbacks) state.SkipWithError("not every callback ran");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCallbacks));
}
BENCHMARK(Asio_Post)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

// --- (3) timers, half cancelled --------------------------------------------------

void Concur_Timers(benchmark::State& state) {
  const auto delays = timer_delays();
  for (auto _ : state) {
    aio::EventLoop loop;
    std::size_t fired = 0;
    std::vector<aio::TimerHandle> timers;
    timers.reserve(kTimers);
    for (const auto delay : delays)
      timers.push_back(loop.call_later(delay, [&fired] { ++fired; }));
    for (std::size_t i = 0; i < kTimers; i += 2)
      timers[i].cancel();
    loop.call_later(1001us, [&loop] { loop.stop(); });
    loop.run_forever();
    if (fired != kTimers / 2) state.SkipWithError("a timer was lost or a cancelled one ran");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTimers));
}
BENCHMARK(Concur_Timers)->Unit(benchmark::kMillisecond)->UseRealTime();

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
void Asio_Timers(benchmark::State& state) {
  const auto delays = timer_delays();
  for (auto _ : state) {
    asio::io_context context;
    std::size_t fired = 0;
    std::vector<asio::steady_timer> timers;
    timers.reserve(kTimers);
    for (const auto delay : delays) {
      timers.emplace_back(context, delay);
      timers.back().async_wait([&fired](const boost::system::error_code& error) {
        if (!error) ++fired;
      });
    }
    for (std::size_t i = 0; i < kTimers; i += 2)
      timers[i].cancel();
    context.run();
    if (fired != kTimers / 2) state.SkipWithError("a timer was lost or a cancelled one fired");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTimers));
}
BENCHMARK(Asio_Timers)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

// --- (4) gather ------------------------------------------------------------------

aio::Coroutine<int> one() {
  co_return 1;
}

aio::Coroutine<std::size_t> gather_many() {
  std::vector<aio::Coroutine<int>> coroutines;
  coroutines.reserve(kTasks);
  for (std::size_t i = 0; i < kTasks; ++i)
    coroutines.push_back(one());
  std::vector<int> results = co_await aio::gather(coroutines);
  co_return results.size();
}

void Concur_Gather(benchmark::State& state) {
  for (auto _ : state) {
    if (aio::run(gather_many()) != kTasks) state.SkipWithError("a result is missing");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTasks));
}
BENCHMARK(Concur_Gather)->Unit(benchmark::kMillisecond)->UseRealTime();

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
// Asio has no gather in 1.74: spawn every coroutine, collect each result
// in its completion handler, which is what a gather does.
void Asio_Gather(benchmark::State& state) {
  for (auto _ : state) {
    asio::io_context context;
    std::vector<int> results;
    results.reserve(kTasks);
    for (std::size_t i = 0; i < kTasks; ++i) {
      asio::co_spawn(
          context, []() -> asio::awaitable<int> { co_return 1; },
          [&results](std::exception_ptr, int value) { results.push_back(value); });
    }
    context.run();
    if (results.size() != kTasks) state.SkipWithError("a result is missing");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTasks));
}
BENCHMARK(Asio_Gather)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

// --- (5) round trip to a thread pool ---------------------------------------------

int tiny(int x) {
  return x + 1;
}

aio::Coroutine<> round_trips(concur::ThreadPoolExecutor& pool, benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(co_await pool.submit(tiny, 1));
}

void Concur_AwaitPoolRoundTrip(benchmark::State& state) {
  concur::ThreadPoolExecutor pool(2);
  aio::run(round_trips(pool, state));
}
BENCHMARK(Concur_AwaitPoolRoundTrip)->UseRealTime();

void Pool_ResultRoundTrip(benchmark::State& state) {
  concur::ThreadPoolExecutor pool(2);
  for (auto _ : state)
    benchmark::DoNotOptimize(pool.submit(tiny, 1).result());
}
BENCHMARK(Pool_ResultRoundTrip)->UseRealTime();

// --- Memory per suspended task ---------------------------------------------------

aio::Coroutine<> wait_on(aio::Event& event) {
  co_await event.wait();
}

aio::Coroutine<> measure_tasks(benchmark::State& state) {
  aio::Event event;
  const std::size_t before = mallinfo2().uordblks;
  std::vector<aio::Task<>> tasks;
  tasks.reserve(kTasks);
  const std::size_t after_vector = mallinfo2().uordblks;
  for (std::size_t i = 0; i < kTasks; ++i)
    tasks.push_back(aio::create_task(wait_on(event)));
  co_await aio::sleep(0s);  // every task is now suspended in its wait
  const std::size_t after = mallinfo2().uordblks;
  state.counters["bytes_per_task"] =
      static_cast<double>(after - after_vector) / static_cast<double>(kTasks);
  (void)before;
  event.set();
  for (auto& task : tasks)
    co_await task;
}

void MemoryPerSuspendedTask(benchmark::State& state) {
  // In a thread of its own, whose block cache starts empty: every block
  // then comes from malloc, which counts it.
  for (auto _ : state)
    std::thread([&state] { aio::run(measure_tasks(state)); }).join();
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  std::size_t stack = 0;
  pthread_attr_getstacksize(&attributes, &stack);
  pthread_attr_destroy(&attributes);
  state.counters["thread_stack_bytes"] = static_cast<double>(stack);
}
BENCHMARK(MemoryPerSuspendedTask)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
