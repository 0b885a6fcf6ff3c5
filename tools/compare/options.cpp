#include "options.hpp"

#include <charconv>
#include <sstream>
#include <thread>

namespace concur::compare {
namespace {

template <class T>
T number(const std::string& option, const std::string& text, T low, T high) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw UsageError(option + " wants a number, not '" + text + "'");
  }
  if (value < low || value > high) {
    std::ostringstream range;
    range << option << " must be between " << low << " and " << high << ", not " << text;
    throw UsageError(range.str());
  }
  return value;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(list);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

template <class T, class Lookup>
std::vector<T> names(const std::string& option, const std::string& list, const std::vector<T>& all,
                     Lookup lookup) {
  if (list == "all") return all;
  std::vector<T> chosen;
  for (const std::string& name : split(list)) {
    const std::optional<T> found = lookup(name);
    if (!found) {
      std::string known;
      for (T t : all)
        known += (known.empty() ? "" : ", ") + name_of(t);
      throw UsageError(option + ": unknown name '" + name + "' (known: " + known + ", all)");
    }
    chosen.push_back(*found);
  }
  if (chosen.empty()) throw UsageError(option + " wants at least one name");
  return chosen;
}

}  // namespace

std::string synopsis() {
  return "usage: concur-compare [--workload LIST] [--engine LIST] [--workers N] [--tasks N]\n"
         "                      [--task-ms X] [--cpu-share X] [--payload-bytes N]\n"
         "                      [--json | --csv] [--plot FILE] [--no-progress] [--help]\n"
         "The manual: concur-compare --help\n";
}

std::string usage() {
  return R"(NAME
  concur-compare - the laboratory: when do threads, the GIL or processes win?

SYNOPSIS
  concur-compare [--workload LIST] [--engine LIST] [--workers N] [--tasks N]
                 [--task-ms X] [--cpu-share X] [--payload-bytes N]
                 [--json | --csv] [--plot FILE] [--no-progress] [--help]

DESCRIPTION
  Runs the same workloads on sequential code, on threads (free, and under an
  emulated GIL, modern and legacy) and on processes (spawn and fork), with 1
  to N workers, and prints where each engine wins and why. Each workload is
  --tasks tasks of --task-ms milliseconds each:
    cpu       arithmetic only: threads scale, a GIL does not, processes pay
              their start-up and round trips
    io        sleeping, as a task blocked on a socket or a disk does: every
              engine overlaps the waits, the GIL is released while waiting
    mixed     a CPU part (--cpu-share) then a wait
    transfer  each task receives --payload-bytes bytes and only reads them:
              what shipping data to a process costs

OPTIONS
  --workload LIST     cpu, io, mixed, transfer, or all (default: all)
  --engine LIST       sequential, threads, gil-modern, gil-legacy, spawn, fork,
                      or all (default: all)
  --workers N         worker counts 1..N (default: the CPUs, at most 64)
  --tasks N           tasks per run (default: 48)
  --task-ms X         work per task in milliseconds (default: 10; transfer
                      tasks only read their payload)
  --cpu-share X       mixed: the CPU part of a task, 0..1 (default: 0.5)
  --payload-bytes N   transfer: bytes sent with each task (default: 1048576)
  --json, --csv       machine-readable output instead of the table
  --plot FILE         draw speed-up against workers (FILE.svg or FILE.png;
                      needs gnuplot)
  --no-progress       no progress on stderr (default: shown on a terminal)
  --help              this text

OUTPUT
  One line per workload, engine and worker count: wall time, speed-up over
  sequential, efficiency (speed-up per worker), CPU time and, under an
  emulated GIL, the share of time it was held, switches per second and the
  99th percentile of a thread's wait for it; then, per workload, a verdict
  naming the fastest engine. --json holds the same runs and the verdicts;
  --csv one line per run.

EXIT STATUS
  0 done; 1 a run failed (the message says which); 2 bad arguments.

EXAMPLES
  concur-compare
  concur-compare --workload cpu,io --workers 4 --plot speedup.svg
  concur-compare --workload transfer --payload-bytes 10000000 --engine threads,spawn
  concur-compare --json > runs.json
)";
}

Options parse(const std::vector<std::string>& args) {
  Options options;
  options.settings.max_workers =
      static_cast<int>(std::min(64u, std::max(1u, std::thread::hardware_concurrency())));
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError(arg + " wants a value");
      return args[++i];
    };
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--workload") {
      options.settings.workloads = names(arg, value(), all_workloads(), workload_named);
    } else if (arg == "--engine") {
      options.settings.engines = names(arg, value(), all_engines(), engine_named);
    } else if (arg == "--workers") {
      options.settings.max_workers = number<int>(arg, value(), 1, 64);
    } else if (arg == "--tasks") {
      options.settings.tasks = number<int>(arg, value(), 1, 1000000);
    } else if (arg == "--task-ms") {
      const double ms = number<double>(arg, value(), 0.0, 60000.0);
      options.settings.task_size = std::chrono::microseconds(static_cast<long>(ms * 1000));
    } else if (arg == "--cpu-share") {
      options.settings.cpu_share = number<double>(arg, value(), 0.0, 1.0);
    } else if (arg == "--payload-bytes") {
      options.settings.payload_bytes = number<std::size_t>(arg, value(), 0, std::size_t{1} << 32);
    } else if (arg == "--json") {
      options.format = Format::json;
    } else if (arg == "--csv") {
      options.format = Format::csv;
    } else if (arg == "--plot") {
      const std::string& file = value();
      const bool svg = file.size() > 4 && file.substr(file.size() - 4) == ".svg";
      const bool png = file.size() > 4 && file.substr(file.size() - 4) == ".png";
      if (!svg && !png) throw UsageError("--plot wants a file ending in .svg or .png, not " + file);
      options.plot = file;
    } else if (arg == "--no-progress") {
      options.progress = false;
    } else {
      throw UsageError("unknown option '" + arg + "'");
    }
  }
  return options;
}

}  // namespace concur::compare
