// The initial snapshot through the engine, against real PostgreSQL and the
// emulator: existing rows copied in chunks (key ranges for orders, block
// ranges for the composite-key items) while a writer changes the tables,
// then streaming from the slot's consistent point, ending equal row for row;
// pause/resume and an engine restart mid-snapshot; delete mid-snapshot;
// snapshot_mode never.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/integration/engine_fixture.h"

namespace dbmazz::runtime {
namespace {

using ::testing::HasSubstr;

class SnapshotTest : public EngineFixture {
 protected:
  // Waits for both sides to be equal; on failure says how far apart they are.
  ::testing::AssertionResult Converges(const std::string& id,
                                       absl::Duration timeout = absl::Seconds(240)) {
    if (WaitFor([&] { return workload_.Converged(); }, timeout)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "not converged: " << workload_.SourceOrders().size() << " source orders, "
           << workload_.TargetOrders().size() << " target orders; " << Describe(id);
  }

  void SetUp() override {
    options_.snapshot_chunk_rows = 20000;
    EngineFixture::SetUp();
  }

  // 200,000 orders (every 500th with a TOASTed note) and 60,000 items, ids
  // far from the workload's rounds.
  void Preload() {
    workload_.Sql(
        "INSERT INTO orders SELECT 10000000 + i, 'c' || i, (i % 1000) * 1.5, "
        "CASE WHEN i % 3 = 0 THEN NULL ELSE 'old' END, "
        "CASE WHEN i % 500 = 0 THEN repeat(md5(i::text), 300) ELSE 'n' || i END "
        "FROM generate_series(1, 200000) i");
    workload_.Sql(
        "INSERT INTO items SELECT 10000000 + i, l, 's' || l, l FROM "
        "generate_series(1, 20000) i, generate_series(1, 3) l");
    workload_.Sql("ANALYZE orders; ANALYZE items");
  }

  // Pauses once `chunks` chunks have landed, and waits for PAUSED.
  ::testing::AssertionResult PauseAfterChunks(const std::string& id, int chunks) {
    if (!WaitFor([&] {
          auto s = Snapshot(id);
          return s && s->chunks_done >= chunks;
        })) {
      return ::testing::AssertionFailure() << "no " << chunks << " chunks: " << Describe(id);
    }
    if (!engine_->Pause(id).ok() || !WaitForState(id, PipelineState::kPaused, absl::Seconds(10))) {
      return ::testing::AssertionFailure() << "not paused: " << Describe(id);
    }
    return ::testing::AssertionSuccess();
  }

  std::optional<SnapshotStatus> Snapshot(const std::string& id) {
    auto status = engine_->Get(id);
    if (!status.ok()) return std::nullopt;
    return status->snapshot;
  }

  // Runs workload rounds on a thread until Stop().
  class Writer {
   public:
    explicit Writer(testing::ShopWorkload& workload, int first_round = 1)
        : thread_([this, &workload, first_round] {
            for (int round = first_round; !stop_.load(); ++round) {
              workload.Run(round);
              rounds_.store(round);
            }
          }) {}
    ~Writer() { Stop(); }
    void Stop() {
      stop_.store(true);
      if (thread_.joinable()) thread_.join();
    }
    int rounds() const { return rounds_.load(); }

   private:
    std::atomic<bool> stop_{false};
    std::atomic<int> rounds_{0};
    std::thread thread_;
  };
};

TEST_F(SnapshotTest, CopiesExistingRowsWhileTheyChangeThenStreams) {
  Preload();
  workload_.Run(1000);  // more shapes: TOAST, PK changes, deletes
  Writer writer(workload_);
  std::string id = Id("snap");
  auto created = engine_->Create(id, Spec());
  ASSERT_TRUE(created.ok()) << created.status();
  bool saw_snapshotting = false;
  ASSERT_TRUE(WaitFor(
      [&] {
        PipelineState state = StateOf(id);
        saw_snapshotting = saw_snapshotting || state == PipelineState::kSnapshotting;
        return state == PipelineState::kStreaming;
      },
      absl::Seconds(120)))
      << Describe(id);
  EXPECT_TRUE(saw_snapshotting);
  // Changes keep coming after the copy; then everything settles.
  int rounds = writer.rounds();
  ASSERT_TRUE(WaitFor([&] { return writer.rounds() >= rounds + 2; }));
  writer.Stop();
  ASSERT_TRUE(Converges(id));

  std::optional<SnapshotStatus> snapshot = Snapshot(id);
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_TRUE(snapshot->done);
  EXPECT_EQ(snapshot->epoch, 1);
  // The writer deletes every 7th order meanwhile: at least 6/7 of them.
  EXPECT_GE(snapshot->rows_copied, 170000 + 55000);
  EXPECT_EQ(snapshot->chunks_done, snapshot->chunks_total);
  EXPECT_GE(snapshot->chunks_total, 10 + 3);  // orders by key, items by block range
  ASSERT_EQ(snapshot->tables.size(), 2u);
  auto events = engine_->Events(id, 20);
  ASSERT_TRUE(events.ok());
  bool done_event = false;
  for (const auto& e : *events) done_event = done_event || e.kind == "snapshot_done";
  EXPECT_TRUE(done_event);
}

TEST_F(SnapshotTest, PauseRestartAndResumeMidSnapshotConverge) {
  options_.snapshot_chunk_rows = 5000;
  options_.snapshot_parallelism = 1;
  OpenEngine();
  Preload();
  std::string id = Id("pausing");
  ASSERT_TRUE(engine_->Create(id, Spec()).ok());
  ASSERT_TRUE(PauseAfterChunks(id, 3));
  auto paused = Snapshot(id);
  ASSERT_TRUE(paused.has_value());
  EXPECT_FALSE(paused->done);
  EXPECT_LT(paused->chunks_done, paused->chunks_total);
  for (int round = 1; round <= 3; ++round) workload_.Run(round);  // while paused

  OpenEngine();  // a restart: progress comes back from SQLite
  ASSERT_TRUE(WaitForState(id, PipelineState::kPaused, absl::Seconds(10))) << Describe(id);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Writer writer(workload_, 4);
  ASSERT_TRUE(WaitForState(id, PipelineState::kStreaming, absl::Seconds(120))) << Describe(id);
  writer.Stop();
  ASSERT_TRUE(Converges(id));
  auto snapshot = Snapshot(id);
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_TRUE(snapshot->done);
  EXPECT_EQ(snapshot->epoch, 2);
}

TEST_F(SnapshotTest, DeleteMidSnapshotStopsAndDropsEverything) {
  options_.snapshot_chunk_rows = 2000;
  options_.snapshot_parallelism = 1;
  OpenEngine();
  Preload();
  std::string id = Id("deleting");
  ASSERT_TRUE(engine_->Create(id, Spec()).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto s = Snapshot(id);
    return s && s->chunks_done >= 1;
  })) << Describe(id);
  absl::Time start = absl::Now();
  ASSERT_TRUE(engine_->Delete(id, /*keep_slot=*/false).ok());
  ASSERT_TRUE(WaitFor([&] { return !engine_->Get(id).ok(); }, absl::Seconds(20)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  auto slot = Slot(pipeline::DefaultSlotName(id));
  ASSERT_TRUE(slot.ok());
  EXPECT_FALSE(slot->has_value());
  EXPECT_FALSE(PublicationExists(pipeline::DefaultPublicationName(id)));
}

TEST_F(SnapshotTest, InitialOnlyCopiesThenDropsTheSlot) {
  workload_.Sql("INSERT INTO orders SELECT i, 'old', 1, 'x', 'y' FROM generate_series(1, 500) i");
  pipeline::PipelineSpec spec = Spec();
  spec.snapshot_mode = pipeline::SnapshotMode::kInitialOnly;
  std::string id = Id("once");
  ASSERT_TRUE(engine_->Create(id, spec).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kCompleted)) << Describe(id);
  EXPECT_TRUE(workload_.Converged() || WaitFor([&] { return workload_.Converged(); }));
  auto slot = Slot(pipeline::DefaultSlotName(id));
  ASSERT_TRUE(slot.ok());
  EXPECT_FALSE(slot->has_value());
  EXPECT_FALSE(PublicationExists(pipeline::DefaultPublicationName(id)));
  // Nothing is streamed afterwards, and a restart keeps it completed.
  workload_.Sql("INSERT INTO orders VALUES (100000, 'late', 1, 'x', 'y')");
  OpenEngine();
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(StateOf(id), PipelineState::kCompleted);
  EXPECT_EQ(workload_.TargetOrders().size(), 500u);
  ASSERT_TRUE(engine_->Delete(id, false).ok());
  ASSERT_TRUE(WaitFor([&] { return !engine_->Get(id).ok(); }));
}

TEST_F(SnapshotTest, InitialOnlyResumedCatchesUpBeforeCompleting) {
  options_.snapshot_chunk_rows = 5000;
  options_.snapshot_parallelism = 1;
  OpenEngine();
  Preload();
  pipeline::PipelineSpec spec = Spec();
  spec.snapshot_mode = pipeline::SnapshotMode::kInitialOnly;
  std::string id = Id("once-resumed");
  ASSERT_TRUE(engine_->Create(id, spec).ok());
  ASSERT_TRUE(PauseAfterChunks(id, 3));
  // Changes to rows already copied: only the catch-up can bring them.
  for (int round = 1; round <= 2; ++round) workload_.Run(round);
  workload_.Sql("UPDATE orders SET status = 'changed' WHERE id < 10000100");
  ASSERT_TRUE(engine_->Resume(id).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kCompleted, absl::Seconds(120))) << Describe(id);
  EXPECT_TRUE(workload_.Converged() || WaitFor([&] { return workload_.Converged(); }));
  EXPECT_EQ(Snapshot(id)->epoch, 2);
}

TEST_F(SnapshotTest, RejectedRowsFailWithTheReasonAndResumeRetries) {
  workload_.Sql("INSERT INTO orders SELECT i, 'c', 1, 'x', 'y' FROM generate_series(1, 3000) i");
  ASSERT_TRUE(workload_.emulator().AddFaults(R"({"action":"fail","preset":"access_denied"})").ok());
  std::string id = Id("rejected");
  ASSERT_TRUE(engine_->Create(id, Spec()).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kFailed)) << Describe(id);
  auto failed = engine_->Get(id);
  ASSERT_TRUE(failed.ok());
  EXPECT_THAT(failed->message, HasSubstr("Access denied"));
  EXPECT_FALSE(failed->snapshot->done);
  ASSERT_TRUE(engine_->Resume(id).ok());  // the fault fired once
  ASSERT_TRUE(WaitForState(id, PipelineState::kStreaming)) << Describe(id);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(id);
  EXPECT_EQ(Snapshot(id)->epoch, 2);
}

TEST_F(SnapshotTest, ALostPrivilegeFailsTheCopyNamingTheTable) {
  options_.snapshot_chunk_rows = 5000;
  options_.snapshot_parallelism = 1;
  OpenEngine();
  std::string role = absl::StrCat("snap_reader_", n_);
  workload_.Sql(absl::StrCat("CREATE ROLE ", role, " LOGIN REPLICATION PASSWORD 'pw'; GRANT ",
                             "SELECT ON orders, items TO ", role));
  workload_.Sql("INSERT INTO orders SELECT i, 'c', 1, 'x', 'y' FROM generate_series(1, 40000) i");
  workload_.Sql("ANALYZE orders");
  pipeline::PipelineSpec spec = Spec();
  spec.source.dsn = testing::PgEnvironment::cluster().TcpDsn(db_, role, "pw");
  spec.source.publication_name = "p";  // the role may not create one on tables it does not own
  std::string id = Id("privileges");
  auto created = engine_->Create(id, spec);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(PauseAfterChunks(id, 1));
  workload_.Sql(absl::StrCat("REVOKE SELECT ON orders FROM ", role));
  ASSERT_TRUE(engine_->Resume(id).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kFailed)) << Describe(id);
  auto failed = engine_->Get(id);
  ASSERT_TRUE(failed.ok());
  EXPECT_THAT(failed->message, HasSubstr("public.orders"));
  EXPECT_THAT(failed->message, HasSubstr("permission denied"));
  // Granted again, resume finishes the copy.
  workload_.Sql(absl::StrCat("GRANT SELECT ON orders TO ", role));
  ASSERT_TRUE(engine_->Resume(id).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kStreaming)) << Describe(id);
  ASSERT_TRUE(Converges(id));
  ASSERT_TRUE(engine_->Delete(id, false).ok());
  ASSERT_TRUE(WaitFor([&] { return !engine_->Get(id).ok(); }));
}

TEST_F(SnapshotTest, LostCopySessionsAreRetriedAndConverge) {
  options_.snapshot_chunk_rows = 5000;
  OpenEngine();
  Preload();
  std::string id = Id("terminated");
  ASSERT_TRUE(engine_->Create(id, Spec()).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto s = Snapshot(id);
    return s && s->chunks_done >= 2;
  })) << Describe(id);
  // The copy sessions' connections die mid-copy (as on a network cut).
  auto killed = testing::PgEnvironment::cluster().Query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE application_name = 'dbmazz snapshot'",
      db_);
  ASSERT_TRUE(killed.ok()) << killed.status();
  ASSERT_FALSE(killed->empty());
  ASSERT_TRUE(WaitForState(id, PipelineState::kStreaming, absl::Seconds(120))) << Describe(id);
  ASSERT_TRUE(Converges(id));
  auto events = engine_->Events(id, 50);
  ASSERT_TRUE(events.ok());
  bool retried = false;
  for (const auto& e : *events) retried = retried || e.kind == "retrying";
  EXPECT_TRUE(retried);
  EXPECT_GE(Snapshot(id)->epoch, 2);
}

TEST_F(SnapshotTest, NeverModeStreamsOnlyNewChanges) {
  workload_.Sql("INSERT INTO orders SELECT i, 'old', 1, 'x', 'y' FROM generate_series(1, 50) i");
  pipeline::PipelineSpec spec = Spec();
  spec.snapshot_mode = pipeline::SnapshotMode::kNever;
  std::string id = Id("never");
  ASSERT_TRUE(engine_->Create(id, spec).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kStreaming)) << Describe(id);
  workload_.Sql("INSERT INTO orders SELECT i, 'new', 1, 'x', 'y' FROM generate_series(51, 60) i");
  ASSERT_TRUE(WaitFor([&] { return workload_.TargetOrders().size() == 10; })) << Describe(id);
  for (const std::string& row : workload_.TargetOrders()) EXPECT_THAT(row, HasSubstr("|new|"));
  EXPECT_FALSE(Snapshot(id).has_value());
}

}  // namespace
}  // namespace dbmazz::runtime
