// concur-compare: the thread-vs-process laboratory. See `concur-compare
// --help` and the README's "The laboratory".
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "concur/process_pool_executor.hpp"
#include "options.hpp"
#include "report.hpp"

int main(int argc, char** argv) {
  concur::init(argc, argv);  // spawned workers of the process engines start here
  namespace cc = concur::compare;
  cc::Options options;
  try {
    options = cc::parse(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const cc::UsageError& e) {
    std::fprintf(stderr, "concur-compare: %s\n\n%s", e.what(), cc::synopsis().c_str());
    return 2;
  }
  if (options.help) {
    std::fputs(cc::usage().c_str(), stdout);
    return 0;
  }
  const bool show_progress = options.progress && ::isatty(STDERR_FILENO);
  try {
    const auto runs = cc::run_all(options.settings, [&](std::size_t i, std::size_t n,
                                                        const cc::Run& run) {
      if (!show_progress) return;
      std::fprintf(stderr, "\r[%zu/%zu] %-8s %-10s %d worker(s)   ", i + 1, n,
                   cc::name_of(run.workload).c_str(), cc::name_of(run.engine).c_str(), run.workers);
    });
    if (show_progress) std::fprintf(stderr, "\r%60s\r", "");
    const auto verdict = cc::verdict(runs);
    switch (options.format) {
      case cc::Format::table:
        std::fputs(cc::table(runs, verdict).c_str(), stdout);
        break;
      case cc::Format::json:
        std::fputs(cc::json(runs, verdict).c_str(), stdout);
        break;
      case cc::Format::csv:
        std::fputs(cc::csv(runs).c_str(), stdout);
        break;
    }
    if (options.plot) cc::plot(runs, *options.plot);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "concur-compare: %s\n", e.what());
    return 1;
  }
  return 0;
}
