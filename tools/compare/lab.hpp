// The laboratory behind concur-compare: workloads, engines, one measured run
// of a workload on an engine, and the verdict drawn from the numbers.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace concur::compare {

enum class Workload { cpu, io, mixed, transfer };
enum class Engine { sequential, threads, gil_modern, gil_legacy, spawn, fork };

const std::vector<Workload>& all_workloads();
const std::vector<Engine>& all_engines();
std::string name_of(Workload workload);
std::string name_of(Engine engine);
std::optional<Workload> workload_named(const std::string& name);
std::optional<Engine> engine_named(const std::string& name);

// Settings: what to run.
struct Settings {
  std::vector<Workload> workloads = all_workloads();
  std::vector<Engine> engines = all_engines();
  int max_workers = 2;                                                  // runs use 1..max_workers
  int tasks = 48;                                                       // tasks per run
  std::chrono::microseconds task_size = std::chrono::milliseconds(10);  // work per task
  double cpu_share = 0.5;                                               // mixed: the CPU part
  std::size_t payload_bytes = 1 << 20;                                  // transfer: bytes per task
};

// Run: one workload on one engine with some workers, measured.
struct Run {
  Workload workload = Workload::cpu;
  Engine engine = Engine::sequential;
  int workers = 1;
  double wall_s = 0;
  double cpu_s = 0;       // user + system, this process and its reaped children
  double speedup = 1;     // sequential wall / this wall (same workload)
  double efficiency = 1;  // speedup / workers
  // GIL figures (engines under a GIL only; else not set).
  std::optional<double> gil_held = std::nullopt;  // fraction of the wall time
  std::optional<double> switches_per_s = std::nullopt;
  std::optional<double> gil_wait_p99_ms = std::nullopt;  // the worst thread's p99
};

// run_all: every run the settings ask for (sequential once per workload,
// the other engines at 1..max_workers), speed-ups filled in. progress(i, n,
// run) is told before each run.
std::vector<Run> run_all(
    const Settings& settings,
    const std::function<void(std::size_t, std::size_t, const Run&)>& progress = {});

// verdict: one line per workload saying where each engine wins and why,
// computed from the runs.
std::vector<std::string> verdict(const std::vector<Run>& runs);

}  // namespace concur::compare
