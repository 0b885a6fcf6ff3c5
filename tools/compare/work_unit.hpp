// work_unit: ~30 ns of dependent arithmetic, the CPU cost of one turn of
// CPython 3.11's `while n > 0: n -= 1`, so that a GIL's overheads weigh the
// same in C++ experiments as in Python. Shared by concur-compare and
// bench/gil_experiments.cpp.
#pragma once

namespace concur::compare {

inline long work_unit(long seed) {
  // Unsigned: the generator wraps around by design.
  auto x = static_cast<unsigned long>(seed);
  for (int i = 0; i < 12; ++i) {
    x = x * 6364136223846793005UL + 1442695040888963407UL;
    asm volatile("" : "+r"(x));  // one step at a time: nothing to fold
  }
  return static_cast<long>(x >> 1);
}

}  // namespace concur::compare
