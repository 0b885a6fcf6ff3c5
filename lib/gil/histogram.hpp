// LogHistogram: durations in logarithmic buckets (four per power of two,
// so a percentile is within 25% of the truth), for the GIL's wait and slice
// percentiles without keeping every sample.
#pragma once

#include <array>
#include <bit>
#include <chrono>
#include <cstdint>

namespace concur::gil::detail {

class LogHistogram {
 public:
  void add(std::chrono::nanoseconds value) {
    const auto ns = static_cast<std::uint64_t>(value.count() < 0 ? 0 : value.count());
    ++buckets_[index(ns)];
    ++count_;
    if (ns > max_) max_ = ns;
  }

  std::uint64_t count() const noexcept { return count_; }
  std::chrono::nanoseconds max() const noexcept {
    return std::chrono::nanoseconds(static_cast<std::int64_t>(max_));
  }

  // percentile: the upper bound of the bucket holding the q-th sample
  // (0 < q <= 1), never above the largest sample.
  std::chrono::nanoseconds percentile(double q) const {
    if (count_ == 0) return std::chrono::nanoseconds(0);
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= rank) {
        const std::uint64_t bound = upper_bound(i);
        return std::chrono::nanoseconds(static_cast<std::int64_t>(bound < max_ ? bound : max_));
      }
    }
    return max();
  }

 private:
  static std::size_t index(std::uint64_t ns) {
    if (ns < 4) return static_cast<std::size_t>(ns);
    const int exponent = 63 - std::countl_zero(ns);
    const auto sub = static_cast<std::size_t>((ns >> (exponent - 2)) & 3);
    return static_cast<std::size_t>(exponent) * 4 + sub;
  }
  static std::uint64_t upper_bound(std::size_t i) {
    if (i < 4) return i;
    const std::size_t exponent = i / 4;
    const std::uint64_t sub = i % 4;
    return ((4 + sub + 1) << (exponent - 2)) - 1;
  }

  std::array<std::uint64_t, 64 * 4> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace concur::gil::detail
