#include "engine/common/malloc_policy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace dbmazz {
namespace {

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)

// Bytes in mmapped blocks right now.
size_t MappedBytes() { return mallinfo2().hblkhd; }

// Allocates `bytes`, touches them and reports whether they were mapped on
// their own.
bool AllocationIsMapped(size_t bytes) {
  size_t before = MappedBytes();
  void* volatile block = std::malloc(bytes);
  std::memset(block, 1, bytes);
  bool mapped = MappedBytes() >= before + bytes;
  std::free(block);
  return mapped;
}

TEST(MallocPolicyTest, LargeBlocksStayMappedAfterALargerOneIsFreed) {
  ASSERT_TRUE(ApplyMallocPolicy());
  // glibc's default would raise its threshold past 2 MiB here and serve the
  // next 2 MiB block from an arena that keeps it after free().
  EXPECT_TRUE(AllocationIsMapped(16 << 20));
  EXPECT_TRUE(AllocationIsMapped(2 << 20));
  EXPECT_TRUE(AllocationIsMapped(kMmapThresholdBytes + 4096));
  EXPECT_FALSE(AllocationIsMapped(kMmapThresholdBytes / 4));
}

#else

TEST(MallocPolicyTest, NotGlibcOrSanitized) { GTEST_SKIP() << "glibc's own malloc only"; }

#endif

}  // namespace
}  // namespace dbmazz
