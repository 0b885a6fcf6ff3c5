// concur/map_result.hpp - what Executor::map takes and returns: MapOptions
// and the result range MapResult.
//
//   for (int y : pool.map(square, xs, concur::MapOptions{.timeout = 2s, .chunksize = 64}))
//     total += y;   // in input order; a failed call rethrows at its place
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include "concur/detail/deadline.hpp"
#include "concur/detail/pull_iterator.hpp"
#include "concur/errors.hpp"
#include "concur/future.hpp"

namespace concur {

// MapOptions: how map() runs.
struct MapOptions {
  // timeout: the whole map's deadline, counted from the call; none = forever.
  std::optional<std::chrono::nanoseconds> timeout = std::nullopt;
  // chunksize: how many items one task handles (>= 1; ValueError otherwise).
  // Larger chunks trade cancellability for throughput.
  std::size_t chunksize = 1;
  // buffersize (Python 3.14): at most this many tasks (chunks) are submitted
  // and not yet yielded; the rest are submitted as results are consumed, and
  // the inputs are read only then (an endless input range works; an lvalue
  // range must outlive the result, an rvalue one is moved into it). None =
  // everything submitted at the call. Less than 1 is a ValueError. Reading
  // on after the executor was destroyed throws RuntimeError.
  std::optional<std::size_t> buffersize = std::nullopt;
};

// MapResult<R>: the results of a map(), in input order. Every call was
// submitted before map() returned; iterating only collects. An element whose
// call threw rethrows at its position (for chunks: at the chunk's first
// element), and a deadline that passes throws TimeoutError; either ends the
// iteration and cancels the calls not yet started. Destroying the range after
// it has been stepped also cancels those; one never stepped cancels nothing.
// A yielded reference is valid until the next step; the range then drops it.
// Single pass; movable, not copyable.
template <class R>
class MapResult {
 public:
  using Chunk = Future<std::vector<R>>;
  // Feed: submits the next chunk, if any is left.
  using Feed = std::function<std::optional<Chunk>()>;

  MapResult(std::vector<Chunk> chunks, detail::Deadline deadline)
      : chunks_(std::move(chunks)), deadline_(deadline) {}
  // MapResult(feed, ...): keeps `buffered` chunks submitted ahead of the one
  // being read, taking them from feed().
  MapResult(Feed feed, std::size_t buffered, detail::Deadline deadline)
      : deadline_(deadline), feed_(std::move(feed)), buffered_(buffered) {
    top_up();
  }
  MapResult(MapResult&&) noexcept = default;
  MapResult& operator=(MapResult&&) noexcept = default;
  MapResult(const MapResult&) = delete;
  MapResult& operator=(const MapResult&) = delete;
  ~MapResult() {
    if (stepped_) cancel_rest();
  }

  using iterator = detail::PullIterator<MapResult, R>;

  iterator begin() {
    advance();
    return iterator(this);
  }
  iterator end() const noexcept { return iterator(); }

 private:
  friend iterator;

  bool at_end() const noexcept { return done_; }
  const R& current() const { return chunks_[chunk_].result()[item_]; }

  void advance() {
    if (!stepped_) {
      stepped_ = true;
      chunk_ = 0;
      item_ = 0;
    } else if (++item_ >= chunks_[chunk_].result().size()) {
      chunks_[chunk_] = Future<std::vector<R>>();  // keep nothing already yielded
      ++chunk_;
      item_ = 0;
    }
    // Skip empty chunks; stop at the end.
    for (;; ++chunk_, item_ = 0) {
      top_up();
      if (chunk_ >= chunks_.size()) {
        done_ = true;
        return;
      }
      try {
        if (!chunks_[chunk_].result(remaining()).empty()) return;
      } catch (...) {
        done_ = true;
        cancel_rest();
        throw;
      }
    }
  }

  // remaining: the time left until the deadline (for Future::result).
  std::chrono::steady_clock::duration remaining() const {
    if (deadline_ == detail::kNoDeadline) return std::chrono::steady_clock::duration::max();
    return deadline_ - detail::Clock::now();
  }

  // top_up: keeps buffered_ chunks submitted from the current one on.
  void top_up() {
    while (feed_ && chunks_.size() - std::min(chunk_, chunks_.size()) < buffered_) {
      std::optional<Chunk> next = feed_();
      if (!next) {
        feed_ = nullptr;
        return;
      }
      chunks_.push_back(std::move(*next));
    }
  }

  void cancel_rest() noexcept {
    for (std::size_t i = chunk_; i < chunks_.size(); ++i) {
      if (chunks_[i].valid()) chunks_[i].cancel();
    }
  }

  std::vector<Future<std::vector<R>>> chunks_;
  detail::Deadline deadline_;
  Feed feed_;                 // with a buffersize: the chunks not yet submitted
  std::size_t buffered_ = 0;  // how many to keep submitted ahead
  std::size_t chunk_ = 0;
  std::size_t item_ = 0;
  bool stepped_ = false;
  bool done_ = false;
};

}  // namespace concur
