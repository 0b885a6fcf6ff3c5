// concur-compare: its command line, its outputs (each parsed back), a tiny
// run of every engine on every workload, and a verdict that follows the
// numbers it is given.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lab.hpp"
#include "options.hpp"
#include "report.hpp"
#include "support/processes.hpp"

namespace concur::compare {
namespace {

TEST(CompareOptions, DefaultsCoverEveryWorkloadAndEngine) {
  const Options options = parse({});
  EXPECT_EQ(options.settings.workloads, all_workloads());
  EXPECT_EQ(options.settings.engines, all_engines());
  EXPECT_GE(options.settings.max_workers, 1);
  EXPECT_EQ(options.format, Format::table);
  EXPECT_FALSE(options.plot.has_value());
}

TEST(CompareOptions, EveryOptionIsRead) {
  const Options options =
      parse({"--workload", "cpu,io", "--engine", "threads,spawn", "--workers", "3", "--tasks", "7",
             "--task-ms", "2.5", "--cpu-share", "0.25", "--payload-bytes", "1000", "--csv",
             "--plot", "out.svg", "--no-progress"});
  EXPECT_EQ(options.settings.workloads, (std::vector<Workload>{Workload::cpu, Workload::io}));
  EXPECT_EQ(options.settings.engines, (std::vector<Engine>{Engine::threads, Engine::spawn}));
  EXPECT_EQ(options.settings.max_workers, 3);
  EXPECT_EQ(options.settings.tasks, 7);
  EXPECT_EQ(options.settings.task_size, std::chrono::microseconds(2500));
  EXPECT_DOUBLE_EQ(options.settings.cpu_share, 0.25);
  EXPECT_EQ(options.settings.payload_bytes, 1000u);
  EXPECT_EQ(options.format, Format::csv);
  EXPECT_EQ(options.plot, std::optional<std::string>("out.svg"));
  EXPECT_FALSE(options.progress);
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_EQ(parse({"--json"}).format, Format::json);
}

// run_tool: concur-compare's exit status with `args`; what it printed (stdout
// and stderr together) in `output`.
int run_tool(const std::string& args, std::string& output) {
  const std::string command = std::string(CONCUR_COMPARE_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    output += buffer;
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CompareTool, ABadArgumentGetsAMessageTheUsageAndStatus2) {
  std::string output;
  EXPECT_EQ(run_tool("--workers lots", output), 2);
  EXPECT_NE(output.find("concur-compare: --workers wants a number, not 'lots'"), std::string::npos)
      << output;
  EXPECT_NE(output.find("usage: concur-compare"), std::string::npos) << output;
}

TEST(CompareTool, HelpIsAManualWithExamples) {
  std::string output;
  EXPECT_EQ(run_tool("--help", output), 0);
  EXPECT_NE(output.find("\nSYNOPSIS\n"), std::string::npos) << output;
  EXPECT_NE(output.find("\nEXIT STATUS\n"), std::string::npos) << output;
  EXPECT_NE(output.find("\nEXAMPLES\n"), std::string::npos) << output;
  EXPECT_NE(output.find("--plot"), std::string::npos) << output;
}

TEST(CompareOptions, BadArgumentsSayWhatWasWrong) {
  auto message = [](std::vector<std::string> args) {
    try {
      parse(args);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message({"--bogus"}), "unknown option '--bogus'");
  EXPECT_EQ(message({"--workers"}), "--workers wants a value");
  EXPECT_EQ(message({"--workers", "two"}), "--workers wants a number, not 'two'");
  EXPECT_EQ(message({"--workers", "0"}), "--workers must be between 1 and 64, not 0");
  EXPECT_EQ(message({"--cpu-share", "1.5"}), "--cpu-share must be between 0 and 1, not 1.5");
  EXPECT_NE(message({"--workload", "gpu"}).find("unknown name 'gpu'"), std::string::npos);
  EXPECT_NE(message({"--engine", "threads,cloud"}).find("unknown name 'cloud'"), std::string::npos);
  EXPECT_NE(message({"--plot", "chart.pdf"}).find(".svg or .png"), std::string::npos);
}

// The tiny run every test below reads: every engine, every workload.
const std::vector<Run>& tiny_runs() {
  static const std::vector<Run> runs = [] {
    Settings settings;
    settings.max_workers = 2;
    settings.tasks = 2;
    settings.task_size = std::chrono::microseconds(500);
    settings.payload_bytes = 4096;
    return run_all(settings);
  }();
  return runs;
}

class CompareRuns : public test::NothingLeaks {};

TEST_F(CompareRuns, ATinyRunOfEveryEngineOnEveryWorkloadCompletes) {
  const auto& runs = tiny_runs();
  // Per workload: sequential once, five engines at 1 and 2 workers.
  ASSERT_EQ(runs.size(), all_workloads().size() * (1 + 5 * 2));
  for (const compare::Run& run : runs) {
    EXPECT_GT(run.wall_s, 0) << name_of(run.engine);
    EXPECT_GT(run.speedup, 0);
    const bool under_gil = run.engine == Engine::gil_modern || run.engine == Engine::gil_legacy;
    EXPECT_EQ(run.gil_held.has_value(), under_gil) << name_of(run.engine);
    if (run.gil_held) {
      EXPECT_GE(*run.gil_held, 0.0);
      EXPECT_LE(*run.gil_held, 1.0);
    }
  }
}

TEST_F(CompareRuns, TheJsonOutputParsesAndHoldsEveryRun) {
  const auto& runs = tiny_runs();
  const std::string text = json(runs, verdict(runs));
  rapidjson::Document document;
  document.Parse(text.c_str());
  ASSERT_FALSE(document.HasParseError()) << text;
  ASSERT_TRUE(document["runs"].IsArray());
  EXPECT_EQ(document["runs"].Size(), runs.size());
  const auto& first = document["runs"][0];
  EXPECT_STREQ(first["workload"].GetString(), "cpu");
  EXPECT_STREQ(first["engine"].GetString(), "sequential");
  EXPECT_TRUE(first["gil_held"].IsNull());
  EXPECT_EQ(document["verdict"].Size(), all_workloads().size());
}

TEST_F(CompareRuns, TheCsvOutputHasAHeaderAndOneRowPerRun) {
  const auto& runs = tiny_runs();
  std::istringstream in(csv(runs));
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line))
    lines.push_back(line);
  ASSERT_EQ(lines.size(), runs.size() + 1);
  const auto columns = [](const std::string& row) {
    return std::count(row.begin(), row.end(), ',') + 1;
  };
  EXPECT_EQ(columns(lines[0]), 10);
  for (const std::string& row : lines)
    EXPECT_EQ(columns(row), 10) << row;
  EXPECT_EQ(lines[1].rfind("cpu,sequential,1,", 0), 0u) << lines[1];
}

TEST_F(CompareRuns, TheTableShowsEveryRunThenTheVerdict) {
  const auto& runs = tiny_runs();
  const auto lines = verdict(runs);
  const std::string text = table(runs, lines);
  for (const char* engine :
       {"sequential", "threads", "gil-modern", "gil-legacy", "spawn", "fork"}) {
    EXPECT_NE(text.find(engine), std::string::npos) << engine;
  }
  EXPECT_NE(text.find(lines.front()), std::string::npos);
}

TEST_F(CompareRuns, ThePlotIsDrawnByGnuplot) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "gnuplot is not installed";
  }
  const test::FilePath file = test::FilePath::unique("plot");
  const std::string path = std::string(file.c_str()) + ".svg";
  plot(tiny_runs(), path);
  std::ifstream in(path);
  std::string start;
  std::getline(in, start);
  EXPECT_NE(start.find("<?xml"), std::string::npos) << start;
  std::remove(path.c_str());
}

// A synthetic run: only the numbers the verdict reads.
Run synthetic(Workload workload, Engine engine, int workers, double wall, double held = 0) {
  Run run{.workload = workload, .engine = engine, .workers = workers, .wall_s = wall};
  run.speedup = 1.0 / wall;
  if (engine == Engine::gil_modern || engine == Engine::gil_legacy) run.gil_held = held;
  return run;
}

TEST(CompareVerdict, ProcessesWinCpuWhenTheGilIsHeldThroughout) {
  const auto lines = verdict({synthetic(Workload::cpu, Engine::sequential, 1, 1.0),
                              synthetic(Workload::cpu, Engine::gil_modern, 2, 1.02, 0.99),
                              synthetic(Workload::cpu, Engine::spawn, 2, 0.53),
                              synthetic(Workload::cpu, Engine::fork, 2, 0.51)});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("cpu: processes 2.0x faster than threads under the GIL"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("held 99%"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("fastest: fork with 2 workers (1.96x sequential)"), std::string::npos)
      << lines[0];
}

TEST(CompareVerdict, ThreadsWinIoBecauseBlockingCallsReleaseTheGil) {
  const auto lines = verdict({synthetic(Workload::io, Engine::sequential, 1, 1.0),
                              synthetic(Workload::io, Engine::gil_modern, 2, 0.5, 0.01),
                              synthetic(Workload::io, Engine::spawn, 2, 0.75)});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("io: threads under the GIL 1.5x faster than processes"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("held only 1%"), std::string::npos) << lines[0];
}

TEST(CompareVerdict, CloseResultsAreCalledClose) {
  const auto lines = verdict({synthetic(Workload::mixed, Engine::gil_modern, 2, 1.0, 0.5),
                              synthetic(Workload::mixed, Engine::spawn, 2, 0.95)});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("within 20% of each other"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace concur::compare
