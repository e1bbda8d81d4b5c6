// StateStore behaviour: pipelines, checkpoints, events, snapshot progress,
// reopening, concurrency and backups.
#include "engine/state/state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/unit/state/state_test_util.h"

namespace dbmazz::state {
namespace {

using ::dbmazz::state::testing::FileMode;
using ::dbmazz::state::testing::MakeRecord;
using ::dbmazz::state::testing::QueryInt64;
using ::dbmazz::state::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    Reopen();
  }

  StateStoreOptions Options() {
    StateStoreOptions options;
    options.max_events_per_pipeline = 5;
    options.clock = [this] { return now_; };
    return options;
  }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<StateStore>> store = StateStore::Open(path_, Options());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  void Create(std::string_view id, Lsn initial = 0) {
    absl::Status status = store_->CreatePipeline(MakeRecord(id), initial);
    ASSERT_TRUE(status.ok()) << status;
  }

  Lsn Checkpoint(std::string_view id) {
    absl::StatusOr<Lsn> lsn = store_->LoadCheckpoint(id);
    EXPECT_TRUE(lsn.ok()) << lsn.status();
    return lsn.value_or(~Lsn{0});
  }

  TempDir dir_;
  std::string path_ = dir_.File("state.db");
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  std::unique_ptr<StateStore> store_;
};

TEST_F(StateStoreTest, CreateGetListPipelines) {
  PipelineRecord record = MakeRecord("orders");
  record.desired_state = DesiredState::kPaused;
  record.slot_created_by_us = true;
  ASSERT_TRUE(store_->CreatePipeline(record, 0x16B374D848).ok());
  Create("accounts");

  absl::StatusOr<PipelineRecord> got = store_->GetPipeline("orders");
  ASSERT_TRUE(got.ok()) << got.status();
  PipelineRecord expected = record;
  expected.create_time = expected.update_time = now_;
  EXPECT_EQ(*got, expected);
  EXPECT_EQ(Checkpoint("orders"), 0x16B374D848u);
  EXPECT_EQ(Checkpoint("accounts"), 0u);

  absl::StatusOr<std::vector<PipelineRecord>> all = store_->ListPipelines();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].pipeline_id, "accounts");  // ordered by id
  EXPECT_EQ((*all)[1], expected);
}

TEST_F(StateStoreTest, UpdatesChangeFieldsAndUpdateTime) {
  Create("p");
  const absl::Time created = now_;
  now_ += absl::Seconds(10);
  ASSERT_TRUE(store_->SetDesiredState("p", DesiredState::kPaused).ok());
  ASSERT_TRUE(store_->UpdateSpec("p", R"({"v":2})").ok());
  ASSERT_TRUE(store_->SetCreatedByUs("p", true, true).ok());
  absl::StatusOr<PipelineRecord> got = store_->GetPipeline("p");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->desired_state, DesiredState::kPaused);
  EXPECT_EQ(got->spec, R"({"v":2})");
  EXPECT_TRUE(got->slot_created_by_us);
  EXPECT_TRUE(got->publication_created_by_us);
  EXPECT_EQ(got->create_time, created);
  EXPECT_EQ(got->update_time, now_);
  ASSERT_TRUE(store_->SetDesiredState("p", DesiredState::kRunning).ok());
  EXPECT_EQ(store_->GetPipeline("p")->desired_state, DesiredState::kRunning);
}

TEST_F(StateStoreTest, DeleteIntentIsRecordedAndListed) {
  Create("p");
  Create("q");
  EXPECT_EQ(store_->GetPipeline("p")->delete_intent, DeleteIntent::kNone);
  ASSERT_TRUE(store_->SetDeleteIntent("p", DeleteIntent::kKeepSlot).ok());
  ASSERT_TRUE(store_->SetDeleteIntent("q", DeleteIntent::kDrop).ok());
  auto all = store_->ListPipelines();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].delete_intent, DeleteIntent::kKeepSlot);
  EXPECT_EQ((*all)[1].delete_intent, DeleteIntent::kDrop);
  ASSERT_TRUE(store_->SetDeleteIntent("p", DeleteIntent::kNone).ok());
  EXPECT_EQ(store_->GetPipeline("p")->delete_intent, DeleteIntent::kNone);
  EXPECT_EQ(store_->SetDeleteIntent("nope", DeleteIntent::kDrop).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StateStoreTest, UnknownPipelineIsNotFound) {
  Create("known");
  EXPECT_EQ(store_->GetPipeline("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(store_->GetPipeline("nope").status().message(), HasSubstr("'nope'"));
  EXPECT_EQ(store_->SetDesiredState("nope", DesiredState::kPaused).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->UpdateSpec("nope", "{}").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->SetCreatedByUs("nope", true, false).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeletePipeline("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->SaveCheckpoint("nope", 5).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LoadCheckpoint("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->AppendEvent("nope", "started", "").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListEvents("nope", 10).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListSnapshotTables("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ClearSnapshotProgress("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->UpsertSnapshotTable({.pipeline_id = "nope", .table_name = "t"}).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StateStoreTest, InvalidArgumentsAreRejected) {
  PipelineRecord record = MakeRecord("p");
  record.pipeline_id = "";
  EXPECT_EQ(store_->CreatePipeline(record).code(), absl::StatusCode::kInvalidArgument);
  record = MakeRecord("p");
  record.slot_name = "";
  EXPECT_EQ(store_->CreatePipeline(record).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreatePipeline(MakeRecord("p"), Lsn{1} << 63).code(),
            absl::StatusCode::kInvalidArgument);
  Create("p");
  EXPECT_EQ(store_->SaveCheckpoint("p", ~Lsn{0}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AppendEvent("p", "", "m").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListEvents("p", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListEvents("p", 1, -1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PragmaForTesting("synchronous; DROP TABLE pipelines").status().code(),
            absl::StatusCode::kInvalidArgument);
  // Nothing was stored by the failed create calls.
  EXPECT_EQ(store_->ListPipelines()->size(), 1u);
}

TEST_F(StateStoreTest, DuplicateIdOrSlotIsAlreadyExistsAndChangesNothing) {
  Create("a", 100);
  PipelineRecord same_id = MakeRecord("a");
  same_id.slot_name = "other_slot";
  absl::Status status = store_->CreatePipeline(same_id, 200);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("pipeline 'a' already exists"));

  PipelineRecord same_slot = MakeRecord("b");
  same_slot.slot_name = "dbmazz_a";
  status = store_->CreatePipeline(same_slot, 300);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("slot 'dbmazz_a' is already used by pipeline 'a'"));
  // Secrets from the spec never reach a message.
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("s3cret")));

  EXPECT_EQ(store_->ListPipelines()->size(), 1u);
  EXPECT_EQ(store_->GetPipeline("a")->slot_name, "dbmazz_a");
  EXPECT_EQ(Checkpoint("a"), 100u);
  EXPECT_EQ(store_->LoadCheckpoint("b").status().code(), absl::StatusCode::kNotFound);
  // The rolled-back transaction left the connection usable.
  Create("b");
}

TEST_F(StateStoreTest, DeleteCascadesToEverything) {
  Create("gone", 10);
  Create("kept", 20);
  for (const char* id : {"gone", "kept"}) {
    ASSERT_TRUE(store_->AppendEvent(id, "started", "hello").ok());
    ASSERT_TRUE(store_->UpsertSnapshotTable({.pipeline_id = id, .table_name = "public.t"}).ok());
    SnapshotChunkProgress chunk{.pipeline_id = id, .table_name = "public.t", .chunk_id = 1};
    ASSERT_TRUE(store_->UpsertSnapshotChunks({&chunk, 1}).ok());
  }
  ASSERT_TRUE(store_->DeletePipeline("gone").ok());
  EXPECT_EQ(store_->GetPipeline("gone").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LoadCheckpoint("gone").status().code(), absl::StatusCode::kNotFound);
  // Read through a second, independent connection (as the sqlite3 shell would).
  for (const char* table : {"checkpoints", "events", "snapshot_tables", "snapshot_chunks"}) {
    const std::string count = std::string("SELECT count(*) FROM ") + table;
    EXPECT_EQ(QueryInt64(path_, count + " WHERE pipeline_id = 'gone'"), 0) << table;
    EXPECT_EQ(QueryInt64(path_, count + " WHERE pipeline_id = 'kept'"), 1) << table;
  }
  // The other pipeline keeps all of its rows.
  EXPECT_EQ(Checkpoint("kept"), 20u);
  EXPECT_EQ(store_->ListEvents("kept", 10)->size(), 1u);
  EXPECT_EQ(store_->ListSnapshotTables("kept")->size(), 1u);
  EXPECT_EQ(store_->ListSnapshotChunks("kept", "public.t")->size(), 1u);
  // A new pipeline with the same id and slot starts clean.
  Create("gone", 5);
  EXPECT_EQ(Checkpoint("gone"), 5u);
  EXPECT_TRUE(store_->ListEvents("gone", 10)->empty());
  EXPECT_TRUE(store_->ListSnapshotTables("gone")->empty());
  EXPECT_TRUE(store_->ListSnapshotChunks("gone", "public.t")->empty());
}

TEST_F(StateStoreTest, CheckpointNeverMovesBackwards) {
  Create("p", 1000);
  ASSERT_TRUE(store_->SaveCheckpoint("p", 2000).ok());
  EXPECT_EQ(Checkpoint("p"), 2000u);
  ASSERT_TRUE(store_->SaveCheckpoint("p", 1500).ok());  // ignored, not an error
  EXPECT_EQ(Checkpoint("p"), 2000u);
  ASSERT_TRUE(store_->SaveCheckpoint("p", 2000).ok());
  EXPECT_EQ(Checkpoint("p"), 2000u);
  const Lsn max = static_cast<Lsn>(INT64_MAX);  // 7FFFFFFF/FFFFFFFF
  ASSERT_TRUE(store_->SaveCheckpoint("p", max).ok());
  EXPECT_EQ(Checkpoint("p"), max);
}

TEST_F(StateStoreTest, BatchSaveIsOneAllOrNothingTransaction) {
  Create("a", 10);
  Create("b", 20);
  Create("c", 30);
  std::vector<CheckpointUpdate> batch = {{"a", 11}, {"b", 5}, {"c", 33}, {"a", 12}};
  ASSERT_TRUE(store_->SaveCheckpoints(batch).ok());
  EXPECT_EQ(Checkpoint("a"), 12u);  // repeated id: the highest wins
  EXPECT_EQ(Checkpoint("b"), 20u);  // older LSN ignored
  EXPECT_EQ(Checkpoint("c"), 33u);

  std::vector<CheckpointUpdate> with_unknown = {{"a", 100}, {"zzz", 100}, {"c", 100}};
  absl::Status status = store_->SaveCheckpoints(with_unknown);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("'zzz'"));
  EXPECT_EQ(Checkpoint("a"), 12u);  // rolled back
  EXPECT_EQ(Checkpoint("c"), 33u);

  std::vector<CheckpointUpdate> too_big = {{"a", 200}, {"b", ~Lsn{0}}};
  EXPECT_EQ(store_->SaveCheckpoints(too_big).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Checkpoint("a"), 12u);
  EXPECT_TRUE(store_->SaveCheckpoints({}).ok());
}

TEST_F(StateStoreTest, EventsAreBoundedPerPipelineAndNewestFirst) {
  Create("p");
  Create("q");
  ASSERT_TRUE(store_->AppendEvent("q", "started", "q0").ok());
  for (int i = 0; i < 12; ++i) {
    now_ += absl::Seconds(1);
    ASSERT_TRUE(store_->AppendEvent("p", i % 2 ? "error" : "info", std::to_string(i)).ok());
  }
  absl::StatusOr<std::vector<EventRecord>> events = store_->ListEvents("p", 100);
  ASSERT_TRUE(events.ok()) << events.status();
  std::vector<std::string> messages;
  for (const EventRecord& event : *events) messages.push_back(event.message);
  EXPECT_THAT(messages, ElementsAre("11", "10", "9", "8", "7"));  // bound of 5
  EXPECT_EQ((*events)[0].kind, "error");
  EXPECT_EQ((*events)[0].time, now_);
  EXPECT_EQ((*events)[0].pipeline_id, "p");
  for (size_t i = 1; i < events->size(); ++i) EXPECT_LT((*events)[i].id, (*events)[i - 1].id);
  // Pruning p left q's event alone.
  ASSERT_EQ(store_->ListEvents("q", 100)->size(), 1u);
  EXPECT_EQ(store_->ListEvents("q", 100)->front().message, "q0");

  // Pagination with before_id.
  absl::StatusOr<std::vector<EventRecord>> page1 = store_->ListEvents("p", 2);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->size(), 2u);
  absl::StatusOr<std::vector<EventRecord>> page2 = store_->ListEvents("p", 2, page1->back().id);
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->size(), 2u);
  EXPECT_EQ((*page2)[0].message, "9");
  EXPECT_EQ((*page2)[1].message, "8");
  EXPECT_EQ(store_->ListEvents("p", 2, page2->back().id)->size(), 1u);
}

TEST_F(StateStoreTest, SnapshotProgressUpsertListClear) {
  Create("p");
  SnapshotTableProgress orders{.pipeline_id = "p", .table_name = "public.orders"};
  ASSERT_TRUE(store_->UpsertSnapshotTable(orders).ok());
  ASSERT_TRUE(store_->UpsertSnapshotTable({.pipeline_id = "p", .table_name = "public.a"}).ok());
  std::vector<SnapshotChunkProgress> chunks = {
      {.pipeline_id = "p",
       .table_name = "public.orders",
       .chunk_id = 2,
       .lower_bound = "[1000]",
       .upper_bound = std::nullopt},
      {.pipeline_id = "p",
       .table_name = "public.orders",
       .chunk_id = 1,
       .lower_bound = std::nullopt,
       .upper_bound = "[1000]",
       .done = true,
       .rows_copied = 999},
  };
  ASSERT_TRUE(store_->UpsertSnapshotChunks(chunks).ok());
  now_ += absl::Seconds(1);
  chunks[0].done = true;
  chunks[0].rows_copied = 50;
  ASSERT_TRUE(store_->UpsertSnapshotChunks({&chunks[0], 1}).ok());
  orders.state = SnapshotTableState::kDone;
  orders.rows_copied = 1049;
  // Updating the table row keeps its chunks (no delete-and-insert).
  ASSERT_TRUE(store_->UpsertSnapshotTable(orders).ok());

  absl::StatusOr<std::vector<SnapshotTableProgress>> tables = store_->ListSnapshotTables("p");
  ASSERT_TRUE(tables.ok()) << tables.status();
  ASSERT_EQ(tables->size(), 2u);
  EXPECT_EQ((*tables)[0].table_name, "public.a");
  EXPECT_EQ((*tables)[0].state, SnapshotTableState::kPending);
  orders.update_time = now_;
  EXPECT_EQ((*tables)[1], orders);

  absl::StatusOr<std::vector<SnapshotChunkProgress>> got =
      store_->ListSnapshotChunks("p", "public.orders");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 2u);
  chunks[1].update_time = now_ - absl::Seconds(1);
  chunks[0].update_time = now_;
  EXPECT_EQ((*got)[0], chunks[1]);  // ordered by chunk id
  EXPECT_EQ((*got)[1], chunks[0]);

  // A chunk of a table with no progress row is refused, atomically.
  std::vector<SnapshotChunkProgress> bad = {
      {.pipeline_id = "p", .table_name = "public.a", .chunk_id = 1},
      {.pipeline_id = "p", .table_name = "public.missing", .chunk_id = 1}};
  absl::Status status = store_->UpsertSnapshotChunks(bad);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("public.missing"));
  EXPECT_TRUE(store_->ListSnapshotChunks("p", "public.a")->empty());

  ASSERT_TRUE(store_->ClearSnapshotProgress("p").ok());
  EXPECT_TRUE(store_->ListSnapshotTables("p")->empty());
  EXPECT_TRUE(store_->ListSnapshotChunks("p", "public.orders")->empty());
  EXPECT_TRUE(store_->GetPipeline("p").ok());
}

TEST_F(StateStoreTest, SnapshotAttemptsPlanAndFinish) {
  Create("p");
  EXPECT_FALSE(store_->GetSnapshot("p")->has_value());
  EXPECT_EQ(store_->GetSnapshot("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->BeginSnapshotAttempt("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->BeginSnapshotAttempt("p").value_or(-1), 1);
  EXPECT_EQ(store_->BeginSnapshotAttempt("p").value_or(-1), 2);

  SnapshotTableProgress table{
      .pipeline_id = "p", .table_name = "public.t", .chunking = "pk", .rows_estimate = 5000};
  std::vector<SnapshotChunkProgress> chunks = {
      {.pipeline_id = "p", .table_name = "public.t", .chunk_id = 0, .upper_bound = "10"},
      {.pipeline_id = "p", .table_name = "public.t", .chunk_id = 1, .lower_bound = "10"}};
  ASSERT_TRUE(store_->SaveSnapshotPlan("p", 0x500, {&table, 1}, chunks).ok());
  EXPECT_EQ(store_->LoadCheckpoint("p").value_or(0), 0x500u);
  auto tables = store_->ListSnapshotTables("p");
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->size(), 1u);
  EXPECT_EQ((*tables)[0].chunking, "pk");
  EXPECT_EQ((*tables)[0].rows_estimate, 5000);

  // A new plan replaces the old one entirely; the checkpoint never goes back.
  SnapshotTableProgress other{.pipeline_id = "p", .table_name = "public.u"};
  ASSERT_TRUE(store_->SaveSnapshotPlan("p", 0x100, {&other, 1}, {}).ok());
  EXPECT_EQ(store_->LoadCheckpoint("p").value_or(0), 0x500u);
  tables = store_->ListSnapshotTables("p");
  ASSERT_EQ(tables->size(), 1u);
  EXPECT_EQ((*tables)[0].table_name, "public.u");
  EXPECT_TRUE(store_->ListSnapshotChunks("p", "public.t")->empty());
  // All or nothing: a chunk of an unknown table leaves the old plan.
  SnapshotChunkProgress stray{.pipeline_id = "p", .table_name = "public.x"};
  EXPECT_EQ(store_->SaveSnapshotPlan("p", 0x600, {&table, 1}, {&stray, 1}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListSnapshotTables("p")->at(0).table_name, "public.u");
  EXPECT_EQ(store_->LoadCheckpoint("p").value_or(0), 0x500u);

  auto snapshot = store_->GetSnapshot("p");
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value());
  EXPECT_EQ((*snapshot)->phase, SnapshotPhase::kCopying);
  EXPECT_EQ((*snapshot)->epoch, 2);
  ASSERT_TRUE(store_->FinishSnapshot("p").ok());
  EXPECT_EQ((*store_->GetSnapshot("p"))->phase, SnapshotPhase::kDone);
  ASSERT_TRUE(store_->FinishSnapshot("p", SnapshotPhase::kCompleted).ok());
  EXPECT_EQ((*store_->GetSnapshot("p"))->phase, SnapshotPhase::kCompleted);
  Create("q");
  EXPECT_EQ(store_->FinishSnapshot("q").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->ClearSnapshotProgress("p").ok());
  EXPECT_FALSE(store_->GetSnapshot("p")->has_value());
}

TEST_F(StateStoreTest, ReopenKeepsEverything) {
  PipelineRecord record = MakeRecord("p");
  record.publication_created_by_us = true;
  ASSERT_TRUE(store_->CreatePipeline(record, 42).ok());
  ASSERT_TRUE(store_->SaveCheckpoint("p", 4242).ok());
  ASSERT_TRUE(store_->SetDesiredState("p", DesiredState::kPaused).ok());
  ASSERT_TRUE(store_->AppendEvent("p", "paused", "by operator").ok());
  ASSERT_TRUE(store_->UpsertSnapshotTable({.pipeline_id = "p", .table_name = "t"}).ok());
  SnapshotChunkProgress chunk{
      .pipeline_id = "p", .table_name = "t", .chunk_id = 7, .upper_bound = "x"};
  ASSERT_TRUE(store_->UpsertSnapshotChunks({&chunk, 1}).ok());
  const PipelineRecord before = *store_->GetPipeline("p");

  Reopen();
  EXPECT_EQ(*store_->GetPipeline("p"), before);
  EXPECT_EQ(before.desired_state, DesiredState::kPaused);
  EXPECT_TRUE(before.publication_created_by_us);
  EXPECT_EQ(Checkpoint("p"), 4242u);
  ASSERT_EQ(store_->ListEvents("p", 10)->size(), 1u);
  EXPECT_EQ(store_->ListEvents("p", 10)->front().message, "by operator");
  ASSERT_EQ(store_->ListSnapshotChunks("p", "t")->size(), 1u);
  EXPECT_EQ(store_->ListSnapshotChunks("p", "t")->front().upper_bound, "x");
  EXPECT_EQ(store_->ListSnapshotChunks("p", "t")->front().lower_bound, std::nullopt);
  // Event ids keep increasing across a reopen (AUTOINCREMENT).
  const int64_t last_id = store_->ListEvents("p", 1)->front().id;
  ASSERT_TRUE(store_->AppendEvent("p", "resumed", "").ok());
  EXPECT_GT(store_->ListEvents("p", 1)->front().id, last_id);
}

TEST_F(StateStoreTest, ConnectionSettingsAreDurable) {
  EXPECT_EQ(store_->PragmaForTesting("journal_mode").value_or(""), "wal");
  EXPECT_EQ(store_->PragmaForTesting("synchronous").value_or(""), "2");  // FULL
  EXPECT_EQ(store_->PragmaForTesting("foreign_keys").value_or(""), "1");
  EXPECT_EQ(store_->PragmaForTesting("secure_delete").value_or(""), "1");
  EXPECT_NE(store_->PragmaForTesting("busy_timeout").value_or("0"), "0");
}

TEST_F(StateStoreTest, ThreadsShareOneStoreSafely) {
  constexpr int kThreads = 4;
  constexpr int kSaves = 40;
  for (int t = 0; t < kThreads; ++t) Create(absl::StrCat("p", t));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string id = absl::StrCat("p", t);
      for (int i = 1; i <= kSaves; ++i) {
        if (!store_->SaveCheckpoint(id, i * 10).ok()) ++failures;
        if (!store_->AppendEvent(id, "tick", std::to_string(i)).ok()) ++failures;
        if (!store_->LoadCheckpoint(id).ok()) ++failures;
        std::vector<CheckpointUpdate> batch = {{id, static_cast<Lsn>(i * 10 + 1)}};
        if (!store_->SaveCheckpoints(batch).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    const std::string id = absl::StrCat("p", t);
    EXPECT_EQ(Checkpoint(id), kSaves * 10 + 1u);
    absl::StatusOr<std::vector<EventRecord>> events = store_->ListEvents(id, 100);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 5u);
    EXPECT_EQ(events->front().message, std::to_string(kSaves));
  }
}

TEST_F(StateStoreTest, BackupToIsAPrivateConsistentCopy) {
  Create("p", 77);
  ASSERT_TRUE(store_->AppendEvent("p", "started", "").ok());
  const std::string backup = dir_.File("backup.db");
  absl::Status status = store_->BackupTo(backup);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(FileMode(backup), 0600);
  EXPECT_EQ(store_->BackupTo(backup).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->SaveCheckpoint("p", 88).ok());  // still usable; not in the copy

  absl::StatusOr<std::unique_ptr<StateStore>> copy = StateStore::Open(backup);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->LoadCheckpoint("p").value_or(0), 77u);
  EXPECT_EQ((*copy)->ListEvents("p", 10)->size(), 1u);
  EXPECT_EQ((*copy)->GetPipeline("p")->spec, MakeRecord("p").spec);
}

TEST(StateStoreInMemoryTest, WorksWithoutAFile) {
  absl::StatusOr<std::unique_ptr<StateStore>> store = StateStore::OpenInMemory();
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->CreatePipeline(MakeRecord("m"), 9).ok());
  ASSERT_TRUE((*store)->SaveCheckpoint("m", 10).ok());
  EXPECT_EQ((*store)->LoadCheckpoint("m").value_or(0), 10u);
  EXPECT_EQ((*store)->path(), ":memory:");
  // Two in-memory stores are independent.
  absl::StatusOr<std::unique_ptr<StateStore>> other = StateStore::OpenInMemory();
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*other)->ListPipelines()->empty());
}

TEST(StateStoreOptionsTest, RejectsZeroEventBound) {
  StateStoreOptions options;
  options.max_events_per_pipeline = 0;
  EXPECT_EQ(StateStore::OpenInMemory(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dbmazz::state
