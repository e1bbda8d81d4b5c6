#include "engine/runtime/lag_clock.h"

#include <gtest/gtest.h>

namespace dbmazz::runtime {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
absl::Time At(double seconds) { return kT0 + absl::Seconds(seconds); }
constexpr absl::Time kNone = absl::InfiniteFuture();

TEST(LagClockTest, CaughtUpIsZeroHoweverIdleTheSource) {
  LagClock clock(At(0));
  clock.OnStreaming(At(1), kNone, At(-3600), 100);  // last commit an hour ago
  clock.OnSample(At(2), 100, 100);
  EXPECT_EQ(clock.Lag(At(500)), absl::ZeroDuration());
}

TEST(LagClockTest, StreamingLagIsTheAgeOfTheOldestPendingCommit) {
  LagClock clock(At(0));
  clock.OnStreaming(At(10), At(7), At(9), 100);
  EXPECT_EQ(clock.Lag(At(10)), absl::Seconds(3));
  EXPECT_EQ(clock.Lag(At(12)), absl::Seconds(5));
  clock.OnStreaming(At(13), kNone, At(9), 200);  // durable
  EXPECT_EQ(clock.Lag(At(13)), absl::ZeroDuration());
  // Source clock ahead of ours: never negative.
  clock.OnStreaming(At(14), At(20), At(20), 300);
  EXPECT_EQ(clock.Lag(At(14)), absl::ZeroDuration());
}

TEST(LagClockTest, PausedWithUnconsumedWalGrowsFromTheStopUntilCaughtUp) {
  LagClock clock(At(0));
  clock.OnStreaming(At(5), kNone, At(4), 100);
  clock.OnStopped(At(10));           // paused, nothing pending
  clock.OnSample(At(11), 100, 100);  // nothing written yet
  EXPECT_EQ(clock.Lag(At(12)), absl::ZeroDuration());
  clock.OnSample(At(20), 500, 100);                 // the source wrote; the slot holds it
  EXPECT_EQ(clock.Lag(At(20)), absl::Seconds(9));   // behind since the last clean sample
  EXPECT_EQ(clock.Lag(At(50)), absl::Seconds(39));  // and growing
  // Resumed: the backlog's commits arrive in commit order.
  clock.OnStreaming(At(51), At(15), At(16), 300);
  EXPECT_EQ(clock.Lag(At(51)), absl::Seconds(36));  // oldest pending commit at 15
  clock.OnStreaming(At(52), kNone, At(18), 300);    // durable, but WAL up to 500 not read
  EXPECT_EQ(clock.Lag(At(52)), absl::Seconds(34));  // bounded by the newest commit received
  clock.OnStreaming(At(53), kNone, At(19), 500);    // read past the sample: caught up
  EXPECT_EQ(clock.Lag(At(53)), absl::ZeroDuration());
}

TEST(LagClockTest, AStopWithPendingRowsKeepsThemPending) {
  LagClock clock(At(0));
  clock.OnStreaming(At(10), At(8), At(9), 100);
  clock.OnStopped(At(10));  // e.g. the sink failed
  clock.OnSample(At(11), 150, 90);
  EXPECT_EQ(clock.Lag(At(20)), absl::Seconds(12));
}

// StarRocks down: a transaction committed at 10 stays pending through
// retries. The lag must keep growing from 10 — not drop to the time of a
// sample, of the stop, or of the next run's start.
TEST(LagClockTest, PendingRowsStayPendingThroughRetries) {
  LagClock clock(At(0));
  clock.OnStreaming(At(11), At(10), At(10), 100);
  clock.OnSample(At(12), 100, 50);  // received covers the sample, but T(10) is pending
  EXPECT_EQ(clock.Lag(At(13)), absl::Seconds(3));
  clock.OnStopped(At(14));  // the load failed: RETRYING
  EXPECT_EQ(clock.Lag(At(20)), absl::Seconds(10));
  clock.OnSample(At(21), 120, 50);  // only confirmed counts while stopped
  EXPECT_EQ(clock.Lag(At(22)), absl::Seconds(12));
  clock.OnStreaming(At(30), kNone, absl::InfinitePast(), 60);  // next run, behind the old reads
  EXPECT_EQ(clock.Lag(At(31)), absl::Seconds(21));
  clock.OnStreaming(At(32), At(10), At(10), 100);  // T(10) received again, still pending
  EXPECT_EQ(clock.Lag(At(33)), absl::Seconds(23));
  clock.OnStreaming(At(34), kNone, At(10), 100);    // durable now; the sample at 21 not yet
  EXPECT_EQ(clock.Lag(At(35)), absl::Seconds(25));  // bounded by the newest commit received
  clock.OnStreaming(At(36), kNone, At(10), 120);    // read past the sample at 21: caught up
  EXPECT_EQ(clock.Lag(At(37)), absl::ZeroDuration());
}

TEST(LagClockTest, ACoveredSampleAdvancesTheBound) {
  LagClock clock(At(0));
  clock.OnStopped(At(0));  // not streaming yet: no effect
  clock.OnSample(At(5), 500, 100);
  EXPECT_EQ(clock.Lag(At(6)), absl::Seconds(6));
  clock.OnSample(At(8), 500, 500);  // confirmed reached it
  EXPECT_EQ(clock.Lag(At(9)), absl::ZeroDuration());
}

}  // namespace
}  // namespace dbmazz::runtime
