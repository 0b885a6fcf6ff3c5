// Shared memory with process-pool workers: a big argument that travels on
// its own through shared memory, and a SharedArray that two workers fill in
// place, with no copy at all.
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <vector>

#include <concur/concur.hpp>

// A big argument: over ProcessPoolOptions::shm_threshold, its bytes go
// through a region the worker maps, not through its socket.
double mean(const std::vector<double>& samples) {
  return std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
}

// A shared array: the task writes the caller's own pages.
void scale(concur::SharedArray<double> values, std::size_t from, std::size_t to, double k) {
  for (std::size_t i = from; i < to; ++i)
    values[i] *= k;
}

// A buffer made in the worker comes back as a handle to the worker's pages.
concur::SharedArray<int> squares(int n) {
  concur::SharedArray<int> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    out[static_cast<std::size_t>(i)] = i * i;
  return out;
}

#define CHECK(condition)                                                   \
  do {                                                                     \
    if (!(condition)) {                                                    \
      std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #condition); \
      return EXIT_FAILURE;                                                 \
    }                                                                      \
  } while (false)

int main(int argc, char** argv) {
  concur::init(argc, argv);  // a worker process diverts here and never returns
  concur::ProcessPoolExecutor pool(2);

  std::vector<double> samples(1'000'000, 2.5);  // 8 MB: through shared memory
  CHECK(pool.submit(mean, samples).result() == 2.5);

  concur::SharedArray<double> values(1'000'000);  // zero-filled
  std::iota(values.begin(), values.end(), 0.0);
  auto low = pool.submit(scale, values, std::size_t{0}, std::size_t{500'000}, 2.0);
  auto high = pool.submit(scale, values, std::size_t{500'000}, std::size_t{1'000'000}, 2.0);
  low.result();
  high.result();
  CHECK(values[0] == 0.0);
  CHECK(values[999'999] == 1'999'998.0);

  concur::SharedArray<int> table = pool.submit(squares, 1000).result();
  CHECK(table.size() == 1000 && table[999] == 998'001);
  std::printf("mean 2.5, values[999999] = %.0f, squares[999] = %d\n", values[999'999], table[999]);
  return EXIT_SUCCESS;
}
