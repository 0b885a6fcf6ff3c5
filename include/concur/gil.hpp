// concur/gil.hpp - CPython's global interpreter lock as a C++ object, to
// measure what an interpreter lock does to a workload.
//
//   concur::gil::Gil gil({.policy = concur::gil::Policy::modern,
//                         .switch_interval = std::chrono::milliseconds(5)});
//   auto cpu_bound = [&] {
//     concur::gil::Held hold(gil);           // a Python thread: runs holding the GIL
//     for (long i = 0; i < n; ++i) {
//       work(i);
//       gil.tick();                          // the eval loop's check point
//     }
//   };
//   auto io_bound = [&] {
//     concur::gil::Held hold(gil);
//     concur::gil::Released blocking(gil);   // Py_BEGIN_ALLOW_THREADS
//     std::this_thread::sleep_for(50ms);     // other threads run meanwhile
//   };
//   std::cout << gil.stats();                // switches, drop requests, waits...
//
// Policies (docs/gil.md walks through the algorithms step by step):
//   modern - CPython >= 3.2. A waiter sleeps for switch_interval; if no
//            other thread took the GIL meanwhile it sets a drop request,
//            which the holder honours at its next tick(): it releases,
//            waits until another thread has taken the GIL (forced
//            switching), then queues again. No queue, no fairness beyond
//            that: the OS picks among waiters, as in CPython.
//   legacy - CPython 2: a plain lock released and at once re-acquired every
//            check_interval ticks, with no hand-off (the multicore thrashing).
//   none   - free threading: acquire/release do no locking, tick() is free.
// tick() costs one relaxed load while no drop request is pending.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace concur::gil {

enum class Policy { modern, legacy, none };

struct Options {
  Policy policy = Policy::modern;
  // switch_interval: sys.setswitchinterval(); kept in whole microseconds
  // (truncated, 0 treated as 1), as CPython does. Must be positive
  // (ValueError "switch interval must be strictly positive").
  std::chrono::nanoseconds switch_interval = std::chrono::milliseconds(5);
  // check_interval: sys.setcheckinterval() of CPython 2, in ticks (legacy
  // only). Must be at least 1 (ValueError).
  std::int64_t check_interval = 100;
};

// Percentiles of a set of durations.
struct Percentiles {
  std::chrono::nanoseconds p50{0};
  std::chrono::nanoseconds p99{0};
  std::chrono::nanoseconds max{0};
};

// ThreadStats: one thread's share.
struct ThreadStats {
  std::size_t thread = 0;  // the order in which threads first took the GIL
  std::uint64_t acquisitions = 0;
  std::chrono::nanoseconds held{0};
  std::chrono::nanoseconds waited{0};
  Percentiles wait;  // of each acquisition's wait
};

// Stats: what the GIL saw since construction or reset_stats().
struct Stats {
  std::uint64_t acquisitions = 0;      // times the GIL was taken
  std::uint64_t switches = 0;          // times it passed to a different thread
  std::uint64_t drop_requests = 0;     // times a waiter asked the holder to drop it
  std::uint64_t forced_switches = 0;   // drops caused by a drop request
  std::chrono::nanoseconds held{0};    // total time held (by anyone)
  std::chrono::nanoseconds waited{0};  // total time threads waited for it
  std::chrono::nanoseconds wall{0};    // time covered by these stats
  Percentiles slice;                   // how long each holder kept it
  std::vector<ThreadStats> threads;

  // switches_per_second: switches / wall.
  double switches_per_second() const;
  // held_fraction: held / wall (gil_load's "held"; py-spy's "GIL: x%").
  double held_fraction() const;
  // table / json: for people and for tools.
  std::string table() const;
  std::string json() const;
};

std::ostream& operator<<(std::ostream& out, const Stats& stats);

class Gil {
 public:
  explicit Gil(Options options = {});
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;
  ~Gil();

  // acquire / release: take_gil / drop_gil. Not recursive: acquiring a GIL
  // you hold, or releasing one you do not, throws RuntimeError.
  void acquire();
  void release();

  // tick: the eval loop's check point, "n bytecodes ran"; call it only
  // while holding the GIL. Modern: honours a pending drop request. Legacy:
  // counts n ticks down and every check_interval releases and re-acquires.
  void tick(std::uint32_t n = 1) {
    switch (policy_) {
      case Policy::modern:
        // relaxed: the request is a hint polled at every check point; the
        // hand-over itself synchronises through the GIL's mutex.
        if (drop_request_.load(std::memory_order_relaxed)) [[unlikely]] {
          honour_drop_request();
        }
        return;
      case Policy::legacy:
        ticker_ -= n;
        if (ticker_ < 0) [[unlikely]]
          legacy_check();
        return;
      case Policy::none:
        return;
    }
  }

  // held_by_me: whether the calling thread holds the GIL (always false for
  // Policy::none, which has no holder).
  bool held_by_me() const noexcept;

  Policy policy() const noexcept { return policy_; }
  Stats stats() const;
  void reset_stats();

 private:
  struct State;

  void honour_drop_request();
  void legacy_check();

  const Policy policy_;
  std::atomic<bool> drop_request_{false};  // CPython's gil_drop_request / eval_breaker
  std::int64_t ticker_ = 0;                // legacy: _Py_Ticker (touched by the holder only)
  std::unique_ptr<State> state_;
};

// Held: holds the GIL for a scope (a thread running Python code).
class Held {
 public:
  explicit Held(Gil& gil) : gil_(gil) { gil_.acquire(); }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  ~Held() { gil_.release(); }

 private:
  Gil& gil_;
};

// Released: lets go of a held GIL for a scope (Py_BEGIN_ALLOW_THREADS ...
// Py_END_ALLOW_THREADS): for blocking calls. Re-acquiring at the end pays
// the convoy latency exactly as CPython does.
class Released {
 public:
  explicit Released(Gil& gil) : gil_(gil) { gil_.release(); }
  Released(const Released&) = delete;
  Released& operator=(const Released&) = delete;
  ~Released() { gil_.acquire(); }

 private:
  Gil& gil_;
};

}  // namespace concur::gil
