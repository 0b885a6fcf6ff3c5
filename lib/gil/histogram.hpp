// LogHistogram: durations in logarithmic buckets (sixteen per power of two;
// a percentile is reported as its bucket's middle, within 3% of the truth),
// for the GIL's wait and slice percentiles without keeping every sample.
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

  // percentile: the middle of the bucket holding the q-th sample
  // (0 < q <= 1), never above the largest sample.
  std::chrono::nanoseconds percentile(double q) const {
    if (count_ == 0) return std::chrono::nanoseconds(0);
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= rank) {
        const std::uint64_t middle = (lower_bound(i) + upper_bound(i)) / 2;
        return std::chrono::nanoseconds(static_cast<std::int64_t>(middle < max_ ? middle : max_));
      }
    }
    return max();
  }

 private:
  static constexpr int kSubBits = 4;  // 16 buckets per power of two
  static constexpr std::uint64_t kSub = 1u << kSubBits;

  static std::size_t index(std::uint64_t ns) {
    if (ns < kSub) return static_cast<std::size_t>(ns);
    const int exponent = 63 - std::countl_zero(ns);
    const auto sub = static_cast<std::size_t>((ns >> (exponent - kSubBits)) & (kSub - 1));
    return static_cast<std::size_t>(exponent - kSubBits + 1) * kSub + sub;
  }
  static std::uint64_t lower_bound(std::size_t i) {
    if (i < kSub) return i;
    const std::size_t exponent = i / kSub + kSubBits - 1;
    const std::uint64_t sub = i % kSub;
    return (kSub + sub) << (exponent - kSubBits);
  }
  static std::uint64_t upper_bound(std::size_t i) {
    if (i < kSub) return i;
    const std::size_t exponent = i / kSub + kSubBits - 1;
    return lower_bound(i) + (std::uint64_t{1} << (exponent - kSubBits)) - 1;
  }

  std::array<std::uint64_t, 64 * kSub> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace concur::gil::detail
