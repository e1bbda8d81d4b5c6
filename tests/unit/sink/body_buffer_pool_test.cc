#include "engine/sink/body_buffer_pool.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace dbmazz::sink {
namespace {

TEST(BodyBufferPoolTest, EmptyPoolHandsOutFreshReservedBuffers) {
  BodyBufferPool pool(2, 1 << 20);
  std::string b = pool.Take(4096);
  EXPECT_TRUE(b.empty());
  EXPECT_GE(b.capacity(), 4096u);
  EXPECT_EQ(pool.idle_buffers(), 0u);
}

TEST(BodyBufferPoolTest, GivenBuffersComeBackClearedWithTheirMemory) {
  BodyBufferPool pool(2, 1 << 20);
  std::string b = pool.Take(16);
  b.assign(100000, 'x');
  const char* memory = b.data();
  size_t capacity = b.capacity();
  pool.Give(std::move(b));
  EXPECT_EQ(pool.idle_buffers(), 1u);
  EXPECT_EQ(pool.idle_bytes(), capacity);
  std::string again = pool.Take(16);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.data(), memory);
  EXPECT_EQ(again.capacity(), capacity);
  EXPECT_EQ(pool.idle_buffers(), 0u);
}

TEST(BodyBufferPoolTest, TakeReturnsTheLargestIdleBuffer) {
  BodyBufferPool pool(3, 1 << 20);
  for (size_t size : {1000u, 50000u, 9000u}) {
    std::string b;
    b.reserve(size);
    pool.Give(std::move(b));
  }
  EXPECT_GE(pool.Take(16).capacity(), 50000u);
  std::string next = pool.Take(16);
  EXPECT_GE(next.capacity(), 9000u);
  EXPECT_LT(next.capacity(), 50000u);
}

TEST(BodyBufferPoolTest, KeepsAtMostMaxIdleAndNothingOversized) {
  BodyBufferPool pool(2, 1 << 20);
  for (int i = 0; i < 3; ++i) pool.Give(std::string(1000, 'x'));
  EXPECT_EQ(pool.idle_buffers(), 2u);
  pool.Clear();
  EXPECT_EQ(pool.idle_buffers(), 0u);
  pool.Give(std::string((1 << 20) + 1, 'x'));
  EXPECT_EQ(pool.idle_buffers(), 0u);
}

TEST(BodyBufferPoolTest, SharedByThreads) {
  BodyBufferPool pool(4, 1 << 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string b = pool.Take(64);
        ASSERT_TRUE(b.empty());
        b.assign(static_cast<size_t>(100 + t), static_cast<char>('a' + t));
        ASSERT_EQ(b, std::string(static_cast<size_t>(100 + t), static_cast<char>('a' + t)));
        pool.Give(std::move(b));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(pool.idle_buffers(), 4u);
  EXPECT_GE(pool.idle_buffers(), 1u);
}

}  // namespace
}  // namespace dbmazz::sink
