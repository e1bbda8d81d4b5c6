#include "engine/sink/column_mask.h"

#include <unordered_set>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"

namespace dbmazz::sink {
namespace {

TEST(ColumnMaskTest, SetClearTestAndCount) {
  ColumnMask m(10);
  EXPECT_EQ(m.width(), 10u);
  EXPECT_EQ(m.Count(), 0u);
  m.Set(0);
  m.Set(9);
  m.Set(3);
  EXPECT_TRUE(m.Test(0));
  EXPECT_TRUE(m.Test(3));
  EXPECT_TRUE(m.Test(9));
  EXPECT_FALSE(m.Test(1));
  EXPECT_EQ(m.Count(), 3u);
  m.Clear(3);
  EXPECT_FALSE(m.Test(3));
  EXPECT_EQ(m.Count(), 2u);
  // Out of range: ignored / false.
  m.Set(10);
  EXPECT_FALSE(m.Test(10));
  EXPECT_EQ(m.Count(), 2u);
}

TEST(ColumnMaskTest, SetAllRespectsWidth) {
  for (size_t width : {0u, 1u, 63u, 64u, 65u, 128u, 129u, 1600u}) {
    ColumnMask m;
    m.SetAll(width);
    EXPECT_EQ(m.Count(), width) << width;
    EXPECT_TRUE(m.All()) << width;
    EXPECT_FALSE(m.Test(width)) << width;
    if (width > 0) {
      m.Clear(width - 1);
      EXPECT_FALSE(m.All()) << width;
    }
  }
}

TEST(ColumnMaskTest, WideTablesUpTo1600Columns) {
  ColumnMask m(1600);
  for (size_t i = 0; i < 1600; i += 7) m.Set(i);
  size_t expected = 0;
  for (size_t i = 0; i < 1600; ++i) {
    EXPECT_EQ(m.Test(i), i % 7 == 0) << i;
    expected += i % 7 == 0 ? 1 : 0;
  }
  EXPECT_EQ(m.Count(), expected);
}

TEST(ColumnMaskTest, EqualityConsidersWidthAndBits) {
  ColumnMask a(5), b(5), c(6);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);  // same (empty) bits, different width
  a.Set(2);
  EXPECT_NE(a, b);
  b.Set(2);
  EXPECT_EQ(a, b);
  // Reset clears the bits.
  a.Reset(5);
  EXPECT_EQ(a, ColumnMask(5));
}

TEST(ColumnMaskTest, UsableAsHashKeyForGrouping) {
  absl::flat_hash_map<ColumnMask, int> groups;
  ColumnMask full;
  full.SetAll(200);
  ColumnMask partial = full;
  partial.Clear(150);
  groups[full] += 1;
  groups[partial] += 1;
  groups[full] += 1;
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[full], 2);
  EXPECT_EQ(groups[partial], 1);

  std::unordered_set<ColumnMask, ColumnMaskHash> set;
  set.insert(full);
  set.insert(partial);
  set.insert(full);
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace dbmazz::sink
