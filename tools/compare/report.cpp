#include "report.hpp"

#include <sys/wait.h>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace concur::compare {
namespace {

std::string format(const char* pattern, auto... values) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, pattern, values...);
  return buffer;
}

std::string optional_cell(const std::optional<double>& value, const char* pattern) {
  return value ? format(pattern, *value) : std::string("-");
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string json_number(const std::optional<double>& value) {
  return value ? format("%.6g", *value) : std::string("null");
}

}  // namespace

std::string table(const std::vector<Run>& runs, const std::vector<std::string>& verdict) {
  std::string out =
      format("%-9s %-11s %7s %9s %8s %10s %8s %8s %10s %10s\n", "workload", "engine", "workers",
             "wall s", "speedup", "efficiency", "cpu s", "GIL held", "switch/s", "p99 wait");
  for (const Run& run : runs) {
    out += format(
        "%-9s %-11s %7d %9.3f %7.2fx %10.2f %8.3f %8s %10s %10s\n", name_of(run.workload).c_str(),
        name_of(run.engine).c_str(), run.workers, run.wall_s, run.speedup, run.efficiency,
        run.cpu_s,
        optional_cell(run.gil_held ? std::optional<double>(100 * *run.gil_held) : std::nullopt,
                      "%.0f%%")
            .c_str(),
        optional_cell(run.switches_per_s, "%.0f").c_str(),
        optional_cell(run.gil_wait_p99_ms, "%.2f ms").c_str());
  }
  out += "\n";
  for (const std::string& line : verdict)
    out += line + "\n";
  return out;
}

std::string json(const std::vector<Run>& runs, const std::vector<std::string>& verdict) {
  std::string out = "{\"runs\": [\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Run& run = runs[i];
    out += format(
        "  {\"workload\": \"%s\", \"engine\": \"%s\", \"workers\": %d, \"wall_s\": %.6g, "
        "\"cpu_s\": %.6g, \"speedup\": %.6g, \"efficiency\": %.6g, ",
        name_of(run.workload).c_str(), name_of(run.engine).c_str(), run.workers, run.wall_s,
        run.cpu_s, run.speedup, run.efficiency);
    out += "\"gil_held\": " + json_number(run.gil_held) +
           ", \"switches_per_s\": " + json_number(run.switches_per_s) +
           ", \"gil_wait_p99_ms\": " + json_number(run.gil_wait_p99_ms) + "}";
    out += i + 1 < runs.size() ? ",\n" : "\n";
  }
  out += "], \"verdict\": [";
  for (std::size_t i = 0; i < verdict.size(); ++i) {
    out += (i ? ", \"" : "\"") + escape(verdict[i]) + "\"";
  }
  out += "]}\n";
  return out;
}

std::string csv(const std::vector<Run>& runs) {
  std::string out =
      "workload,engine,workers,wall_s,cpu_s,speedup,efficiency,gil_held,switches_per_s,"
      "gil_wait_p99_ms\n";
  auto cell = [](const std::optional<double>& v) { return v ? format("%.6g", *v) : std::string(); };
  for (const Run& run : runs) {
    out += format("%s,%s,%d,%.6g,%.6g,%.6g,%.6g,", name_of(run.workload).c_str(),
                  name_of(run.engine).c_str(), run.workers, run.wall_s, run.cpu_s, run.speedup,
                  run.efficiency);
    out += cell(run.gil_held) + "," + cell(run.switches_per_s) + "," + cell(run.gil_wait_p99_ms) +
           "\n";
  }
  return out;
}

void plot(const std::vector<Run>& runs, const std::string& file) {
  // Group: workload -> engine -> (workers, speed-up) points.
  std::map<std::string, std::map<std::string, std::vector<std::pair<int, double>>>> series;
  std::vector<std::string> workloads;
  for (const Run& run : runs) {
    const std::string w = name_of(run.workload);
    if (series.find(w) == series.end()) workloads.push_back(w);
    series[w][name_of(run.engine)].emplace_back(run.workers, run.speedup);
  }
  const bool svg = file.size() > 4 && file.substr(file.size() - 4) == ".svg";
  std::string script =
      svg ? "set terminal svg size 1000,700 dynamic\n" : "set terminal pngcairo size 1000,700\n";
  script += "set output '" + file + "'\n";
  script += format("set multiplot layout %d,%d title 'concur-compare: speed-up over sequential'\n",
                   workloads.size() > 2 ? 2 : 1, workloads.size() > 1 ? 2 : 1);
  script += "set xlabel 'workers'\nset ylabel 'speed-up'\nset key outside right top\nset grid\n";
  script += "set xtics 1\nset yrange [0:*]\n";
  for (const std::string& w : workloads) {
    script += "set title '" + w + "'\nplot ";
    bool first = true;
    for (const auto& [engine, points] : series[w]) {
      script += std::string(first ? "" : ", ") + "'-' with linespoints title '" + engine + "'";
      first = false;
    }
    script += "\n";
    for (const auto& [engine, points] : series[w]) {
      for (const auto& [workers, speedup] : points)
        script += format("%d %.6g\n", workers, speedup);
      script += "e\n";
    }
  }
  script += "unset multiplot\n";
  FILE* gnuplot = ::popen("gnuplot 2>&1", "w");
  if (gnuplot == nullptr) throw std::runtime_error("--plot: cannot run gnuplot");
  std::fwrite(script.data(), 1, script.size(), gnuplot);
  const int status = ::pclose(gnuplot);
  if (status != 0) {
    throw std::runtime_error(
        "--plot: gnuplot failed (is it installed? Debian: apt-get install gnuplot-nox)");
  }
}

}  // namespace concur::compare
