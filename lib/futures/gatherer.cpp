// Gatherer: the machinery behind wait() and as_completed().
#include "concur/detail/gatherer.hpp"

#include <mutex>

#include "concur/detail/lock_guard.hpp"
#include "concur/errors.hpp"

namespace concur::detail {

Gatherer::Gatherer(std::size_t count) : hooks_(new Hook[count]), count_(count) {
  for (std::size_t i = 0; i < count; ++i) {
    hooks_[i].owner = this;
    hooks_[i].index = i;
  }
}

Gatherer::~Gatherer() {
  detach();
}

bool Gatherer::watch(std::size_t i, FutureStateBase& state) {
  hooks_[i].state.store(&state, std::memory_order_relaxed);
  if (state.add_listener(hooks_[i])) return true;
  hooks_[i].state.store(nullptr, std::memory_order_relaxed);
  return false;
}

void Gatherer::Hook::notify(FutureStateBase&) {
  // Runs under the future's lock: detach() cannot be unhooking us right now.
  // Once the completion below is visible, the owner may finish and be
  // destroyed; it first waits for notifying_ to drop to 0, our last access.
  owner->notifying_.fetch_add(1);
  state.store(nullptr, std::memory_order_release);
  {
    LockGuard hold(owner->lock_);
    owner->completed_.push_back(index);
  }
  owner->untaken_.fetch_add(1);  // seq_cst: before the parked check (Dekker)
  if (owner->parked_.load() != 0) {
    owner->signal_.fetch_add(1);
    unpark_all(owner->signal_);
  }
  owner->notifying_.fetch_sub(1, std::memory_order_release);  // nothing of owner after this
}

void Gatherer::take_completed(std::vector<std::size_t>& out) {
  LockGuard hold(lock_);
  out.insert(out.end(), completed_.begin(), completed_.end());
  untaken_.fetch_sub(completed_.size());
  completed_.clear();
}

bool Gatherer::wait_for_more(Deadline deadline) {
  return wait_until_ready(
      signal_, parked_, [this] { return untaken_.load() != 0; }, deadline);
}

void Gatherer::detach() noexcept {
  for (std::size_t i = 0; i < count_; ++i) {
    // A future still hooked is alive: its owner keeps a handle to every
    // future it has not yet handed out, and a completed one is unhooked.
    FutureStateBase* state = hooks_[i].state.load(std::memory_order_acquire);
    if (state != nullptr) state->remove_listener(hooks_[i]);
  }
  // A hook already unhooked may still be inside notify(): wait it out.
  // acquire: pairs with notify()'s final release.
  while (notifying_.load(std::memory_order_acquire) != 0)
    cpu_relax();
}

}  // namespace concur::detail
