// concur/detail/pull_iterator.hpp - the iterator of a single-pass range whose
// owner produces one element at a time (as_completed, map). Not API.
//
// The owner provides current() (the element, valid until the next step),
// advance() (produce the next one, or reach the end; may throw) and at_end().
#pragma once

#include <cstddef>
#include <iterator>

namespace concur::detail {

template <class Owner, class Value>
class PullIterator {
 public:
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using reference = const Value&;

  PullIterator() = default;
  explicit PullIterator(Owner* owner) : owner_(owner) {}

  reference operator*() const { return owner_->current(); }
  PullIterator& operator++() {
    owner_->advance();
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const PullIterator& it, std::default_sentinel_t) { return it.at_end(); }

 private:
  bool at_end() const { return owner_ == nullptr || owner_->at_end(); }

  Owner* owner_ = nullptr;
};

}  // namespace concur::detail
