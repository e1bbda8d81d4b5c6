#include "engine/common/histogram.h"

#include <gtest/gtest.h>

namespace dbmazz {
namespace {

constexpr double kBounds[] = {1, 10, 100};

TEST(HistogramTest, CountsEachValueInTheFirstBucketAtOrAboveIt) {
  Histogram h(kBounds);
  h.Observe(0.5);
  h.Observe(1);  // le=1 includes the bound
  h.Observe(1.5);
  h.Observe(100);
  h.Observe(1000);  // +Inf
  EXPECT_EQ(h.bucket(0), 2u);
  EXPECT_EQ(h.bucket(1), 1u);
  EXPECT_EQ(h.bucket(2), 1u);
  EXPECT_EQ(h.bucket(3), 1u);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_DOUBLE_EQ(h.sum(), 1103);
}

TEST(HistogramTest, MergeAddsAndAnEmptyOneTakesTheBounds) {
  Histogram a(kBounds), b(kBounds);
  a.Observe(5);
  b.Observe(5);
  b.Observe(50);
  Histogram empty;
  empty.Merge(a);
  empty.Merge(b);
  EXPECT_EQ(empty.bounds().size(), 3u);
  EXPECT_EQ(empty.bucket(1), 2u);
  EXPECT_EQ(empty.bucket(2), 1u);
  EXPECT_EQ(empty.count(), 3u);
  EXPECT_DOUBLE_EQ(empty.sum(), 60);
}

}  // namespace
}  // namespace dbmazz
