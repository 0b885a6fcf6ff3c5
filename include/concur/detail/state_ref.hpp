// concur/detail/state_ref.hpp - StateRef: an owning pointer to an
// intrusively counted state (add_ref/release), for futures and tasks. Not API.
#pragma once

#include <utility>

namespace concur::detail {

// StateRef: an owning pointer to a shared state (the intrusive count).
template <class State>
class StateRef {
 public:
  StateRef() = default;
  explicit StateRef(State* adopted) noexcept : state_(adopted) {}
  StateRef(const StateRef& other) noexcept : state_(other.state_) {
    if (state_ != nullptr) state_->add_ref();
  }
  StateRef(StateRef&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  StateRef& operator=(StateRef other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~StateRef() {
    if (state_ != nullptr) state_->release_ref();
  }
  State* get() const noexcept { return state_; }
  State* operator->() const noexcept { return state_; }

 private:
  State* state_ = nullptr;
};

}  // namespace concur::detail
