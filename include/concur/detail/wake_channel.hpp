// concur/detail/wake_channel.hpp - where the queues' blocked threads sleep.
// Not API.
#pragma once

#include <atomic>
#include <cstdint>

#include "concur/detail/deadline.hpp"
#include "concur/detail/parking.hpp"

namespace concur::detail {

// WakeChannel: a word to park on and the number of threads parked on it.
struct WakeChannel {
  ParkWord word{0};
  std::atomic<std::uint32_t> parked{0};

  // wait: parks until ready() or the deadline; returns ready()'s last value.
  template <class Ready>
  bool wait(Ready&& ready, Deadline deadline) {
    return wait_until_ready(word, parked, ready, deadline);
  }
  // wake: after the caller changed the state ready() looks at (seq_cst),
  // wakes up to n parked threads, if any.
  void wake(std::uint32_t n) {
    if (parked.load() == 0) return;
    word.fetch_add(1);
    unpark(word, n);
  }
  void wake_all() { wake(0xffffffffU); }
};

}  // namespace concur::detail
