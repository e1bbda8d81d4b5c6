// One pipeline's run loop against real PostgreSQL, the emulator and a real
// SQLite state file: convergence, crash recovery from the stored checkpoint,
// the acknowledgement order, pause (Stop) and the never-recreate-a-slot rule.
#include "engine/pipeline/pipeline_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "engine/postgres/source_admin.h"
#include "tests/integration/shop_workload.h"
#include "tests/support/pg_environment.h"

namespace dbmazz::pipeline {
namespace {

using testing::PgEnvironment;
using testing::ShopWorkload;

class PipelineRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    db_ = absl::StrCat("runner_", counter.fetch_add(1));
    absl::Status s = workload_.SetUp(&PgEnvironment::cluster(), db_);
    ASSERT_TRUE(s.ok()) << s;
    char dir[] = "/tmp/dbmazz-state-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    state_path_ = absl::StrCat(dir, "/state.db");
    OpenStore();
    state::PipelineRecord record;
    record.pipeline_id = db_;
    record.spec = "{}";
    record.slot_name = absl::StrCat("dbmazz_", db_);
    record.publication_name = "p";
    ASSERT_TRUE(store_->CreatePipeline(record, kInvalidLsn).ok());
  }

  void OpenStore() {
    store_.reset();
    auto store = state::StateStore::Open(state_path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  RunnerConfig Config() {
    RunnerConfig c;
    c.pipeline_id = db_;
    c.dsn = PgEnvironment::cluster().Dsn(db_);
    c.slot_name = absl::StrCat("dbmazz_", db_);
    c.publication_name = "p";
    c.tables = {postgres::TableName{"public", "orders"}, postgres::TableName{"public", "items"}};
    c.sink.limits.max_rows = 50;
    c.sink.limits.max_latency = absl::Milliseconds(100);
    c.stream_load.fe_url = workload_.emulator().fe_url();
    c.stream_load.database = ShopWorkload::kDatabase;
    c.stream_load.user = ShopWorkload::kUser;
    c.stream_load.password = ShopWorkload::kPassword;
    return c;
  }

  absl::Status StepUntil(PipelineRunner& runner, const std::function<bool()>& done) {
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (!done()) {
      if (absl::Now() > deadline) return absl::DeadlineExceededError("did not converge");
      if (absl::Status s = runner.Step(absl::Milliseconds(50)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<postgres::SlotInfo> Slot() {
    auto conn = postgres::PgConnection::Connect(PgEnvironment::cluster().Dsn(db_), {});
    if (!conn.ok()) return conn.status();
    auto slot = postgres::SourceAdmin(conn->get()).GetSlot(absl::StrCat("dbmazz_", db_));
    if (!slot.ok()) return slot.status();
    if (!slot->has_value()) return absl::NotFoundError("no slot");
    return **slot;
  }

  std::string db_;
  std::string state_path_;
  ShopWorkload workload_;
  std::unique_ptr<state::StateStore> store_;
};

TEST_F(PipelineRunnerTest, ConvergesAndConfirmsOnlyWhatIsCheckpointed) {
  auto runner = PipelineRunner::Start(Config(), store_.get());
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto record = store_->GetPipeline(db_);
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(record->slot_created_by_us);
  workload_.Run(0);
  ASSERT_TRUE(StepUntil(**runner, [&] { return workload_.Converged(); }).ok());
  // The flush position sent to PostgreSQL never passes the stored checkpoint.
  auto stored = store_->LoadCheckpoint(db_);
  ASSERT_TRUE(stored.ok());
  EXPECT_GT(*stored, 0u);
  EXPECT_LE((*runner)->stream().flush_lsn(),
            std::max(*stored, (*runner)->stream().server_wal_end()));
  ASSERT_TRUE((*runner)->Stop().ok());
  auto slot = Slot();
  ASSERT_TRUE(slot.ok()) << slot.status();
  stored = store_->LoadCheckpoint(db_);
  ASSERT_TRUE(stored.ok());
  EXPECT_GE(slot->confirmed_flush_lsn, *stored);
}

TEST_F(PipelineRunnerTest, CrashResumesFromTheStoredCheckpoint) {
  {
    auto runner = PipelineRunner::Start(Config(), store_.get());  // creates the slot
    ASSERT_TRUE(runner.ok()) << runner.status();
    workload_.Run(0);
    ASSERT_TRUE(
        StepUntil(**runner, [&] { return (*runner)->sink_stats().batches_loaded >= 3; }).ok());
    // Crash: no Stop(), buffered rows are lost, the connection just goes away.
  }
  OpenStore();  // as a restarted process would
  workload_.Run(1);
  auto runner = PipelineRunner::Start(Config(), store_.get());
  ASSERT_TRUE(runner.ok()) << runner.status();
  absl::Status s = StepUntil(**runner, [&] { return workload_.Converged(); });
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_TRUE((*runner)->Stop().ok());
}

TEST_F(PipelineRunnerTest, StopFlushesAndResumeContinues) {
  auto runner = PipelineRunner::Start(Config(), store_.get());
  ASSERT_TRUE(runner.ok()) << runner.status();
  workload_.Run(0);
  ASSERT_TRUE(StepUntil(**runner, [&] { return (*runner)->sink_stats().transactions >= 3; }).ok());
  ASSERT_TRUE((*runner)->Stop().ok());  // pause: everything received is loaded and checkpointed
  runner->reset();
  workload_.Run(1);  // changes while paused stay in the slot
  auto resumed = PipelineRunner::Start(Config(), store_.get());
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_TRUE(StepUntil(**resumed, [&] { return workload_.Converged(); }).ok());
  ASSERT_TRUE((*resumed)->Stop().ok());
}

TEST_F(PipelineRunnerTest, ASlotDroppedBehindOurBackIsNeverRecreated) {
  {
    auto runner = PipelineRunner::Start(Config(), store_.get());
    ASSERT_TRUE(runner.ok()) << runner.status();
    ASSERT_TRUE((*runner)->Stop().ok());
  }
  workload_.Sql(absl::StrCat("SELECT pg_drop_replication_slot('dbmazz_", db_, "')"));
  auto runner = PipelineRunner::Start(Config(), store_.get());
  ASSERT_FALSE(runner.ok());
  EXPECT_EQ(runner.status().code(), absl::StatusCode::kFailedPrecondition) << runner.status();
  EXPECT_THAT(std::string(runner.status().message()), ::testing::HasSubstr("will not recreate"));
  EXPECT_EQ(Slot().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PipelineRunnerTest, AnAdoptedSlotDroppedBehindOurBackIsNeverRecreated) {
  // The slot exists before the pipeline first starts: it is adopted, not ours.
  workload_.Sql(
      absl::StrCat("SELECT pg_create_logical_replication_slot('dbmazz_", db_, "', 'pgoutput')"));
  {
    auto runner = PipelineRunner::Start(Config(), store_.get());
    ASSERT_TRUE(runner.ok()) << runner.status();
    auto record = store_->GetPipeline(db_);
    ASSERT_TRUE(record.ok());
    EXPECT_FALSE(record->slot_created_by_us);
    workload_.Run(0);
    ASSERT_TRUE(StepUntil(**runner, [&] { return workload_.Converged(); }).ok());
    ASSERT_TRUE((*runner)->Stop().ok());
  }
  workload_.Sql(absl::StrCat("SELECT pg_drop_replication_slot('dbmazz_", db_, "')"));
  workload_.Run(1);  // would be skipped by a recreated slot
  auto runner = PipelineRunner::Start(Config(), store_.get());
  ASSERT_FALSE(runner.ok());
  EXPECT_EQ(runner.status().code(), absl::StatusCode::kFailedPrecondition) << runner.status();
  EXPECT_EQ(Slot().status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace dbmazz::pipeline
