// The engine against real PostgreSQL, the emulator and a real SQLite file:
// create/stream/converge, pause and resume under load (and across a restart
// of the engine), delete with and without dropping the slot, validation
// errors, sink faults (retried and permanent), a PostgreSQL restart, two
// pipelines on the same tables, and 50 pipelines at once.
#include "engine/runtime/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/source_admin.h"
#include "engine/replication/replication_stream.h"
#include "tests/integration/engine_fixture.h"
#include "tests/integration/shop_workload.h"
#include "tests/support/pg_environment.h"

namespace dbmazz::runtime {
namespace {

using ::dbmazz::testing::PgEnvironment;
using ::dbmazz::testing::ShopWorkload;
using ::testing::HasSubstr;

class EngineTest : public EngineFixture {};

TEST_F(EngineTest, CreateStreamsAndConverges) {
  workload_.Run(0);  // before the slot exists: not replicated (no snapshot yet)
  workload_.Sql("DELETE FROM items; DELETE FROM orders;");
  auto created = engine_->Create(Id("shop"), Spec());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->spec.sink.password, pipeline::kRedacted);
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kStreaming)) << Describe(Id("shop"));
  for (int round = 1; round <= 3; ++round) workload_.Run(round);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(Id("shop"));
  auto status = engine_->Get(Id("shop"));
  ASSERT_TRUE(status.ok());
  EXPECT_GT(status->transactions, 0u);
  EXPECT_GT(status->rows_inserted, 0u);
  EXPECT_GT(status->rows_updated, 0u);
  EXPECT_GT(status->rows_deleted, 0u);
  EXPECT_GT(status->checkpoint_lsn, 0u);
  auto events = engine_->Events(Id("shop"), 100);
  ASSERT_TRUE(events.ok());
  ASSERT_GE(events->size(), 2u);
  EXPECT_EQ(events->back().kind, "created");
}

TEST_F(EngineTest, ValidationNamesTheProblem) {
  auto bad_id = engine_->Create("Bad_Id", Spec());
  EXPECT_EQ(bad_id.status().code(), absl::StatusCode::kInvalidArgument);
  pipeline::PipelineSpec missing = Spec();
  missing.tables.push_back({postgres::TableName{"public", "nope"}, "", {}});
  auto no_table = engine_->Create(Id("missing"), missing);
  EXPECT_EQ(no_table.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(no_table.status().message()), HasSubstr("public.nope"));
  EXPECT_EQ(engine_->Get(Id("missing")).status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(engine_->Create(Id("first"), Spec()).ok());
  EXPECT_EQ(engine_->Create(Id("first"), Spec()).status().code(), absl::StatusCode::kAlreadyExists);
  pipeline::PipelineSpec same_slot = Spec();
  same_slot.source.slot_name = pipeline::DefaultSlotName(Id("first"));
  auto taken = engine_->Create(Id("second"), same_slot);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(taken.status().message()), HasSubstr(Id("first")));
  EXPECT_EQ(engine_->Pause(Id("unknown")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, PauseAndResumeUnderLoadSurviveARestart) {
  ASSERT_TRUE(engine_->Create(Id("shop"), Spec()).ok());
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kStreaming)) << Describe(Id("shop"));
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  std::thread writer([&] {
    for (int round = 0; !stop.load(); ++round) {
      workload_.Run(round);
      rounds.store(round + 1);
    }
  });
  ASSERT_TRUE(WaitFor([&] { return rounds.load() >= 3; }));
  auto paused = engine_->Pause(Id("shop"));
  ASSERT_TRUE(paused.ok());
  EXPECT_EQ(paused->desired_state, state::DesiredState::kPaused);
  ASSERT_TRUE(engine_->Pause(Id("shop")).ok());  // idempotent
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kPaused)) << Describe(Id("shop"));
  // The slot stays, inactive, and holds the changes made while paused.
  auto slot = Slot(pipeline::DefaultSlotName(Id("shop")));
  ASSERT_TRUE(slot.ok() && slot->has_value());
  ASSERT_TRUE(WaitFor([&] {
    auto s = Slot(pipeline::DefaultSlotName(Id("shop")));
    return s.ok() && s->has_value() && !(*s)->active;
  }));
  int rounds_at_pause = rounds.load();
  ASSERT_TRUE(WaitFor([&] { return rounds.load() >= rounds_at_pause + 2; }));
  // The status shows the WAL the paused slot holds back (sampled on pause).
  ASSERT_TRUE(WaitFor([&] {
    auto s = engine_->Get(Id("shop"));
    return s.ok() && s->slot.has_value() && s->slot->exists && !s->slot->active &&
           s->slot->retained_wal_bytes > 0;
  })) << Describe(Id("shop"));

  // Paused survives a restart of the engine.
  OpenEngine();
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kPaused)) << Describe(Id("shop"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(StateOf(Id("shop")), PipelineState::kPaused);

  ASSERT_TRUE(engine_->Resume(Id("shop")).ok());
  ASSERT_TRUE(engine_->Resume(Id("shop")).ok());  // idempotent
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kStreaming)) << Describe(Id("shop"));
  ASSERT_TRUE(WaitFor([&] { return rounds.load() >= rounds_at_pause + 4; }));
  stop.store(true);
  writer.join();
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(Id("shop"));

  // A running pipeline resumes after a restart too, from its checkpoint.
  OpenEngine();
  workload_.Run(1000);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(Id("shop"));
}

TEST_F(EngineTest, DeleteDropsWhatItCreatedUnlessKept) {
  ASSERT_TRUE(engine_->Create(Id("dropme"), Spec()).ok());
  ASSERT_TRUE(engine_->Create(Id("keepme"), Spec()).ok());
  ASSERT_TRUE(WaitForState(Id("dropme"), PipelineState::kStreaming)) << Describe(Id("dropme"));
  ASSERT_TRUE(WaitForState(Id("keepme"), PipelineState::kStreaming)) << Describe(Id("keepme"));
  workload_.Run(0);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); }));

  auto deleting = engine_->Delete(Id("dropme"), /*keep_slot=*/false);
  ASSERT_TRUE(deleting.ok());
  EXPECT_EQ(deleting->state, PipelineState::kDeleting);
  ASSERT_TRUE(WaitFor([&] {
    return engine_->Get(Id("dropme")).status().code() == absl::StatusCode::kNotFound;
  })) << Describe(Id("dropme"));
  auto slot = Slot(pipeline::DefaultSlotName(Id("dropme")));
  ASSERT_TRUE(slot.ok());
  EXPECT_FALSE(slot->has_value());
  EXPECT_FALSE(PublicationExists(pipeline::DefaultPublicationName(Id("dropme"))));
  EXPECT_EQ(engine_->store().GetPipeline(Id("dropme")).status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(engine_->Delete(Id("keepme"), /*keep_slot=*/true).ok());
  ASSERT_TRUE(WaitFor(
      [&] { return engine_->Get(Id("keepme")).status().code() == absl::StatusCode::kNotFound; }));
  slot = Slot(pipeline::DefaultSlotName(Id("keepme")));
  ASSERT_TRUE(slot.ok());
  EXPECT_TRUE(slot->has_value());
  EXPECT_TRUE(PublicationExists(pipeline::DefaultPublicationName(Id("keepme"))));
  // The id is free again.
  EXPECT_TRUE(engine_->List().empty());
}

// A delete requested before a restart is finished after it, never forgotten:
// a replication session of the test holds the slot, so the drop keeps failing
// ("slot is active") until the engine has been restarted; then it is released.
TEST_F(EngineTest, DeleteSurvivesARestart) {
  const std::string id = Id("gone");
  const std::string slot_name = pipeline::DefaultSlotName(id);
  ASSERT_TRUE(engine_->Create(id, Spec()).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kStreaming)) << Describe(id);
  ASSERT_TRUE(engine_->Pause(id).ok());
  ASSERT_TRUE(WaitForState(id, PipelineState::kPaused)) << Describe(id);

  // The slot held by a replication session of the test's own (not the
  // pipeline's); pg_recvlogical is not in every PostgreSQL build we test.
  postgres::ConnectOptions repl_options;
  repl_options.replication = true;
  auto repl = postgres::PgConnection::Connect(workload_.Spec().source.dsn, repl_options);
  ASSERT_TRUE(repl.ok()) << repl.status();
  replication::StreamOptions stream_options;
  stream_options.start.slot_name = slot_name;
  stream_options.start.publications = {pipeline::DefaultPublicationName(id)};
  auto holder = replication::ReplicationStream::Start(std::move(*repl), stream_options);
  ASSERT_TRUE(holder.ok()) << holder.status();
  auto release = [&] { holder->reset(); };
  ASSERT_TRUE(WaitFor([&] {
    auto slot = Slot(slot_name);
    return slot.ok() && slot->has_value() && (*slot)->active;
  })) << "the test's session did not take the slot";

  ASSERT_TRUE(engine_->Delete(id, /*keep_slot=*/false).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a drop attempt fails
  EXPECT_EQ(StateOf(id), PipelineState::kDeleting) << Describe(id);

  OpenEngine();  // a restart mid-delete
  auto reopened = engine_->Get(id);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(reopened->state, PipelineState::kDeleting) << "the delete was forgotten";
  release();
  ASSERT_TRUE(WaitFor([&] {
    return engine_->Get(id).status().code() == absl::StatusCode::kNotFound;
  })) << Describe(id);
  auto slot = Slot(slot_name);
  ASSERT_TRUE(slot.ok());
  EXPECT_FALSE(slot->has_value());
  EXPECT_FALSE(PublicationExists(pipeline::DefaultPublicationName(id)));
}

TEST_F(EngineTest, RetryableSinkFaultsAreRetriedPermanentOnesFail) {
  ASSERT_TRUE(engine_->Create(Id("shop"), Spec()).ok());
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kStreaming)) << Describe(Id("shop"));
  // Retried inside the load (max_retries 2), then by the engine (RETRYING).
  ASSERT_TRUE(workload_.emulator()
                  .AddFaults(R"({"action":"fail","preset":"too_many_versions","count":5})")
                  .ok());
  workload_.Run(0);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(Id("shop"));
  auto events = engine_->Events(Id("shop"), 50);
  ASSERT_TRUE(events.ok());
  bool retried = false;
  for (const auto& e : *events) retried |= e.kind == "retrying";
  EXPECT_TRUE(retried);

  // A permanent rejection stops the pipeline with StarRocks' reason...
  ASSERT_TRUE(workload_.emulator().AddFaults(R"({"action":"fail","preset":"access_denied"})").ok());
  workload_.Run(1);
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kFailed)) << Describe(Id("shop"));
  auto failed = engine_->Get(Id("shop"));
  ASSERT_TRUE(failed.ok());
  EXPECT_THAT(failed->message, HasSubstr("Access denied"));
  EXPECT_THAT(failed->message, ::testing::Not(HasSubstr(ShopWorkload::kPassword)));
  // ...and resume retries it (the fault fired once).
  ASSERT_TRUE(engine_->Resume(Id("shop")).ok());
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(Id("shop"));
  EXPECT_EQ(StateOf(Id("shop")), PipelineState::kStreaming);
}

TEST_F(EngineTest, PostgresRestartIsRetriedWithoutLoss) {
  ASSERT_TRUE(engine_->Create(Id("shop"), Spec()).ok());
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kStreaming)) << Describe(Id("shop"));
  workload_.Run(0);
  ASSERT_TRUE(PgEnvironment::cluster().Restart(/*immediate=*/true).ok());
  workload_.Run(1);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Describe(Id("shop"));
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kStreaming)) << Describe(Id("shop"));
  auto status = engine_->Get(Id("shop"));
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->last_error.empty());  // it did see the restart
}

TEST_F(EngineTest, TwoPipelinesOnTheSameTables) {
  ASSERT_TRUE(engine_->Create(Id("left"), Spec()).ok());
  ASSERT_TRUE(engine_->Create(Id("right"), Spec()).ok());
  ASSERT_TRUE(WaitForState(Id("left"), PipelineState::kStreaming)) << Describe(Id("left"));
  ASSERT_TRUE(WaitForState(Id("right"), PipelineState::kStreaming)) << Describe(Id("right"));
  workload_.Run(0);
  workload_.Run(1);
  auto lsn = PgEnvironment::cluster().Query("SELECT pg_current_wal_lsn()::text", db_);
  ASSERT_TRUE(lsn.ok());
  auto target = ParseLsn(*(*lsn)[0][0]);
  ASSERT_TRUE(target.ok());
  // Both catch up (each applies every change, in order), so the target ends
  // equal to the source.
  for (std::string id : {Id("left"), Id("right")}) {
    ASSERT_TRUE(WaitFor([&]() -> bool {
      auto s = engine_->Get(id);
      return s.ok() && s->confirmed_lsn >= *target;
    })) << Describe(id);
  }
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); }));
}

TEST_F(EngineTest, FiftyPipelinesAtOnce) {
  constexpr int kPipelines = 50;
  for (int i = 0; i < kPipelines; ++i) {
    pipeline::PipelineSpec spec = Spec();
    spec.tables.pop_back();  // orders only: keeps 50 walsenders light
    ASSERT_TRUE(engine_->Create(Id(absl::StrCat("p", i)), spec).ok()) << i;
  }
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& s : engine_->List()) {
      if (s.state != PipelineState::kStreaming) return false;
    }
    return true;
  })) << Describe(Id("p0"));
  workload_.Sql(
      "INSERT INTO orders (id, customer, amount, status, note) "
      "SELECT g, 'c' || g, g, 'new', 'n' FROM generate_series(900000, 900199) g");
  auto lsn = PgEnvironment::cluster().Query("SELECT pg_current_wal_lsn()::text", db_);
  ASSERT_TRUE(lsn.ok());
  auto target = ParseLsn(*(*lsn)[0][0]);
  ASSERT_TRUE(target.ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& s : engine_->List()) {
          if (s.confirmed_lsn < *target || s.rows_inserted < 200) return false;
        }
        return true;
      },
      absl::Seconds(120)))
      << Describe(Id("p0"));
  auto rows = workload_.emulator().RowCount(ShopWorkload::kDatabase, "orders");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, 200);
  EXPECT_EQ(engine_->List().size(), static_cast<size_t>(kPipelines));
}

TEST_F(EngineTest, ASlowSinkBackpressuresWithoutStallingOthers) {
  // A short wal_sender_timeout: a backpressured pipeline that stopped
  // reading must still send status updates in time.
  ASSERT_TRUE(PgEnvironment::cluster().Exec("ALTER SYSTEM SET wal_sender_timeout = '3s'").ok());
  ASSERT_TRUE(PgEnvironment::cluster().Exec("SELECT pg_reload_conf()").ok());
  OpenEngine(/*max_buffered_bytes=*/64 << 10);
  ShopWorkload slow;
  ASSERT_TRUE(slow.SetUp(&PgEnvironment::cluster(), absl::StrCat(db_, "_slow")).ok());
  ASSERT_TRUE(engine_->Create(Id("fast"), Spec()).ok());
  ASSERT_TRUE(engine_->Create(Id("slow"), Spec(slow)).ok());
  ASSERT_TRUE(WaitForState(Id("fast"), PipelineState::kStreaming)) << Describe(Id("fast"));
  ASSERT_TRUE(WaitForState(Id("slow"), PipelineState::kStreaming)) << Describe(Id("slow"));
  // Every load into the slow StarRocks takes 1.5 s, for a while.
  ASSERT_TRUE(slow.emulator().AddFaults(R"({"action":"delay","delay_ms":1500,"count":8})").ok());
  for (int round = 0; round < 6; ++round) slow.Run(round);
  workload_.Run(0);
  workload_.Run(1);
  // The fast pipeline is not held up by the slow one.
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); }, absl::Seconds(10)))
      << Describe(Id("fast"));
  EXPECT_FALSE(slow.Converged());
  ASSERT_TRUE(WaitFor([&] {
    auto s = engine_->Get(Id("slow"));
    return s.ok() && s->backpressured;
  })) << Describe(Id("slow"));
  // Backpressure outlasts wal_sender_timeout without losing the session.
  ASSERT_TRUE(WaitFor([&] { return slow.Converged(); }, absl::Seconds(90))) << Describe(Id("slow"));
  auto status = engine_->Get(Id("slow"));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, PipelineState::kStreaming);
  EXPECT_TRUE(status->last_error.empty()) << status->last_error;
  ASSERT_TRUE(PgEnvironment::cluster().Exec("ALTER SYSTEM RESET wal_sender_timeout").ok());
  ASSERT_TRUE(PgEnvironment::cluster().Exec("SELECT pg_reload_conf()").ok());
}

TEST_F(EngineTest, DeleteAndShutdownWhileRetryingOrDraining) {
  ASSERT_TRUE(engine_->Create(Id("healthy"), Spec()).ok());
  ASSERT_TRUE(engine_->Create(Id("broken"), Spec()).ok());
  ASSERT_TRUE(WaitForState(Id("healthy"), PipelineState::kStreaming)) << Describe(Id("healthy"));
  ASSERT_TRUE(WaitForState(Id("broken"), PipelineState::kStreaming)) << Describe(Id("broken"));
  // Every load fails with a retryable 503 from now on: both pipelines end
  // up RETRYING once they have rows to load.
  ASSERT_TRUE(
      workload_.emulator().AddFaults(R"({"action":"http_error","status":503,"count":-1})").ok());
  workload_.Run(0);
  ASSERT_TRUE(WaitForState(Id("broken"), PipelineState::kRetrying)) << Describe(Id("broken"));
  // A delete while retrying goes through.
  ASSERT_TRUE(engine_->Delete(Id("broken"), /*keep_slot=*/false).ok());
  ASSERT_TRUE(WaitFor([&] {
    return engine_->Get(Id("broken")).status().code() == absl::StatusCode::kNotFound;
  })) << Describe(Id("broken"));
  // Pause then resume at once: the resume wins.
  ASSERT_TRUE(engine_->Pause(Id("healthy")).ok());
  ASSERT_TRUE(engine_->Resume(Id("healthy")).ok());
  // Shutting down with a pipeline that cannot drain (its loads fail) is
  // bounded by the drain timeout, not stuck.
  absl::Time start = absl::Now();
  engine_.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  workload_.emulator().Reset();  // faults gone (and the tables emptied)
  OpenEngine();
  workload_.Run(1);
  ASSERT_TRUE(WaitForState(Id("healthy"), PipelineState::kStreaming)) << Describe(Id("healthy"));
  auto status = engine_->Get(Id("healthy"));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->desired_state, state::DesiredState::kRunning);
}

// Last in this file: it lets PostgreSQL remove WAL that every slot of the
// cluster still needs.
TEST_F(EngineTest, ALostSlotFailsThePipelineWithAnExplanation) {
  ASSERT_TRUE(engine_->Create(Id("shop"), Spec()).ok());
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kStreaming)) << Describe(Id("shop"));
  ASSERT_TRUE(engine_->Pause(Id("shop")).ok());
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kPaused)) << Describe(Id("shop"));
  auto& cluster = PgEnvironment::cluster();
  ASSERT_TRUE(cluster.Exec("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'").ok());
  ASSERT_TRUE(cluster.Exec("SELECT pg_reload_conf()").ok());
  for (int i = 0; i < 4; ++i) {
    workload_.Run(i);
    ASSERT_TRUE(cluster.Exec("SELECT pg_switch_wal()", db_).ok());
  }
  ASSERT_TRUE(cluster.Exec("CHECKPOINT").ok());
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kFailed)) << Describe(Id("shop"));
  auto status = engine_->Get(Id("shop"));
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(status->message, HasSubstr("lost"));
  EXPECT_THAT(status->message, HasSubstr("create it again"));
  // Resuming does not paper over it: the slot is still lost, never recreated.
  ASSERT_TRUE(engine_->Resume(Id("shop")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(WaitForState(Id("shop"), PipelineState::kFailed)) << Describe(Id("shop"));
  ASSERT_TRUE(cluster.Exec("ALTER SYSTEM RESET max_slot_wal_keep_size").ok());
  ASSERT_TRUE(cluster.Exec("SELECT pg_reload_conf()").ok());
}

}  // namespace
}  // namespace dbmazz::runtime
