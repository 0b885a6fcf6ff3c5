#include "lab.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>

#include "concur/gil.hpp"
#include "concur/process_pool_executor.hpp"
#include "concur/thread_pool_executor.hpp"
#include "work_unit.hpp"

namespace concur::compare {
namespace {

using Clock = std::chrono::steady_clock;

long spin(long units, gil::Gil* gil) {
  long x = units;
  for (long i = 0; i < units; ++i) {
    x = work_unit(x);
    if (gil != nullptr) gil->tick();
  }
  return x;
}

// units_per_microsecond: how many work units take a microsecond here.
double units_per_microsecond() {
  static const double rate = [] {
    long units = 1 << 14;
    for (;;) {
      const auto start = Clock::now();
      volatile long sink = spin(units, nullptr);
      (void)sink;
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      if (us > 20000) return static_cast<double>(units) / us;
      units *= 2;
    }
  }();
  return rate;
}

void block(long microseconds, gil::Gil* gil) {
  if (gil != nullptr) {
    gil::Released blocking(*gil);  // a blocking call lets other threads run
    std::this_thread::sleep_for(std::chrono::microseconds(microseconds));
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(microseconds));
  }
}

long checksum(const std::string& payload) {
  long sum = 0;
  for (unsigned char c : payload)
    sum += c;
  return sum;
}

// The work of one task, given as plain numbers so processes can get it.
struct Shape {
  long cpu_units = 0;
  long io_us = 0;
};

long run_task(Shape shape, const std::string* payload, gil::Gil* gil) {
  auto result = static_cast<unsigned long>(spin(shape.cpu_units, gil));
  if (shape.io_us > 0) block(shape.io_us, gil);
  if (payload != nullptr) result += static_cast<unsigned long>(checksum(*payload));
  return static_cast<long>(result >> 1);
}

// Process tasks: function pointers over serializable arguments.
long remote_task(Shape shape) {
  return run_task(shape, nullptr, nullptr);
}
long remote_transfer(Shape shape, const std::string& payload) {
  return run_task(shape, &payload, nullptr);
}

Shape shape_of(Workload workload, const Settings& settings) {
  const double us = static_cast<double>(settings.task_size.count());
  const double rate = units_per_microsecond();
  switch (workload) {
    case Workload::cpu:
      return {static_cast<long>(us * rate), 0};
    case Workload::transfer:
      return {0, 0};  // only reading the payload: the cost is in moving it
    case Workload::io:
      return {0, static_cast<long>(us)};
    case Workload::mixed:
      return {static_cast<long>(us * settings.cpu_share * rate),
              static_cast<long>(us * (1 - settings.cpu_share))};
  }
  return {};
}

double cpu_seconds() {
  rusage self{};
  rusage children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(self.ru_utime) + seconds(self.ru_stime) + seconds(children.ru_utime) +
         seconds(children.ru_stime);
}

template <class Pool>
void run_on_pool(Pool& pool, int tasks, const std::function<Future<long>(Pool&)>& submit) {
  std::vector<Future<long>> futures;
  for (int i = 0; i < tasks; ++i)
    futures.push_back(submit(pool));
  for (auto& f : futures)
    f.result();
}

void measure(Run& run, const Settings& settings) {
  const Shape shape = shape_of(run.workload, settings);
  const bool transfer = run.workload == Workload::transfer;
  auto payload = std::make_shared<const std::string>(transfer ? settings.payload_bytes : 0, 'x');
  const double cpu_before = cpu_seconds();
  const auto start = Clock::now();
  switch (run.engine) {
    case Engine::sequential: {
      unsigned long results = 0;  // wraps around, harmlessly
      for (int i = 0; i < settings.tasks; ++i) {
        results += static_cast<unsigned long>(
            run_task(shape, transfer ? payload.get() : nullptr, nullptr));
      }
      // Keep the work: a result nobody reads is work the compiler may drop.
      asm volatile("" : : "r"(results) : "memory");
      break;
    }
    case Engine::threads:
    case Engine::gil_modern:
    case Engine::gil_legacy: {
      std::unique_ptr<gil::Gil> lock;
      if (run.engine != Engine::threads) {
        lock = std::make_unique<gil::Gil>(gil::Options{.policy = run.engine == Engine::gil_modern
                                                                     ? gil::Policy::modern
                                                                     : gil::Policy::legacy});
      }
      gil::Gil* held = lock.get();
      {
        ThreadPoolExecutor pool(ThreadPoolOptions{.max_workers = run.workers, .gil = held});
        std::function<Future<long>(ThreadPoolExecutor&)> submit = [&](ThreadPoolExecutor& p) {
          // Threads share the payload; nothing is copied.
          return p.submit([shape, payload, held, transfer] {
            return run_task(shape, transfer ? payload.get() : nullptr, held);
          });
        };
        run_on_pool(pool, settings.tasks, submit);
      }
      if (lock) {
        const gil::Stats stats = lock->stats();
        run.gil_held = stats.held_fraction();
        run.switches_per_s = stats.switches_per_second();
        double worst = 0;
        for (const auto& thread : stats.threads) {
          worst =
              std::max(worst, std::chrono::duration<double, std::milli>(thread.wait.p99).count());
        }
        run.gil_wait_p99_ms = worst;
      }
      break;
    }
    case Engine::spawn:
    case Engine::fork: {
      ProcessPoolExecutor pool(ProcessPoolOptions{
          .max_workers = run.workers,
          .start_method = run.engine == Engine::spawn ? StartMethod::spawn : StartMethod::fork});
      std::function<Future<long>(ProcessPoolExecutor&)> submit = [&](ProcessPoolExecutor& p) {
        // Each task's payload crosses into the worker process.
        return transfer ? p.submit(remote_transfer, shape, *payload) : p.submit(remote_task, shape);
      };
      run_on_pool(pool, settings.tasks, submit);
      break;
    }
  }
  run.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  run.cpu_s = cpu_seconds() - cpu_before;
}

}  // namespace

const std::vector<Workload>& all_workloads() {
  static const std::vector<Workload> all = {Workload::cpu, Workload::io, Workload::mixed,
                                            Workload::transfer};
  return all;
}

const std::vector<Engine>& all_engines() {
  static const std::vector<Engine> all = {Engine::sequential, Engine::threads, Engine::gil_modern,
                                          Engine::gil_legacy, Engine::spawn,   Engine::fork};
  return all;
}

std::string name_of(Workload workload) {
  switch (workload) {
    case Workload::cpu:
      return "cpu";
    case Workload::io:
      return "io";
    case Workload::mixed:
      return "mixed";
    case Workload::transfer:
      return "transfer";
  }
  return "?";
}

std::string name_of(Engine engine) {
  switch (engine) {
    case Engine::sequential:
      return "sequential";
    case Engine::threads:
      return "threads";
    case Engine::gil_modern:
      return "gil-modern";
    case Engine::gil_legacy:
      return "gil-legacy";
    case Engine::spawn:
      return "spawn";
    case Engine::fork:
      return "fork";
  }
  return "?";
}

std::optional<Workload> workload_named(const std::string& name) {
  for (Workload w : all_workloads()) {
    if (name_of(w) == name) return w;
  }
  return std::nullopt;
}

std::optional<Engine> engine_named(const std::string& name) {
  for (Engine e : all_engines()) {
    if (name_of(e) == name) return e;
  }
  return std::nullopt;
}

std::vector<Run> run_all(
    const Settings& settings,
    const std::function<void(std::size_t, std::size_t, const Run&)>& progress) {
  std::vector<Run> runs;
  for (Workload workload : settings.workloads) {
    // Sequential always runs: it is what speed-ups are measured against.
    runs.push_back(Run{.workload = workload, .engine = Engine::sequential, .workers = 1});
    for (Engine engine : settings.engines) {
      if (engine == Engine::sequential) continue;
      for (int workers = 1; workers <= settings.max_workers; ++workers) {
        runs.push_back(Run{.workload = workload, .engine = engine, .workers = workers});
      }
    }
  }
  std::map<Workload, double> sequential_wall;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (progress) progress(i, runs.size(), runs[i]);
    measure(runs[i], settings);
    if (runs[i].engine == Engine::sequential) sequential_wall[runs[i].workload] = runs[i].wall_s;
    runs[i].speedup = sequential_wall[runs[i].workload] / runs[i].wall_s;
    runs[i].efficiency = runs[i].speedup / runs[i].workers;
  }
  return runs;
}

std::vector<std::string> verdict(const std::vector<Run>& runs) {
  std::vector<std::string> lines;
  std::vector<Workload> seen;
  for (const Run& run : runs) {
    if (std::find(seen.begin(), seen.end(), run.workload) == seen.end())
      seen.push_back(run.workload);
  }
  for (Workload workload : seen) {
    const Run* fastest = nullptr;
    const Run* gil = nullptr;        // modern GIL at its most workers
    const Run* processes = nullptr;  // the faster start method at its most workers
    for (const Run& run : runs) {
      if (run.workload != workload) continue;
      if (fastest == nullptr || run.wall_s < fastest->wall_s) fastest = &run;
      if (run.engine == Engine::gil_modern && (gil == nullptr || run.workers >= gil->workers))
        gil = &run;
      if ((run.engine == Engine::spawn || run.engine == Engine::fork) &&
          (processes == nullptr || run.workers > processes->workers ||
           (run.workers == processes->workers && run.wall_s < processes->wall_s))) {
        processes = &run;
      }
    }
    char line[400];
    std::string text = name_of(workload) + ": ";
    if (gil != nullptr && processes != nullptr) {
      const double ratio = gil->wall_s / processes->wall_s;
      const double held = 100.0 * gil->gil_held.value_or(0);
      if (ratio > 1.2) {
        std::snprintf(line, sizeof line,
                      "processes %.1fx faster than threads under the GIL (%d workers); the GIL was "
                      "held %.0f%% of the time, so threads took turns",
                      ratio, processes->workers, held);
      } else if (ratio < 1 / 1.2) {
        std::snprintf(line, sizeof line,
                      held < 50 ? "threads under the GIL %.1fx faster than processes (%d workers); "
                                  "the GIL was held only %.0f%% of the time (blocking calls "
                                  "release it) and processes pay for start-up and copying"
                                : "threads under the GIL %.1fx faster than processes (%d workers) "
                                  "although the GIL was held %.0f%% of the time: processes pay "
                                  "for start-up and for copying every argument across",
                      1 / ratio, gil->workers, held);
      } else {
        std::snprintf(line, sizeof line,
                      "threads under the GIL and processes within 20%% of each other (%.2fx); the "
                      "GIL was held %.0f%% of the time",
                      ratio, held);
      }
      text += line;
      text += "; ";
    }
    std::snprintf(line, sizeof line, "fastest: %s with %d worker%s (%.2fx sequential)",
                  name_of(fastest->engine).c_str(), fastest->workers,
                  fastest->workers == 1 ? "" : "s", fastest->speedup);
    text += line;
    lines.push_back(text);
  }
  return lines;
}

}  // namespace concur::compare
