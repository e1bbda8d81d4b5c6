#include "engine/metrics/process_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

namespace dbmazz::metrics {
namespace {

TEST(ProcessMetricsTest, ParsesStatWithSpacesAndParensInTheName) {
  // Fields 1..24 of /proc/<pid>/stat (utime 14, stime 15, threads 20,
  // starttime 22, vsize 23, rss 24).
  std::string stat =
      "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 1000 "
      "123456789 300 18446744073709551615";
  auto s = ParseProcStat(stat, 100, 4096, 1700000000);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);
  EXPECT_EQ(s->threads, 7u);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1700000010.0);
  EXPECT_EQ(s->virtual_memory_bytes, 123456789u);
  EXPECT_EQ(s->resident_memory_bytes, 300u * 4096);
  EXPECT_FALSE(ParseProcStat("42 (x) S 1 2", 100, 4096, 0).has_value());
  EXPECT_FALSE(ParseProcStat("garbage", 100, 4096, 0).has_value());
}

TEST(ProcessMetricsTest, ReadsThisProcess) {
  std::thread extra([] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); });
  auto s = ReadProcessSample();
  extra.join();
  ASSERT_TRUE(s.has_value());
  EXPECT_GE(s->threads, 2u);
  EXPECT_GT(s->resident_memory_bytes, 1u << 20);
  EXPECT_GE(s->open_fds, 3u);  // stdin, stdout, stderr
  EXPECT_GT(s->max_fds, s->open_fds);
  double now = static_cast<double>(time(nullptr));
  EXPECT_LE(s->start_time_seconds, now + 1);
  EXPECT_GT(s->start_time_seconds, now - 3600);
}

}  // namespace
}  // namespace dbmazz::metrics
