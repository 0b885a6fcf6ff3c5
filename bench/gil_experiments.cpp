// The classic GIL experiments, run on the emulator; the same experiments
// on python3 (and python2.7 when present) come from
// bench/compare_cpython_gil.py, which runs this program with --json and
// prints both side by side.
//
//   ./build/bench/bench/concur_gil_experiments [--json]
//   ./build/bench/bench/concur_gil_experiments --switching <threads> <interval us>
//
// (a) CPU-bound countdown on 1, 2 and 4 threads under the modern GIL, and
//     in 2 and 4 processes (each its own GIL): speed relative to sequential.
// (b) Switch rate and slice length of 2 and 4 CPU-bound threads at switch
//     intervals of 5 ms, 1 ms and 0.1 ms.
// (c) The convoy effect: K = 200 short blocking calls (GIL released, then
//     re-taken) beside one CPU-bound thread, at the same intervals.
// (d) Legacy (CPython 2) against modern: 2 CPU-bound threads vs sequential.
// (e) I/O-bound threads (20 sleeps of 50 ms, GIL released) on 1-8 threads.
//
// One "tick" of work is calibrated to what one iteration of Python's
// `while n > 0: n -= 1` costs, so that the GIL's overheads weigh the same.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "concur/gil.hpp"
#include "concur/process_pool_executor.hpp"
#include "work_unit.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using concur::compare::work_unit;
using concur::gil::Gil;
using concur::gil::Held;
using concur::gil::Policy;
using concur::gil::Released;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// countdown: Python's `while n > 0: n -= 1` with a check point per turn.
long countdown(Gil& gil, long n) {
  Held hold(gil);
  long x = n;
  while (n > 0) {
    x = work_unit(x);
    --n;
    gil.tick();
  }
  return x;
}

long countdown_alone(long n) {
  Gil own({.policy = Policy::modern});
  return countdown(own, n);
}

constexpr long kWork = 16'000'000;  // ~0.5 s of countdown sequentially

double run_threads(Policy policy, int threads, std::chrono::nanoseconds interval) {
  Gil gil({.policy = policy, .switch_interval = interval});
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] { countdown(gil, kWork / threads); });
  for (auto& t : pool)
    t.join();
  return seconds_since(start);
}

double run_processes(int processes) {
  const auto start = Clock::now();
  concur::ProcessPoolExecutor pool(processes);
  std::vector<concur::Future<long>> parts;
  for (int p = 0; p < processes; ++p)
    parts.push_back(pool.submit(countdown_alone, kWork / processes));
  for (auto& f : parts)
    f.result();
  return seconds_since(start);  // start-up included, as in the Python script
}

struct SwitchFigures {
  double switches_per_second;  // inferred from gaps, as the Python script does
  double exact_per_second;     // the emulator's own count
  double slice_p50_ms;
};

// run_switching: `threads` CPU-bound threads for one second. Besides the
// emulator's exact count, each thread infers its lost-and-regained GILs the
// way bench/compare_cpython_gil.py must for CPython (which counts nothing):
// a gap of more than half the interval between two turns of its loop.
SwitchFigures run_switching(int threads, std::chrono::nanoseconds interval) {
  Gil gil({.policy = Policy::modern, .switch_interval = interval});
  const auto gap = std::max<Clock::duration>(20us, interval / 2);
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::atomic<long> gaps{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Held hold(gil);
      long x = t;
      long seen = 0;
      auto last = Clock::now();
      while (!stop.load(std::memory_order_relaxed)) {
        x = work_unit(x);
        gil.tick();
        const auto now = Clock::now();
        if (now - last > gap && measuring.load(std::memory_order_relaxed)) ++seen;
        last = now;
      }
      gaps += seen;
    });
  }
  std::this_thread::sleep_for(200ms);  // settle
  gil.reset_stats();
  measuring = true;
  const auto start = Clock::now();
  std::this_thread::sleep_for(1s);
  measuring = false;
  const double elapsed = seconds_since(start);
  const auto stats = gil.stats();
  stop = true;
  for (auto& t : pool)
    t.join();
  return {static_cast<double>(gaps.load()) / elapsed, stats.switches_per_second(),
          std::chrono::duration<double, std::milli>(stats.slice.p50).count()};
}

// sleep_zero: what CPython 3.11's time.sleep(0) does between releasing and
// re-taking the GIL: an absolute clock_nanosleep on a deadline already
// reached (a real system call that may reschedule).
void sleep_zero() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, nullptr);
}

double run_convoy(std::chrono::nanoseconds interval) {
  constexpr int kOperations = 200;
  Gil gil({.policy = Policy::modern, .switch_interval = interval});
  std::atomic<bool> stop{false};
  std::thread spinner([&] {
    Held hold(gil);
    long x = 1;
    while (!stop.load(std::memory_order_relaxed)) {
      x = work_unit(x);
      gil.tick();
    }
  });
  std::this_thread::sleep_for(50ms);
  double total = 0;
  {
    Held hold(gil);
    const auto start = Clock::now();
    for (int i = 0; i < kOperations; ++i) {
      Released blocking(gil);  // time.sleep(0): release, a system call, re-take
      sleep_zero();
    }
    total = seconds_since(start);
  }
  stop = true;
  spinner.join();
  return total;
}

double run_io(int threads) {
  Gil gil({.policy = Policy::modern});
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      Held hold(gil);
      for (int i = 0; i < 20; ++i) {
        Released blocking(gil);
        std::this_thread::sleep_for(50ms);
      }
    });
  }
  for (auto& t : pool)
    t.join();
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  concur::init(argc, argv);
  if (argc == 4 && std::strcmp(argv[1], "--switching") == 0) {
    // One configuration of (b), for a script that interleaves it with
    // CPython's: --switching <threads> <interval in microseconds>.
    const auto figures =
        run_switching(std::atoi(argv[2]), std::chrono::microseconds(std::atoi(argv[3])));
    std::printf("{\"per_second\": %.1f, \"exact_per_second\": %.1f, \"slice_p50_ms\": %.4f}\n",
                figures.switches_per_second, figures.exact_per_second, figures.slice_p50_ms);
    return 0;
  }
  const bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  const std::vector<std::pair<std::string, std::chrono::nanoseconds>> intervals = {
      {"5ms", 5ms}, {"1ms", 1ms}, {"0.1ms", 100us}};

  const double sequential = run_threads(Policy::modern, 1, 5ms);
  const double threads2 = run_threads(Policy::modern, 2, 5ms);
  const double threads4 = run_threads(Policy::modern, 4, 5ms);
  const double processes2 = run_processes(2);
  const double processes4 = run_processes(4);
  std::vector<std::pair<std::string, SwitchFigures>> switching;
  for (int threads : {2, 4}) {
    for (const auto& [name, interval] : intervals) {
      switching.emplace_back(std::to_string(threads) + "@" + name,
                             run_switching(threads, interval));
    }
  }
  std::vector<std::pair<std::string, double>> convoy;
  for (const auto& [name, interval] : intervals)
    convoy.emplace_back(name, run_convoy(interval));
  const double legacy_sequential = run_threads(Policy::legacy, 1, 5ms);
  const double legacy2 = run_threads(Policy::legacy, 2, 5ms);
  std::vector<std::pair<int, double>> io;
  for (int threads : {1, 2, 4, 8})
    io.emplace_back(threads, run_io(threads));

  if (json) {
    std::printf(
        "{\"cpu\": {\"sequential\": %.4f, \"threads2\": %.4f, \"threads4\": %.4f, "
        "\"processes2\": %.4f, \"processes4\": %.4f},\n",
        sequential, threads2, threads4, processes2, processes4);
    std::printf(" \"switching\": {");
    for (std::size_t i = 0; i < switching.size(); ++i) {
      std::printf(
          "%s\"%s\": {\"per_second\": %.1f, \"exact_per_second\": %.1f, \"slice_p50_ms\": %.4f}",
          i ? ", " : "", switching[i].first.c_str(), switching[i].second.switches_per_second,
          switching[i].second.exact_per_second, switching[i].second.slice_p50_ms);
    }
    std::printf("},\n \"convoy\": {");
    for (std::size_t i = 0; i < convoy.size(); ++i) {
      std::printf("%s\"%s\": %.4f", i ? ", " : "", convoy[i].first.c_str(), convoy[i].second);
    }
    std::printf("},\n \"legacy\": {\"sequential\": %.4f, \"threads2\": %.4f},\n", legacy_sequential,
                legacy2);
    std::printf(" \"io\": {");
    for (std::size_t i = 0; i < io.size(); ++i) {
      std::printf("%s\"%d\": %.4f", i ? ", " : "", io[i].first, io[i].second);
    }
    std::printf("}}\n");
    return 0;
  }
  std::printf("(a) CPU-bound countdown, speed vs sequential (%.3f s):\n", sequential);
  std::printf("    2 threads %.2fx, 4 threads %.2fx, 2 processes %.2fx, 4 processes %.2fx\n",
              sequential / threads2, sequential / threads4, sequential / processes2,
              sequential / processes4);
  std::printf("(b) switches/s (inferred from gaps; counted) and slice p50, CPU-bound threads:\n");
  for (const auto& [name, figures] : switching) {
    std::printf("    %-10s %9.1f/s %9.1f/s  %7.3f ms\n", name.c_str(), figures.switches_per_second,
                figures.exact_per_second, figures.slice_p50_ms);
  }
  std::printf("(c) convoy: 200 blocking calls beside a CPU-bound thread:\n");
  for (const auto& [name, total] : convoy)
    std::printf("    %-6s %.3f s\n", name.c_str(), total);
  std::printf("(d) legacy, 2 CPU-bound threads: %.2fx the sequential time\n",
              legacy2 / legacy_sequential);
  std::printf("(e) I/O-bound threads (20 x 50 ms sleeps each), speed-up:\n");
  for (const auto& [threads, total] : io) {
    std::printf("    %d threads: %.2fx\n", threads, threads * 1.0 / total);
  }
  return 0;
}
