// concur/detail/pull_iterator.hpp - the iterator of a single-pass range whose
// owner produces one element at a time (as_completed, map). Not API.
//
// The owner provides current() (the element, valid until the next step),
// advance() (produce the next one, or reach the end; may throw) and at_end().
// The range's end() is a PullIterator too (one with no owner), so the pair
// constructs containers: std::vector<R> v(results.begin(), results.end()).
#pragma once

#include <cstddef>
#include <iterator>

namespace concur::detail {

template <class Owner, class Value>
class PullIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using reference = const Value&;
  using pointer = const Value*;

  PullIterator() = default;
  explicit PullIterator(Owner* owner) : owner_(owner) {}

  reference operator*() const { return owner_->current(); }
  PullIterator& operator++() {
    owner_->advance();
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const PullIterator& it, std::default_sentinel_t) { return it.at_end(); }
  // Single pass: two iterators are equal when both are at the end (an
  // owner's iterators all stand at its one current element).
  friend bool operator==(const PullIterator& a, const PullIterator& b) {
    return a.at_end() == b.at_end();
  }

 private:
  bool at_end() const { return owner_ == nullptr || owner_->at_end(); }

  Owner* owner_ = nullptr;
};

}  // namespace concur::detail
