// The asyncio examples' one helper: check(condition, what) prints what was
// wrong and makes the example exit with status 1 (the tests run them).
#pragma once

#include <cstdio>
#include <cstdlib>

inline void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "example check failed: %s\n", what);
    std::exit(1);
  }
}
