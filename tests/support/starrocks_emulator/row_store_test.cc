// RowStore: in-place replacement, moves, frees, slot reuse, rows with blocks
// of their own and compaction, checked through Get and the byte accounting.
#include "tests/support/starrocks_emulator/row_store.h"

#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <random>
#include <string>

namespace dbmazz::starrocks_emulator {
namespace {

RowStore::Options Tiny() {
  RowStore::Options options;
  options.block_bytes = 64;
  options.compaction_floor_bytes = 0;
  return options;
}

TEST(RowStoreTest, ReplacesInPlaceWhenTheRowFits) {
  RowStore store(Tiny());
  uint32_t a = store.Add("abcdef");
  uint32_t b = store.Add("xyz");
  EXPECT_NE(a, b);
  const char* where = store.Get(a).data();
  store.Set(a, "ABC");  // Shorter: in place.
  EXPECT_EQ(store.Get(a), "ABC");
  EXPECT_EQ(store.Get(a).data(), where);
  store.Set(a, "123456");  // Back to the capacity: still in place.
  EXPECT_EQ(store.Get(a), "123456");
  EXPECT_EQ(store.Get(a).data(), where);
  RowStore::Stats stats = store.stats();
  EXPECT_EQ(stats.used_bytes, 9u);
  EXPECT_EQ(stats.dead_bytes, 0u);

  store.Set(a, "1234567");  // Larger: moves, the old bytes die.
  EXPECT_EQ(store.Get(a), "1234567");
  EXPECT_EQ(store.Get(b), "xyz");
  stats = store.stats();
  EXPECT_EQ(stats.used_bytes, 16u);
  EXPECT_EQ(stats.dead_bytes, 6u);
}

TEST(RowStoreTest, FreedSlotsAreReusedAndTheirBytesDie) {
  RowStore store(Tiny());
  uint32_t a = store.Add("aaaa");
  uint32_t b = store.Add("bb");
  store.Free(a);
  EXPECT_EQ(store.stats().dead_bytes, 4u);
  EXPECT_EQ(store.stats().free_slots, 1u);
  uint32_t c = store.Add("cccccc");
  EXPECT_EQ(c, a);
  EXPECT_EQ(store.Get(c), "cccccc");
  EXPECT_EQ(store.Get(b), "bb");
  EXPECT_EQ(store.slot_count(), 2u);
  EXPECT_EQ(store.stats().free_slots, 0u);
}

TEST(RowStoreTest, BlocksFillUpAndLargeRowsGetTheirOwn) {
  RowStore store(Tiny());  // 64-byte blocks; rows over 16 bytes get their own.
  for (int i = 0; i < 8; ++i) (void)store.Add(std::string(10, static_cast<char>('a' + i)));
  EXPECT_EQ(store.stats().blocks, 2u);  // 6 rows in the first block, 2 in the second.
  uint32_t big = store.Add(std::string(100, 'Z'));
  EXPECT_EQ(store.stats().blocks, 3u);
  uint32_t small = store.Add("s");  // Still fits the second block.
  EXPECT_EQ(store.stats().blocks, 3u);
  EXPECT_EQ(store.Get(big), std::string(100, 'Z'));
  EXPECT_EQ(store.Get(small), "s");
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(store.Get(static_cast<uint32_t>(i)), std::string(10, static_cast<char>('a' + i)));
  }
  EXPECT_EQ(store.stats().block_bytes, 64u * 2 + 100);
}

TEST(RowStoreTest, BlocksGrowFromTheFirstSizeToTheLast) {
  RowStore::Options options;
  options.first_block_bytes = 64;
  options.block_bytes = 256;
  RowStore store(options);
  for (int i = 0; i < 64; ++i) (void)store.Add(std::string(16, 'r'));  // 1 KiB of rows.
  // 64 + 128 + 256 + 256 + 256 + 256 (the last one a quarter used).
  EXPECT_EQ(store.stats().blocks, 6u);
  EXPECT_EQ(store.stats().block_bytes, 64u + 128 + 4 * 256);
  EXPECT_EQ(store.Get(63), std::string(16, 'r'));
  store.Clear();
  (void)store.Add("x");
  EXPECT_EQ(store.stats().block_bytes, 64u);  // Back to the first size.
}

TEST(RowStoreTest, CompactsOnceDeadBytesOutweighLiveOnes) {
  RowStore::Options options = Tiny();
  options.compaction_floor_bytes = 40;
  RowStore store(options);
  uint32_t keep = store.Add("keep-me");
  uint32_t gone = store.Add(std::string(30, 'x'));
  uint32_t other = store.Add(std::string(12, 'o'));
  store.Set(keep, "keep");  // Shrinks in place: the spare capacity is not dead.
  store.Free(gone);
  EXPECT_FALSE(store.MaybeCompact());      // 30 dead bytes: under the floor.
  store.Set(other, std::string(13, 'p'));  // 12 more dead bytes.
  RowStore::Stats before = store.stats();
  EXPECT_EQ(before.dead_bytes, 42u);
  ASSERT_TRUE(store.MaybeCompact());
  RowStore::Stats after = store.stats();
  EXPECT_EQ(after.compactions, 1u);
  EXPECT_EQ(after.dead_bytes, 0u);
  EXPECT_EQ(after.used_bytes, 4u + 13u);  // Packed to the rows' sizes.
  EXPECT_EQ(store.Get(keep), "keep");
  EXPECT_EQ(store.Get(other), std::string(13, 'p'));
  EXPECT_EQ(store.Get(gone), "");
  EXPECT_EQ(store.Add("again"), gone);  // The free slot survives compaction.
  EXPECT_FALSE(store.MaybeCompact());
}

TEST(RowStoreTest, MatchesAMapUnderRandomOperations) {
  RowStore store(Tiny());
  std::map<uint32_t, std::string> model;
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    std::string row(rng() % 5 == 0 ? rng() % 80 : rng() % 12, static_cast<char>('a' + i % 26));
    int what = static_cast<int>(rng() % 3);
    if (what == 0 || model.empty()) {
      uint32_t slot = store.Add(row);
      ASSERT_EQ(model.count(slot), 0u);
      model[slot] = row;
    } else {
      auto it = model.begin();
      std::advance(it, rng() % model.size());
      if (what == 1) {
        store.Set(it->first, row);
        it->second = row;
      } else {
        store.Free(it->first);
        model.erase(it);
      }
    }
    store.MaybeCompact();
    if (i % 500 == 0) {
      for (const auto& [slot, expected] : model) ASSERT_EQ(store.Get(slot), expected) << i;
    }
  }
  for (const auto& [slot, expected] : model) EXPECT_EQ(store.Get(slot), expected);
  RowStore::Stats stats = store.stats();
  EXPECT_GT(stats.compactions, 10u);
  EXPECT_LE(stats.dead_bytes, stats.used_bytes - stats.dead_bytes);
  store.Clear();
  EXPECT_EQ(store.slot_count(), 0u);
  EXPECT_EQ(store.stats().blocks, 0u);
  EXPECT_EQ(store.Get(store.Add("fresh")), "fresh");
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
