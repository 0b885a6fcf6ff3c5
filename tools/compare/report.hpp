// concur-compare's output: a table for people, JSON and CSV for tools, and
// a gnuplot chart of speed-up against workers.
#pragma once

#include <string>
#include <vector>

#include "lab.hpp"

namespace concur::compare {

std::string table(const std::vector<Run>& runs, const std::vector<std::string>& verdict);
std::string json(const std::vector<Run>& runs, const std::vector<std::string>& verdict);
std::string csv(const std::vector<Run>& runs);

// plot: draws speed-up against workers, one line per engine, one panel per
// workload, into `file` (.svg or .png) with gnuplot. Throws
// std::runtime_error saying what went wrong (no gnuplot, for one).
void plot(const std::vector<Run>& runs, const std::string& file);

}  // namespace concur::compare
