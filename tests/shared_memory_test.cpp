// Shared memory and the process pool: big arguments and results through
// reused regions (the automatic path), SharedBuffer and SharedArray (the
// explicit one), workers that lie about regions, kills during transfers,
// memory that cannot be had. Under both start methods; the fixture fails a
// test that leaves a process, a descriptor or a mapping behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "concur/process_pool_executor.hpp"
#include "concur/shared_memory.hpp"
#include "concur/thread_pool_executor.hpp"
#include "process_pool/wire.hpp"
#include "process_pool/worker.hpp"
#include "support/process_pool_test.hpp"
#include "support/processes.hpp"

namespace concur {
namespace {

using test::failure_of;
using test::kHangGuard;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kMiB = std::size_t{1} << 20;

// pattern: `size` bytes that differ with `seed` and position, so a byte
// from another call or another offset shows.
Bytes pattern(std::size_t size, std::uint32_t seed) {
  Bytes bytes(size);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : bytes) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return bytes;
}

// reversed: the result is as big as the argument and depends on all of it.
Bytes reversed(const Bytes& in) {
  return Bytes(in.rbegin(), in.rend());
}
Bytes make_pattern(std::size_t size, std::uint32_t seed) {
  return pattern(size, seed);
}
Bytes filled(std::size_t size) {
  return Bytes(size, 7);
}
std::uint64_t checksum(const Bytes& in) {
  return std::accumulate(in.begin(), in.end(), std::uint64_t{0},
                         [](std::uint64_t sum, std::uint8_t b) { return sum * 31 + b; });
}
int square(int x) {
  return x * x;
}

// mapped_regions: how many regions of shared memory this process maps.
std::size_t mapped_regions() {
  return test::shared_memory_mappings().size();
}

class SharedMemoryTest : public test::PerStartMethod {
 protected:
  ProcessPoolOptions options(std::ptrdiff_t workers, std::size_t threshold = 64 << 10) const {
    ProcessPoolOptions o = PerStartMethod::options(workers);
    o.shm_threshold = threshold;
    return o;
  }
};

INSTANTIATE_TEST_SUITE_P(StartMethods, SharedMemoryTest, test::kStartMethods,
                         test::start_method_name);

// --- The automatic path ------------------------------------------------------------

TEST_P(SharedMemoryTest, SHM_01_BigArgumentsAndResultsGoThroughSharedMemoryIntact) {
  ProcessPoolExecutor pool(options(1));
  const Bytes input = pattern(3 * kMiB, 1);
  EXPECT_EQ(pool.submit(reversed, input).result(kHangGuard), reversed(input));
  // The parent maps the worker's outcome region and its own argument one.
  EXPECT_GE(mapped_regions(), 2u);
}

TEST_P(SharedMemoryTest, SHM_02_PayloadsAroundTheThresholdAndOfChangingSizesArriveIntact) {
  constexpr std::size_t kThreshold = 4096;
  ProcessPoolExecutor pool(options(1, kThreshold));
  // The encoding of a vector is its 8-byte length and its bytes: these
  // straddle the threshold, then grow past one region and shrink again.
  const std::vector<std::size_t> sizes = {
      kThreshold - 9, kThreshold - 8, kThreshold - 7, kThreshold, 2 * kMiB, 5 * kMiB, 100,
      kMiB + 3,       9 * kMiB};
  std::vector<Future<Bytes>> results;
  std::uint32_t seed = 0;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t size : sizes)
      results.push_back(pool.submit(reversed, pattern(size, ++seed)));
  }
  seed = 0;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t size : sizes) {
      EXPECT_EQ(results[seed].result(kHangGuard), reversed(pattern(size, seed + 1)))
          << "size " << size << ", round " << round;
      ++seed;
    }
  }
}

TEST_P(SharedMemoryTest, SHM_03_TwoCallsInFlightPerWorkerNeverShareARegion) {
  // One worker holds two calls at a time: the second is placed while the
  // first is read, and its outcome is written while the first's is read.
  ProcessPoolExecutor pool(options(1));
  std::vector<Future<Bytes>> results;
  for (std::uint32_t i = 0; i < 24; ++i)
    results.push_back(pool.submit(make_pattern, kMiB + i, i));
  std::vector<Future<std::uint64_t>> sums;
  for (std::uint32_t i = 0; i < 24; ++i)
    sums.push_back(pool.submit(checksum, pattern(kMiB + i, i)));
  for (std::uint32_t i = 0; i < 24; ++i) {
    EXPECT_EQ(results[i].result(kHangGuard), pattern(kMiB + i, i)) << i;
    EXPECT_EQ(sums[i].result(kHangGuard), checksum(pattern(kMiB + i, i))) << i;
  }
}

TEST_P(SharedMemoryTest, SHM_04_AThresholdOfZeroSendsEverythingThroughTheSocket) {
  ProcessPoolExecutor pool(options(1, 0));
  const Bytes input = pattern(3 * kMiB, 4);
  EXPECT_EQ(pool.submit(reversed, input).result(kHangGuard), reversed(input));
  EXPECT_EQ(mapped_regions(), 0u);
}

TEST_P(SharedMemoryTest, SHM_05_APayloadBeyondTheReusedSizeIsUnmappedOnceRead) {
  if (test::under_thread_sanitizer())
    GTEST_SKIP() << "257 MiB copied four times: minutes under TSan";
  ProcessPoolExecutor pool(options(1));
  const std::size_t huge = detail::wire::kMaxReusedRegion + kMiB;
  const Bytes result = pool.submit(filled, huge).result(kHangGuard);
  ASSERT_EQ(result.size(), huge);
  EXPECT_EQ(result.front(), 7);
  EXPECT_EQ(result.back(), 7);
  // No mapping of that size stays here (it goes just after the result is
  // delivered, from the pool's manager thread: waited for, with a bound).
  auto largest_mapping = [] {
    unsigned long largest = 0;
    for (const std::string& line : test::shared_memory_mappings()) {
      unsigned long begin = 0;
      unsigned long end = 0;
      if (std::sscanf(line.c_str(), "%lx-%lx", &begin, &end) == 2)
        largest = std::max(largest, end - begin);
    }
    return largest;
  };
  const auto give_up = std::chrono::steady_clock::now() + kHangGuard;
  while (largest_mapping() > detail::wire::kMaxReusedRegion &&
         std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_LE(largest_mapping(), detail::wire::kMaxReusedRegion);
  EXPECT_EQ(pool.submit(checksum, pattern(2 * kMiB, 6)).result(kHangGuard),
            checksum(pattern(2 * kMiB, 6)));
}

// --- Memory that cannot be had ---------------------------------------------------------

// FileSizeLimit: while alive, files (memfd regions too) cannot grow past
// `bytes` in this process: ftruncate fails with EFBIG (SIGXFSZ ignored).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, previous_);
  }

 private:
  rlimit saved_{};
  void (*previous_)(int) = nullptr;
};

TEST_P(SharedMemoryTest, SHM_06_ARegionTheParentCannotMakeFailsThatCallAndThePoolGoesOn) {
  ProcessPoolExecutor pool(options(1));
  ASSERT_EQ(pool.submit(square, 3).result(kHangGuard), 9);  // the worker exists
  Future<std::uint64_t> refused;
  {
    const FileSizeLimit limit(kMiB);
    refused = pool.submit(checksum, pattern(4 * kMiB, 7));
    (void)refused.exception(kHangGuard);  // placed (or refused) under the limit
  }
  EXPECT_CONTAINS(failure_of<std::system_error>(refused), "shared memory");
  EXPECT_EQ(pool.submit(checksum, pattern(4 * kMiB, 8)).result(kHangGuard),
            checksum(pattern(4 * kMiB, 8)));
}

void limit_file_size() {
  rlimit limit{};
  ::getrlimit(RLIMIT_FSIZE, &limit);
  limit.rlim_cur = kMiB;
  ::signal(SIGXFSZ, SIG_IGN);
  ::setrlimit(RLIMIT_FSIZE, &limit);
}

TEST_P(SharedMemoryTest, SHM_07_AnOutcomeTheWorkerCannotPlaceInARegionComesOverTheSocket) {
  ProcessPoolOptions o = options(1);
  o.initializer = limit_file_size;
  ProcessPoolExecutor pool(o);
  EXPECT_EQ(pool.submit(make_pattern, 4 * kMiB, 9).result(kHangGuard), pattern(4 * kMiB, 9));
}

// limit_address_space: the worker may map little more than it has now.
void limit_address_space() {
  std::ifstream statm("/proc/self/statm");
  unsigned long pages = 0;
  statm >> pages;
  const rlim_t now = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE));
  rlimit limit{now + 32 * kMiB, RLIM_INFINITY};
  ::getrlimit(RLIMIT_AS, &limit);
  limit.rlim_cur = now + 32 * kMiB;
  ::setrlimit(RLIMIT_AS, &limit);
}

TEST_P(SharedMemoryTest, SHM_08_ARegionTheWorkerCannotMapFailsThatCallAndTheWorkerGoesOn) {
  if (test::under_sanitizer())
    GTEST_SKIP() << "a sanitizer's shadow memory needs the address space";
  ProcessPoolOptions o = options(1);
  o.initializer = limit_address_space;
  ProcessPoolExecutor pool(o);
  auto refused = pool.submit(checksum, pattern(256 * kMiB, 10));
  EXPECT_CONTAINS(failure_of<std::system_error>(refused), "cannot map");
  const auto pid = pool.worker_pids();
  EXPECT_EQ(pool.submit(square, 5).result(kHangGuard), 25);
  EXPECT_EQ(pool.worker_pids(), pid);
}

// --- Workers that lie about regions ----------------------------------------------------

// send_region_outcome: from inside a task (call 1 of a fresh pool), an
// outcome frame in a region, with the descriptors given, as a hostile
// worker would write it.
void send_region_outcome(std::uint32_t flags, std::uint64_t size, std::vector<int> fds,
                         std::uint16_t announced) {
  detail::wire::RegionRef ref{0, flags, size};
  std::string frame;
  detail::wire::append_frame(frame, detail::wire::Kind::outcome_in_region, 1,
                             std::string_view(reinterpret_cast<const char*>(&ref), sizeof ref),
                             announced);
  detail::wire::write_all(detail::kWorkerOutFd, frame, fds.data(), fds.size());
}

int memfd_of(std::size_t size, bool sealed) {
  const int fd = ::memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return -1;
  if (sealed) ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
  return fd;
}

int send_a_pipe_as_region(int) {
  int ends[2];
  if (::pipe(ends) != 0) return 0;
  send_region_outcome(detail::wire::kNewRegion, 16, {ends[0]}, 1);
  return 1;
}
int send_an_unsealed_region(int) {
  send_region_outcome(detail::wire::kNewRegion, 16, {memfd_of(4096, false)}, 1);
  return 1;
}
int send_a_region_smaller_than_announced(int) {
  send_region_outcome(detail::wire::kNewRegion, 1 << 20, {memfd_of(4096, true)}, 1);
  return 1;
}
int announce_a_region_without_its_descriptor(int) {
  send_region_outcome(detail::wire::kNewRegion, 16, {}, 0);
  return 1;
}
int announce_descriptors_that_do_not_come(int) {
  send_region_outcome(0, 16, {}, 3);
  return 1;
}
int name_a_slot_never_filled(int) {
  send_region_outcome(0, 16, {}, 0);
  return 1;
}
int send_descriptors_with_no_frame(int) {
  std::vector<int> fds;
  for (int i = 0; i < 40; ++i)
    fds.push_back(memfd_of(4096, true));
  for (int round = 0; round < 4; ++round)
    detail::wire::write_all(detail::kWorkerOutFd, " ", fds.data(), fds.size());
  return 1;
}

TEST_P(SharedMemoryTest, SHM_09_ARegionAWorkerLiesAboutFailsItsCallAndTheWorkerIsReplaced) {
  const struct {
    int (*task)(int);
    const char* defect;
  } cases[] = {
      {send_a_pipe_as_region, "is not a memfd"},
      {send_an_unsealed_region, "whose size is not sealed"},
      {send_a_region_smaller_than_announced, "region of 4096 bytes announced as holding 1048576"},
      {announce_a_region_without_its_descriptor, "a new region announced without its descriptor"},
      {announce_descriptors_that_do_not_come, "announcing 3 descriptors, of which 0 came"},
      {name_a_slot_never_filled, "an outcome of 16 bytes in a region of 0"},
      {send_descriptors_with_no_frame, ""},
  };
  for (const auto& c : cases) {
    ProcessPoolExecutor pool(options(1));
    auto hostile = pool.submit(c.task, 0);
    EXPECT_CONTAINS(failure_of<BrokenProcessPool>(hostile), c.defect);
    EXPECT_EQ(pool.submit(square, 4).result(kHangGuard), 16) << c.defect;
  }
}

// --- Kills during transfers --------------------------------------------------------------

// expect_value_or_broken: the future holds `expected` or BrokenProcessPool (its worker
// was killed); anything else is a failure.
template <class T>
void expect_value_or_broken(const Future<T>& future, const T& expected, std::uint32_t i) {
  try {
    EXPECT_EQ(future.result(kHangGuard), expected) << i;
  } catch (const BrokenProcessPool&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << "call " << i << ": " << e.what();
  }
}

TEST_P(SharedMemoryTest, SHM_10_KillsDuringBigTransfersEndEveryCallAndLeaveNothing) {
  std::atomic<int> finished{0};  // outlives the pool, whose callbacks count
  std::atomic<bool> collected{false};
  {
    ProcessPoolExecutor pool(options(2));
    std::vector<Future<std::uint64_t>> sums;
    std::vector<Future<Bytes>> made;
    for (std::uint32_t i = 0; i < 40; ++i) {
      sums.push_back(pool.submit(checksum, pattern(2 * kMiB, i)));
      made.push_back(pool.submit(make_pattern, 2 * kMiB, i));
    }
    for (auto& f : sums)
      f.add_done_callback([&](const Future<std::uint64_t>&) { ++finished; });
    for (auto& f : made)
      f.add_done_callback([&](const Future<Bytes>&) { ++finished; });
    // Kill every worker, then again a few milliseconds after the next call
    // ends (so kills land mid-transfer, yet calls keep ending even where
    // a worker takes long to start, as under a sanitizer).
    std::thread killer([&] {
      std::uint32_t delay = 1;
      while (finished.load() < 80 && !collected.load()) {
        for (int pid : pool.worker_pids())
          ::kill(pid, SIGKILL);
        const int seen = finished.load();
        while (finished.load() == seen && !collected.load())
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        delay = delay * 7 % 11;
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      }
    });
    for (std::uint32_t i = 0; i < 40; ++i) {
      expect_value_or_broken(sums[i], checksum(pattern(2 * kMiB, i)), i);
      expect_value_or_broken(made[i], pattern(2 * kMiB, i), i);
    }
    collected.store(true);
    killer.join();
    // The storm over, the pool still works.
    EXPECT_EQ(pool.submit(checksum, pattern(2 * kMiB, 99)).result(kHangGuard),
              checksum(pattern(2 * kMiB, 99)));
  }  // the fixture checks that nothing is left
}

// --- SharedBuffer and SharedArray --------------------------------------------------------

std::uint64_t read_and_write(SharedBuffer buffer, std::uint8_t mark) {
  std::uint64_t seen = 0;
  for (std::byte b : buffer.bytes())
    seen += static_cast<std::uint8_t>(b);
  std::memset(buffer.data(), mark, buffer.size());
  return seen;
}

TEST_P(SharedMemoryTest, SHM_20_ABufferIsTheSamePagesInTheWorkerWritesShowBothWays) {
  ProcessPoolExecutor pool(options(1));
  SharedBuffer buffer(3 * kMiB + 5);
  std::memset(buffer.data(), 1, buffer.size());
  EXPECT_EQ(pool.submit(read_and_write, buffer, std::uint8_t{7}).result(kHangGuard), buffer.size());
  for (std::byte b : buffer.bytes())
    ASSERT_EQ(static_cast<int>(b), 7);
}

double sum_of(SharedArray<double> values) {
  return std::accumulate(values.begin(), values.end(), 0.0);
}
void scale(SharedArray<double> values, std::size_t from, std::size_t to, double factor) {
  for (std::size_t i = from; i < to; ++i)
    values[i] *= factor;
}

TEST_P(SharedMemoryTest, SHM_21_ArraysAreSharedTypedAndSplitAcrossWorkers) {
  ProcessPoolExecutor pool(options(2));
  SharedArray<double> values(100'000);
  EXPECT_EQ(values.size(), 100'000u);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<double>(i);
  EXPECT_EQ(pool.submit(sum_of, values).result(kHangGuard), 4'999'950'000.0);
  auto low = pool.submit(scale, values, std::size_t{0}, std::size_t{50'000}, 2.0);
  auto high = pool.submit(scale, values, std::size_t{50'000}, std::size_t{100'000}, 3.0);
  low.result(kHangGuard);
  high.result(kHangGuard);
  EXPECT_EQ(values[49'999], 2.0 * 49'999);
  EXPECT_EQ(values[50'000], 3.0 * 50'000);
}

SharedArray<int> squares(int n) {
  SharedArray<int> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    out[static_cast<std::size_t>(i)] = i * i;
  return out;
}

TEST_P(SharedMemoryTest, SHM_22_ABufferMadeInAWorkerComesBackAndOutlivesThePool) {
  SharedArray<int> result;
  {
    ProcessPoolExecutor pool(options(1));
    result = pool.submit(squares, 1000).result(kHangGuard);
  }
  ASSERT_EQ(result.size(), 1000u);
  EXPECT_EQ(result[999], 999 * 999);
}

bool same_pages(SharedBuffer a, std::vector<SharedBuffer> more) {
  for (const SharedBuffer& b : more) {
    if (b.data() != a.data()) return false;
  }
  return true;
}

TEST_P(SharedMemoryTest, SHM_23_HandlesToOneBufferArriveAsOneMappingInContainersToo) {
  ProcessPoolExecutor pool(options(1));
  SharedBuffer buffer(4096);
  SharedBuffer other(4096);
  EXPECT_TRUE(pool.submit(same_pages, buffer, std::vector<SharedBuffer>{buffer, buffer})
                  .result(kHangGuard));
  EXPECT_FALSE(
      pool.submit(same_pages, buffer, std::vector<SharedBuffer>{other}).result(kHangGuard));
}

std::size_t size_of(SharedBuffer buffer) {
  return buffer.size();
}

TEST_P(SharedMemoryTest, SHM_24_AnEmptyHandleTravelsAsEmpty) {
  ProcessPoolExecutor pool(options(1));
  EXPECT_EQ(pool.submit(size_of, SharedBuffer()).result(kHangGuard), 0u);
}

TEST_P(SharedMemoryTest, SHM_25_BuffersInAMapCallReachEveryChunk) {
  ProcessPoolExecutor pool(options(2));
  std::vector<SharedBuffer> buffers;
  for (std::size_t i = 1; i <= 20; ++i)
    buffers.emplace_back(i * 100);
  std::vector<std::size_t> sizes;
  for (std::size_t size : pool.map(size_of, buffers, MapOptions{.chunksize = 3}))
    sizes.push_back(size);
  ASSERT_EQ(sizes.size(), 20u);
  for (std::size_t i = 0; i < 20; ++i)
    EXPECT_EQ(sizes[i], (i + 1) * 100);
}

std::size_t count_buffers(std::vector<SharedBuffer> buffers) {
  return buffers.size();
}
std::vector<SharedBuffer> make_buffers(std::size_t n) {
  std::vector<SharedBuffer> buffers;
  for (std::size_t i = 0; i < n; ++i)
    buffers.emplace_back(64);
  return buffers;
}

TEST_P(SharedMemoryTest, SHM_28_MoreDistinctBuffersThanAFrameCarriesAreAValueErrorEitherWay) {
  ProcessPoolExecutor pool(options(1));
  EXPECT_EQ(pool.submit(count_buffers, make_buffers(detail::kMaxAttachments)).result(kHangGuard),
            detail::kMaxAttachments);
  auto too_many = pool.submit(count_buffers, make_buffers(detail::kMaxAttachments + 1));
  EXPECT_CONTAINS(failure_of<ValueError>(too_many), "at most 63 distinct");
  // The same buffer many times is one region.
  const SharedBuffer one(64);
  EXPECT_EQ(pool.submit(count_buffers, std::vector<SharedBuffer>(200, one)).result(kHangGuard),
            200u);
  // A worker's result too: the error comes back, the worker goes on.
  auto too_many_back = pool.submit(make_buffers, detail::kMaxAttachments + 1);
  EXPECT_CONTAINS(failure_of<ValueError>(too_many_back), "at most 63 distinct");
  EXPECT_EQ(pool.submit(make_buffers, std::size_t{3}).result(kHangGuard).size(), 3u);
}

TEST(SharedMemory, SHM_26_BadSizesAndBytesOutsideATaskAreValueErrors) {
  EXPECT_THROW(SharedBuffer(0), ValueError);
  EXPECT_THROW(SharedArray<int>(0), ValueError);
  EXPECT_THROW(SharedArray<std::uint64_t>(std::size_t{1} << 62), ValueError);
  SharedBuffer buffer(16);
  try {
    (void)to_bytes(buffer);
    ADD_FAILURE() << "no exception";
  } catch (const ValueError& e) {
    EXPECT_CONTAINS(std::string(e.what()), "travels only as an argument or result");
  }
  EXPECT_THROW((void)from_bytes<SharedBuffer>(to_bytes(std::uint64_t{16}) + std::string(4, '\0')),
               ValueError);
}

TEST(SharedMemory, SHM_27_CopiesAreHandlesAndAThreadPoolPassesThemAsValues) {
  SharedArray<int> a(10);
  SharedArray<int> copy = a;
  copy[3] = 42;
  EXPECT_EQ(a[3], 42);
  EXPECT_TRUE(a == copy);
  EXPECT_FALSE(a == SharedArray<int>(10));
  ThreadPoolExecutor pool(1);
  auto seen = pool.submit([](SharedArray<int> v) { return v.data(); }, a).result(kHangGuard);
  EXPECT_EQ(seen, a.data());
  EXPECT_EQ(a.buffer().size(), 10 * sizeof(int));
  EXPECT_TRUE(SharedBuffer().empty());
}

}  // namespace
}  // namespace concur
