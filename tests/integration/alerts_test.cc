// Alerts against real PostgreSQL: a paused pipeline whose source keeps
// writing raises RETAINED_WAL_HIGH and LAG_HIGH (status and events), its
// retained WAL, lag bytes and lag seconds agree with figures this test
// computes itself from pg_replication_slots, and resuming clears both once
// the pipeline has caught up (lag back to ~0).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/runtime/engine.h"
#include "tests/integration/engine_fixture.h"
#include "tests/support/pg_environment.h"

namespace dbmazz::runtime {
namespace {

using ::dbmazz::testing::PgEnvironment;
using ::testing::HasSubstr;

class AlertsTest : public EngineFixture {
 protected:
  // pg_current_wal_lsn() - restart_lsn and - confirmed_flush_lsn of `slot`,
  // computed by PostgreSQL.
  std::pair<uint64_t, uint64_t> SlotFigures(const std::string& slot) {
    auto rows =
        PgEnvironment::cluster().Query(absl::StrCat("SELECT pg_current_wal_lsn() - restart_lsn, "
                                                    "pg_current_wal_lsn() - confirmed_flush_lsn "
                                                    "FROM pg_replication_slots WHERE slot_name = '",
                                                    slot, "'"),
                                       db_);
    EXPECT_TRUE(rows.ok() && rows->size() == 1);
    if (!rows.ok() || rows->size() != 1) return {0, 0};
    uint64_t retained = 0, lag = 0;
    EXPECT_TRUE(absl::SimpleAtoi((*rows)[0][0].value_or(""), &retained));
    EXPECT_TRUE(absl::SimpleAtoi((*rows)[0][1].value_or(""), &lag));
    return {retained, lag};
  }

  bool HasWarning(const PipelineStatus& s, WarningKind kind) {
    return std::any_of(s.warnings.begin(), s.warnings.end(),
                       [kind](const PipelineWarning& w) { return w.kind == kind; });
  }

  std::vector<std::string> EventTexts(const std::string& id) {
    std::vector<std::string> out;
    auto events = engine_->Events(id, 200);
    EXPECT_TRUE(events.ok());
    if (events.ok()) {
      for (const auto& e : *events) out.push_back(absl::StrCat(e.kind, " ", e.message));
    }
    return out;
  }
};

TEST_F(AlertsTest, PausedUnderWritesRaisesWarningsThatClearAfterCatchUp) {
  slot_sample_interval_ = absl::Milliseconds(200);
  OpenEngine();
  const std::string id = Id("alerts");
  const std::string slot = pipeline::DefaultSlotName(id);
  pipeline::PipelineSpec spec = Spec();
  spec.alerts.max_retained_wal_bytes = 1 << 20;
  spec.alerts.max_lag = absl::Seconds(2);
  ASSERT_TRUE(engine_->Create(id, spec).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kStreaming)) << Describe(id);
  absl::Time before_writes = absl::Now();
  workload_.Run(0);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(id);
  // Caught up: lag 0, nothing raised.
  ASSERT_TRUE(WaitFor([&] {
    auto s = engine_->Get(id);
    return s.ok() && s->lag == absl::ZeroDuration() && s->warnings.empty();
  })) << Describe(id);

  ASSERT_TRUE(engine_->Pause(id).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kPaused)) << Describe(id);
  // ~4 MB of WAL the paused slot must keep.
  workload_.Sql(
      "INSERT INTO orders SELECT 10000000 + g, 'bulk', g, 'new', repeat('x', 200) "
      "FROM generate_series(1, 12000) g");
  absl::Time committed = absl::Now();
  ASSERT_TRUE(WaitFor([&] {
    auto s = engine_->Get(id);
    return s.ok() && HasWarning(*s, WarningKind::kRetainedWalHigh) &&
           HasWarning(*s, WarningKind::kLagHigh);
  })) << Describe(id);

  // The engine's figures against PostgreSQL's, bracketed: no writes now, the
  // slot is inactive (restart_lsn and confirmed_flush_lsn cannot move) and
  // pg_current_wal_lsn() only grows, so a sample taken between two readings
  // of this test lies between them.
  auto [retained_a, lag_a] = SlotFigures(slot);
  absl::Time read_a = absl::Now();
  // A sample whose queries started after read_a (interval 200 ms; the
  // sample time is taken after its two short queries).
  ASSERT_TRUE(WaitFor([&] {
    auto s = engine_->Get(id);
    return s.ok() && s->slot.has_value() && s->slot->sample_time > read_a + absl::Milliseconds(250);
  }));
  auto status = engine_->Get(id);
  absl::Time status_time = absl::Now();
  auto [retained_b, lag_b] = SlotFigures(slot);
  ASSERT_TRUE(status.ok() && status->slot.has_value());
  EXPECT_GT(retained_a, 1u << 20);
  EXPECT_GE(status->slot->retained_wal_bytes, retained_a);
  EXPECT_LE(status->slot->retained_wal_bytes, retained_b);
  EXPECT_GE(status->lag_bytes, lag_a);
  EXPECT_LE(status->lag_bytes, lag_b);
  EXPECT_GT(status->lag_bytes, 1u << 20);
  // Lag seconds: at least the age of the bulk insert's commit (unapplied),
  // at most the age of the workload's first commit (all applied before the pause).
  EXPECT_GE(status->lag, status_time - committed) << status->lag;
  EXPECT_LE(status->lag, status_time - before_writes) << status->lag;
  std::vector<std::string> events = EventTexts(id);
  EXPECT_THAT(events, ::testing::Contains(HasSubstr("warning_raised RETAINED_WAL_HIGH")));
  EXPECT_THAT(events, ::testing::Contains(HasSubstr("warning_raised LAG_HIGH")));
  EXPECT_THAT(events, ::testing::Contains(HasSubstr("state STREAMING -> PAUSED")));

  // Resumed: it catches up, lag returns to 0 and both warnings clear.
  ASSERT_TRUE(engine_->Resume(id).ok());
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(id);
  ASSERT_TRUE(WaitFor([&] {
    auto s = engine_->Get(id);
    return s.ok() && s->warnings.empty() && s->lag < absl::Milliseconds(500);
  })) << Describe(id);
  ASSERT_TRUE(WaitFor([&] {
    auto s = engine_->Get(id);
    return s.ok() && s->lag == absl::ZeroDuration();
  })) << Describe(id);
  events = EventTexts(id);
  EXPECT_THAT(events, ::testing::Contains(HasSubstr("warning_cleared RETAINED_WAL_HIGH")));
  EXPECT_THAT(events, ::testing::Contains(HasSubstr("warning_cleared LAG_HIGH")));
  // The retained WAL shrank back once the slot confirmed the backlog.
  auto [retained_after, lag_after] = SlotFigures(slot);
  EXPECT_LT(retained_after, 1u << 20);
  (void)lag_after;
}

TEST_F(AlertsTest, StreamingLagGrowsWhileTheSinkIsStuckAndClearsAfter) {
  slot_sample_interval_ = absl::Milliseconds(200);
  OpenEngine();
  const std::string id = Id("stuck");
  pipeline::PipelineSpec spec = Spec();
  spec.alerts.max_lag = absl::Seconds(1);
  ASSERT_TRUE(engine_->Create(id, spec).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kStreaming)) << Describe(id);
  // The next loads take 3 s each: received rows stay pending meanwhile.
  ASSERT_TRUE(
      workload_.emulator().AddFaults(R"({"action":"delay","delay_ms":3000,"count":2})").ok());
  absl::Time commit_floor = absl::Now();
  workload_.Run(1);
  ASSERT_TRUE(WaitFor([&] {
    auto s = engine_->Get(id);
    return s.ok() && HasWarning(*s, WarningKind::kLagHigh);
  })) << Describe(id);
  auto status = engine_->Get(id);
  ASSERT_TRUE(status.ok());
  EXPECT_GT(status->lag, absl::Seconds(1));
  EXPECT_LE(status->lag, absl::Now() - commit_floor + absl::Milliseconds(50));
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(id);
  ASSERT_TRUE(WaitFor([&] {
    auto s = engine_->Get(id);
    return s.ok() && s->warnings.empty() && s->lag == absl::ZeroDuration();
  })) << Describe(id);
}

}  // namespace
}  // namespace dbmazz::runtime
