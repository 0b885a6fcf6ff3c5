// concur/detail/gatherer.hpp - what wait() and as_completed() are built on:
// a listener on many futures at once. Not API.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "concur/detail/deadline.hpp"
#include "concur/detail/future_state.hpp"
#include "concur/detail/parking.hpp"
#include "concur/lock.hpp"

namespace concur::detail {

// Gatherer: listens on many futures and records which completed, in order.
class Gatherer {
 public:
  explicit Gatherer(std::size_t count);
  Gatherer(const Gatherer&) = delete;
  Gatherer& operator=(const Gatherer&) = delete;
  ~Gatherer();

  // watch: hooks on future i; false if it was already done.
  bool watch(std::size_t i, FutureStateBase& state);
  // take_completed: appends the indices completed since the last call.
  void take_completed(std::vector<std::size_t>& out);
  // wait_for_more: blocks until a completion not yet taken, or the deadline.
  bool wait_for_more(Deadline deadline);
  // detach: unhooks from every future still watched.
  void detach() noexcept;

 private:
  struct Hook final : Listener {
    Gatherer* owner = nullptr;
    std::size_t index = 0;
    // state: the watched future while hooked; null once it completed (set
    // under the future's lock by notify()).
    std::atomic<FutureStateBase*> state{nullptr};
    void notify(FutureStateBase& done) override;
  };

  std::unique_ptr<Hook[]> hooks_;
  std::size_t count_;
  Lock lock_;
  std::vector<std::size_t> completed_;   // guarded by lock_
  std::atomic<std::size_t> untaken_{0};  // completions not yet taken
  std::atomic<int> notifying_{0};        // hooks inside notify() right now
  ParkWord signal_{0};
  std::atomic<std::uint32_t> parked_{0};
};

}  // namespace concur::detail
