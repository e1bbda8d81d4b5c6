// A fixed-bucket histogram for metrics: counts per bucket, sum and count,
// exported as a Prometheus histogram. The bucket bounds are a static array
// (not copied); copying a Histogram never allocates.
//
//   static constexpr double kBounds[] = {0.01, 0.1, 1};
//   Histogram h(kBounds);
//   h.Observe(0.05);   // bucket le=0.1
//
// Thread-safety: a value type, thread-compatible.
#ifndef DBMAZZ_ENGINE_COMMON_HISTOGRAM_H_
#define DBMAZZ_ENGINE_COMMON_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace dbmazz {

class Histogram {
 public:
  static constexpr size_t kMaxBounds = 15;  // finite bounds; +Inf is implicit

  Histogram() = default;  // no finite bounds: one +Inf bucket
  // `bounds`: strictly ascending, at most kMaxBounds (extra ones are
  // ignored); must outlive the histogram (use a static array).
  explicit Histogram(std::span<const double> bounds)
      : bounds_(bounds.first(bounds.size() < kMaxBounds ? bounds.size() : kMaxBounds)) {}

  // Counts `value` in the first bucket whose bound is >= value.
  void Observe(double value) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    ++counts_[i];
    ++count_;
    sum_ += value;
  }
  // Adds `other`'s observations; it must have the same bounds (an empty
  // default-constructed histogram takes `other`'s).
  void Merge(const Histogram& other) {
    if (bounds_.empty() && count_ == 0) bounds_ = other.bounds_;
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
  }

  std::span<const double> bounds() const { return bounds_; }
  // Observations in bucket `i` alone (not cumulative); i == bounds().size()
  // is the +Inf bucket.
  uint64_t bucket(size_t i) const { return counts_[i]; }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::span<const double> bounds_;
  std::array<uint64_t, kMaxBounds + 1> counts_{};
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace dbmazz

#endif  // DBMAZZ_ENGINE_COMMON_HISTOGRAM_H_
