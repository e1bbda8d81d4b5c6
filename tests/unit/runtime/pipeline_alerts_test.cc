#include "engine/runtime/pipeline_alerts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dbmazz::runtime {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

SlotHealth Slot(uint64_t retained, std::string wal_status = "reserved") {
  SlotHealth s;
  s.exists = true;
  s.retained_wal_bytes = retained;
  s.wal_status = std::move(wal_status);
  return s;
}

pipeline::AlertSpec Thresholds() {
  pipeline::AlertSpec a;
  a.max_retained_wal_bytes = 10 << 20;
  a.max_lag = absl::Seconds(60);
  return a;
}

TEST(PipelineAlertsTest, RetainedWalRaisesOnceAndClearsBelowNinetyPercent) {
  PipelineAlerts alerts(Thresholds());
  EXPECT_TRUE(alerts.Evaluate({.slot = Slot(10 << 20)}, kNow).empty());  // at, not above
  auto raised = alerts.Evaluate({.slot = Slot(11 << 20)}, kNow);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_TRUE(raised[0].raised);
  EXPECT_EQ(raised[0].warning.kind, WarningKind::kRetainedWalHigh);
  EXPECT_EQ(raised[0].warning.since, kNow);
  EXPECT_THAT(raised[0].warning.message, HasSubstr("11.0 MiB"));
  EXPECT_THAT(raised[0].warning.message, HasSubstr("alerts.max_retained_wal_bytes 10.0 MiB"));
  // Still above: no new change, the message follows the figure, `since` stays.
  EXPECT_TRUE(alerts.Evaluate({.slot = Slot(12 << 20)}, kNow + absl::Seconds(5)).empty());
  ASSERT_EQ(alerts.warnings().size(), 1u);
  EXPECT_THAT(alerts.warnings()[0].message, HasSubstr("12.0 MiB"));
  EXPECT_EQ(alerts.warnings()[0].since, kNow);
  // Hysteresis: 9.5 MiB keeps it, 9 MiB clears it.
  EXPECT_TRUE(alerts.Evaluate({.slot = Slot(19 << 19)}, kNow).empty());
  auto cleared = alerts.Evaluate({.slot = Slot(9 << 20)}, kNow);
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_FALSE(cleared[0].raised);
  EXPECT_TRUE(alerts.warnings().empty());
}

TEST(PipelineAlertsTest, LagAndUnreservedSlot) {
  PipelineAlerts alerts(Thresholds());
  auto changes = alerts.Evaluate({.slot = Slot(0, "unreserved"), .lag = absl::Seconds(61)}, kNow);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].warning.kind, WarningKind::kLagHigh);
  EXPECT_THAT(changes[0].warning.message, HasSubstr("lag 1m1s (alerts.max_lag 1m)"));
  EXPECT_EQ(changes[1].warning.kind, WarningKind::kSlotWalUnreserved);
  EXPECT_THAT(changes[1].warning.message, HasSubstr("max_slot_wal_keep_size"));
  // Completed/deleting pipelines watch nothing: everything clears.
  auto cleared = alerts.Evaluate(
      {.slot = Slot(0, "unreserved"), .lag = absl::Seconds(61), .active = false}, kNow);
  EXPECT_EQ(cleared.size(), 2u);
  EXPECT_TRUE(alerts.warnings().empty());
}

TEST(PipelineAlertsTest, ZeroDisablesAndMissingSlotsRaiseNothing) {
  pipeline::AlertSpec off;
  off.max_lag = absl::ZeroDuration();
  off.max_retained_wal_bytes = 0;
  PipelineAlerts alerts(off);
  EXPECT_TRUE(alerts.Evaluate({.slot = Slot(1ull << 40), .lag = absl::Hours(100)}, kNow).empty());
  PipelineAlerts on(Thresholds());
  SlotHealth missing;
  missing.retained_wal_bytes = 1ull << 40;
  EXPECT_TRUE(on.Evaluate({.slot = missing}, kNow).empty());
  EXPECT_TRUE(on.Evaluate({}, kNow).empty());
}

TEST(PipelineAlertsTest, KindNames) {
  EXPECT_EQ(WarningKindName(WarningKind::kRetainedWalHigh), "RETAINED_WAL_HIGH");
  EXPECT_EQ(WarningKindName(WarningKind::kLagHigh), "LAG_HIGH");
  EXPECT_EQ(WarningKindName(WarningKind::kSlotWalUnreserved), "SLOT_WAL_UNRESERVED");
}

}  // namespace
}  // namespace dbmazz::runtime
