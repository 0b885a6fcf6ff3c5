// concur-compare's command line.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lab.hpp"

namespace concur::compare {

enum class Format { table, json, csv };

struct Options {
  Settings settings;
  Format format = Format::table;
  std::optional<std::string> plot;  // an .svg or .png file
  bool progress = true;             // when stderr is a terminal
  bool help = false;
};

// UsageError: a bad command line; what() says what was wrong.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// parse: the options in args (without the program name). Throws UsageError.
Options parse(const std::vector<std::string>& args);

// usage: the --help text.
std::string usage();
// synopsis: the short form printed after a bad argument.
std::string synopsis();

}  // namespace concur::compare
