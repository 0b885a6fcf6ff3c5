// Test helpers: start threads, wait for a state with a hang guard, measure
// "did not return early". Never used to assert speed.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

namespace concur::test {

using namespace std::chrono_literals;

// kHangGuard: how long a test waits for something that should happen at
// once before it declares a hang. Generous: these machines are noisy.
inline constexpr auto kHangGuard = 20s;

// kShort: a timeout that should expire, for "returned false after >= t".
inline constexpr auto kShort = 50ms;

// eventually: polls `ready` until it holds or the hang guard passes. Returns
// whether it held. The test's handshake counters make this a bounded wait.
template <class Ready>
bool eventually(Ready&& ready) {
  const auto give_up = std::chrono::steady_clock::now() + kHangGuard;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// thread_count: the threads this process has now (a sanitizer's own
// included: compare with a count taken earlier).
inline int thread_count() {
  int threads = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    ++threads;
  return threads;
}

// settled_thread_count: thread_count() once a thread has been started and
// joined: ThreadSanitizer starts its own background thread with the
// process's first thread, which must not count as one a test left behind.
inline int settled_thread_count() {
  std::thread([] {}).join();
  return thread_count();
}

// Threads: runs body(i) on n threads and joins them all on destruction.
class Threads {
 public:
  Threads(std::size_t n, const std::function<void(std::size_t)>& body) {
    threads_.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      threads_.emplace_back(body, i);
  }
  ~Threads() { join(); }
  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::vector<std::thread> threads_;
};

// Stopwatch: elapsed time since construction.
class Stopwatch {
 public:
  std::chrono::steady_clock::duration elapsed() const {
    return std::chrono::steady_clock::now() - start_;
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// kEarlyTolerance: clock granularity allowed when checking "waited >= t".
inline constexpr auto kEarlyTolerance = 1ms;

}  // namespace concur::test

// EXPECT_WAITED_AT_LEAST: the operation did not return before `t`.
#define EXPECT_WAITED_AT_LEAST(stopwatch, t) \
  EXPECT_GE((stopwatch).elapsed() + ::concur::test::kEarlyTolerance, (t))
