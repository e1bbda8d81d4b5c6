#include "engine/sink/starrocks_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>
#include <set>

namespace dbmazz::sink {
namespace {

using pgoutput::ColumnKind;
using pgoutput::DecodedMessage;
using pgoutput::MessageType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records every batch; fails the tables named in `fail_tables`.
class FakeLoader : public BatchLoader {
 public:
  absl::Status Load(const Batch& batch, const std::function<bool()>&) override {
    if (fail_tables.contains(batch.target_table)) return absl::UnavailableError("injected");
    batches.push_back(batch);
    return absl::OkStatus();
  }
  std::vector<Batch> batches;
  std::set<std::string> fail_tables;
};

// Builds decoded messages. Text values; "<u>" means unchanged TOAST, "<null>" NULL.
class Stream {
 public:
  DecodedMessage Relation(uint32_t id, std::string name, std::vector<std::string> cols,
                          std::vector<bool> keys, char identity = 'd') {
    names_.push_back(std::move(name));
    DecodedMessage m;
    m.type = MessageType::kRelation;
    m.relation.relation_id = id;
    m.relation.namespace_name = "public";
    m.relation.relation_name = names_.back();
    m.relation.replica_identity = identity;
    for (size_t i = 0; i < cols.size(); ++i) {
      names_.push_back(cols[i]);
      uint32_t type = (cols[i] == "id" || cols[i] == "n") ? 23 : 25;  // int4 or text
      m.relation.columns.push_back(
          {static_cast<uint8_t>(keys[i] ? 1 : 0), names_.back(), type, -1});
    }
    return m;
  }
  DecodedMessage Begin(Lsn commit_lsn, pgoutput::PgTimestamp commit_time = 0) {
    DecodedMessage m;
    m.type = MessageType::kBegin;
    m.begin.final_lsn = commit_lsn;
    m.begin.commit_time = commit_time;
    return m;
  }
  DecodedMessage Commit(Lsn commit_lsn, Lsn end_lsn, pgoutput::PgTimestamp commit_time = 0) {
    DecodedMessage m;
    m.type = MessageType::kCommit;
    m.commit.commit_lsn = commit_lsn;
    m.commit.end_lsn = end_lsn;
    m.commit.commit_time = commit_time;
    return m;
  }
  DecodedMessage Insert(uint32_t id, std::vector<std::string> values) {
    DecodedMessage m;
    m.type = MessageType::kInsert;
    m.insert.relation_id = id;
    Fill(&m.insert.new_tuple, values);
    return m;
  }
  DecodedMessage Update(uint32_t id, char old_kind, std::vector<std::string> old_values,
                        std::vector<std::string> values) {
    DecodedMessage m;
    m.type = MessageType::kUpdate;
    m.update.relation_id = id;
    m.update.old_kind = old_kind;
    if (old_kind != 0) Fill(&m.update.old_tuple, old_values);
    Fill(&m.update.new_tuple, values);
    return m;
  }
  DecodedMessage Delete(uint32_t id, std::vector<std::string> key_values) {
    DecodedMessage m;
    m.type = MessageType::kDelete;
    m.del.relation_id = id;
    m.del.old_kind = 'K';
    Fill(&m.del.old_tuple, key_values);
    return m;
  }

 private:
  void Fill(pgoutput::TupleData* t, const std::vector<std::string>& values) {
    for (const auto& v : values) {
      names_.push_back(v);
      if (v == "<u>") {
        t->columns.push_back({ColumnKind::kUnchangedToast, {}});
      } else if (v == "<null>") {
        t->columns.push_back({ColumnKind::kNull, {}});
      } else {
        t->columns.push_back({ColumnKind::kText, names_.back()});
      }
    }
  }
  std::deque<std::string> names_;  // stable storage for the views
};

class StarRocksSinkTest : public ::testing::Test {
 protected:
  void SetUpSink(SinkOptions options = {}) {
    sink_ = std::make_unique<StarRocksSink>(std::move(options), &loader_, /*resume_after=*/100);
  }
  void Feed(const DecodedMessage& m) {
    absl::Status s = sink_->OnMessage(m);
    ASSERT_TRUE(s.ok()) << s;
  }
  absl::Status FlushAll() {
    return sink_->Flush(absl::Now(), true, [] { return true; });
  }
  static nlohmann::json Body(const Batch& b) { return nlohmann::json::parse(b.body); }

  Stream s_;
  FakeLoader loader_;
  std::unique_ptr<StarRocksSink> sink_;
};

TEST_F(StarRocksSinkTest, DurableOnlyAfterEveryTableLoaded) {
  SetUpSink();
  Feed(s_.Relation(1, "a", {"id", "v"}, {true, false}));
  Feed(s_.Relation(2, "b", {"id", "v"}, {true, false}));
  Feed(s_.Begin(1000));
  Feed(s_.Insert(1, {"1", "x"}));
  Feed(s_.Commit(1000, 1010));
  Feed(s_.Begin(2000));
  Feed(s_.Insert(2, {"2", "y"}));
  Feed(s_.Commit(2000, 2010));
  EXPECT_EQ(sink_->durable_lsn(), 100u);  // nothing loaded yet
  loader_.fail_tables = {"b"};
  EXPECT_EQ(FlushAll().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sink_->durable_lsn(), 1010u);  // a loaded, b not
  loader_.fail_tables.clear();
  ASSERT_TRUE(FlushAll().ok());
  EXPECT_EQ(sink_->durable_lsn(), 2010u);
  ASSERT_EQ(loader_.batches.size(), 2u);
  EXPECT_EQ(Body(loader_.batches[0]), nlohmann::json::parse(R"([{"id":1,"v":"x","__op":0}])"));
  EXPECT_EQ(loader_.batches[0].first, (RowPosition{1000, 0}));
  EXPECT_FALSE(loader_.batches[0].partial_update);
}

TEST_F(StarRocksSinkTest, OldestPendingCommitTimeFollowsDurability) {
  SetUpSink();
  Feed(s_.Relation(1, "a", {"id", "v"}, {true, false}));
  EXPECT_FALSE(sink_->oldest_pending_commit_time().has_value());
  Feed(s_.Begin(1000, 111));
  EXPECT_EQ(sink_->oldest_pending_commit_time(), 111);  // open transaction
  Feed(s_.Insert(1, {"1", "x"}));
  Feed(s_.Commit(1000, 1010, 111));
  Feed(s_.Begin(2000, 222));
  Feed(s_.Insert(1, {"2", "y"}));
  Feed(s_.Commit(2000, 2010, 222));
  EXPECT_EQ(sink_->oldest_pending_commit_time(), 111);
  EXPECT_EQ(sink_->last_commit_time(), 222);
  ASSERT_TRUE(FlushAll().ok());
  EXPECT_FALSE(sink_->oldest_pending_commit_time().has_value());
  Feed(s_.Begin(3000, 333));  // empty transaction: durable at its commit
  Feed(s_.Commit(3000, 3010, 333));
  EXPECT_FALSE(sink_->oldest_pending_commit_time().has_value());
  EXPECT_EQ(sink_->last_commit_time(), 333);
}

TEST_F(StarRocksSinkTest, TransactionsWithoutRowsBecomeDurableAtOnce) {
  SetUpSink();
  Feed(s_.Begin(500));
  Feed(s_.Commit(500, 510));
  EXPECT_EQ(sink_->durable_lsn(), 510u);
}

TEST_F(StarRocksSinkTest, UnchangedToastMakesOrderedPartialBatches) {
  SetUpSink();
  Feed(s_.Relation(1, "docs", {"id", "body", "n"}, {true, false, false}));
  Feed(s_.Begin(1000));
  Feed(s_.Insert(1, {"1", "big", "0"}));
  Feed(s_.Update(1, 0, {}, {"1", "<u>", "1"}));
  Feed(s_.Update(1, 0, {}, {"1", "<u>", "2"}));
  Feed(s_.Insert(1, {"2", "other", "0"}));
  Feed(s_.Delete(1, {"2", "<null>", "<null>"}));
  Feed(s_.Commit(1000, 1010));
  ASSERT_TRUE(FlushAll().ok());
  ASSERT_EQ(loader_.batches.size(), 3u);
  EXPECT_FALSE(loader_.batches[0].partial_update);
  EXPECT_TRUE(loader_.batches[1].partial_update);
  EXPECT_THAT(loader_.batches[1].columns, HasSubstr("`n`"));
  EXPECT_THAT(loader_.batches[1].columns, ::testing::Not(HasSubstr("`body`")));
  EXPECT_EQ(Body(loader_.batches[1]),
            nlohmann::json::parse(R"([{"id":1,"n":1,"__op":0},{"id":1,"n":2,"__op":0}])"));
  EXPECT_FALSE(loader_.batches[2].partial_update);  // insert + delete share a full batch
  EXPECT_EQ(Body(loader_.batches[2]),
            nlohmann::json::parse(R"([{"id":2,"body":"other","n":0,"__op":0},{"id":2,"__op":1}])"));
  EXPECT_EQ(loader_.batches[2].first, (RowPosition{1000, 3}));
  EXPECT_EQ(loader_.batches[2].last, (RowPosition{1000, 4}));
}

TEST_F(StarRocksSinkTest, ReplicaIdentityFullFillsToastFromOldRow) {
  SinkOptions options;
  options.key_columns["public.docs"] = {"id"};
  SetUpSink(options);
  // REPLICA IDENTITY FULL: pgoutput flags every column as key.
  Feed(s_.Relation(1, "docs", {"id", "body", "n"}, {true, true, true}, 'f'));
  Feed(s_.Begin(1000));
  Feed(s_.Update(1, 'O', {"1", "big", "0"}, {"1", "<u>", "1"}));
  Feed(s_.Commit(1000, 1010));
  ASSERT_TRUE(FlushAll().ok());
  ASSERT_EQ(loader_.batches.size(), 1u);
  EXPECT_FALSE(loader_.batches[0].partial_update);
  EXPECT_EQ(Body(loader_.batches[0]),
            nlohmann::json::parse(R"([{"id":1,"body":"big","n":1,"__op":0}])"));
}

TEST_F(StarRocksSinkTest, PrimaryKeyChangeIsDeleteThenUpsert) {
  SetUpSink();
  Feed(s_.Relation(1, "t", {"id", "v"}, {true, false}));
  Feed(s_.Begin(1000));
  Feed(s_.Update(1, 'K', {"1", "<null>"}, {"2", "x"}));
  Feed(s_.Commit(1000, 1010));
  ASSERT_TRUE(FlushAll().ok());
  ASSERT_EQ(loader_.batches.size(), 1u);
  EXPECT_EQ(Body(loader_.batches[0]),
            nlohmann::json::parse(R"([{"id":1,"__op":1},{"id":2,"v":"x","__op":0}])"));
  EXPECT_EQ(sink_->stats().rows_updated, 1u);
}

TEST_F(StarRocksSinkTest, PrimaryKeyChangeWithUnsentToastIsAnErrorNotANull) {
  SetUpSink();
  Feed(s_.Relation(1, "t", {"id", "body"}, {true, false}));
  Feed(s_.Begin(1000));
  absl::Status s = sink_->OnMessage(s_.Update(1, 'K', {"1", "<null>"}, {"2", "<u>"}));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("REPLICA IDENTITY FULL"));
}

TEST_F(StarRocksSinkTest, TruncateFailsUnlessIgnored) {
  SetUpSink();
  Feed(s_.Relation(1, "t", {"id"}, {true}));
  DecodedMessage m;
  m.type = MessageType::kTruncate;
  m.truncate.relation_ids = {1};
  absl::Status s = sink_->OnMessage(m);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("public.t"));
  SinkOptions ignore;
  ignore.ignore_truncate = true;
  SetUpSink(ignore);
  Feed(m);
  EXPECT_EQ(sink_->stats().truncates_ignored, 1u);
}

TEST_F(StarRocksSinkTest, RowsOfUnknownRelationsAreDataLoss) {
  SetUpSink();
  Feed(s_.Begin(1000));
  EXPECT_EQ(sink_->OnMessage(s_.Insert(9, {"1"})).code(), absl::StatusCode::kDataLoss);
}

TEST_F(StarRocksSinkTest, TablesWithoutKeyAreRejectedWithRemedy) {
  SetUpSink();
  Feed(s_.Relation(1, "nokey", {"a"}, {false}, 'n'));
  Feed(s_.Begin(1000));
  absl::Status s = sink_->OnMessage(s_.Insert(1, {"1"}));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("primary key"));
}

TEST_F(StarRocksSinkTest, BatchesHonourRowLimitAndLatency) {
  SinkOptions options;
  options.limits.max_rows = 2;
  options.limits.max_latency = absl::Seconds(5);
  options.table_map["public.t"] = "t_target";
  SetUpSink(options);
  Feed(s_.Relation(1, "t", {"id"}, {true}));
  Feed(s_.Begin(1000));
  for (int i = 0; i < 5; ++i) Feed(s_.Insert(1, {std::to_string(i)}));
  Feed(s_.Commit(1000, 1010));
  absl::Time now = absl::Now();
  ASSERT_TRUE(sink_->Flush(now, false, [] { return true; }).ok());
  ASSERT_EQ(loader_.batches.size(), 2u);  // two full batches; the fifth row waits
  EXPECT_EQ(loader_.batches[0].target_table, "t_target");
  EXPECT_EQ(sink_->durable_lsn(), 100u);  // the transaction is not fully loaded
  EXPECT_LE(sink_->NextFlushTime(), now + absl::Seconds(5));
  ASSERT_TRUE(sink_->Flush(now + absl::Seconds(6), false, [] { return true; }).ok());
  ASSERT_EQ(loader_.batches.size(), 3u);
  EXPECT_EQ(loader_.batches[2].rows, 1u);
  EXPECT_EQ(sink_->durable_lsn(), 1010u);
  EXPECT_EQ(sink_->NextFlushTime(), absl::InfiniteFuture());
}

TEST_F(StarRocksSinkTest, SchemaChangeSealsTheOpenBatch) {
  SetUpSink();
  Feed(s_.Relation(1, "t", {"id", "v"}, {true, false}));
  Feed(s_.Begin(1000));
  Feed(s_.Insert(1, {"1", "a"}));
  Feed(s_.Relation(1, "t", {"id", "v", "w"}, {true, false, false}));
  Feed(s_.Insert(1, {"2", "b", "c"}));
  Feed(s_.Commit(1000, 1010));
  ASSERT_TRUE(FlushAll().ok());
  ASSERT_EQ(loader_.batches.size(), 2u);
  EXPECT_THAT(loader_.batches[0].columns, ::testing::Not(HasSubstr("`w`")));
  EXPECT_THAT(loader_.batches[1].columns, HasSubstr("`w`"));
}

TEST_F(StarRocksSinkTest, BufferedBytesDriveBackpressure) {
  SinkOptions options;
  options.max_buffered_bytes = 64;
  SetUpSink(options);
  Feed(s_.Relation(1, "t", {"id", "v"}, {true, false}));
  Feed(s_.Begin(1000));
  EXPECT_FALSE(sink_->ShouldPause());
  for (int i = 0; i < 5; ++i) Feed(s_.Insert(1, {std::to_string(i), "some text"}));
  EXPECT_TRUE(sink_->ShouldPause());
  Feed(s_.Commit(1000, 1010));
  ASSERT_TRUE(FlushAll().ok());
  EXPECT_FALSE(sink_->ShouldPause());
  EXPECT_EQ(sink_->buffered_bytes(), 0u);
}

TEST_F(StarRocksSinkTest, AsyncLoadsOneBatchPerTableAtATimeInOrder) {
  SinkOptions options;
  options.limits.max_rows = 1;  // one row per batch
  SetUpSink(options);
  Feed(s_.Relation(1, "a", {"id", "v"}, {true, false}));
  Feed(s_.Relation(2, "b", {"id", "v"}, {true, false}));
  Feed(s_.Begin(1000));
  Feed(s_.Insert(1, {"1", "x"}));
  Feed(s_.Insert(1, {"2", "y"}));
  Feed(s_.Insert(2, {"3", "z"}));
  Feed(s_.Commit(1000, 1010));

  auto tickets = sink_->StartLoads(absl::Now(), /*force=*/true);
  ASSERT_EQ(tickets.size(), 2u);  // one per table, not both batches of "a"
  EXPECT_EQ(sink_->loads_in_flight(), 2);
  EXPECT_TRUE(sink_->StartLoads(absl::Now(), true).empty());  // nothing new while in flight
  EXPECT_EQ(sink_->NextFlushTime(), absl::InfiniteFuture());
  const StarRocksSink::LoadTicket* a =
      tickets[0].batch->target_table == "a" ? &tickets[0] : &tickets[1];
  const StarRocksSink::LoadTicket* b = a == &tickets[0] ? &tickets[1] : &tickets[0];
  EXPECT_EQ(Body(*a->batch)[0]["id"], 1);

  // "b" loads; "a"'s first batch fails: nothing is durable, the batch stays.
  ASSERT_TRUE(sink_->CompleteLoad(b->table_key, absl::OkStatus()).ok());
  absl::Status failed = sink_->CompleteLoad(a->table_key, absl::UnavailableError("injected"));
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sink_->durable_lsn(), 100u);
  EXPECT_EQ(sink_->CompleteLoad(a->table_key, absl::OkStatus()).code(),
            absl::StatusCode::kNotFound);  // not in flight any more

  // The same batch is offered again, then the next one of the table.
  auto retry = sink_->StartLoads(absl::Now(), false);
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(Body(*retry[0].batch)[0]["id"], 1);
  ASSERT_TRUE(sink_->CompleteLoad(retry[0].table_key, absl::OkStatus()).ok());
  EXPECT_EQ(sink_->durable_lsn(), 100u);  // row 2 of the transaction is not loaded yet
  auto next = sink_->StartLoads(absl::Now(), false);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(Body(*next[0].batch)[0]["id"], 2);
  ASSERT_TRUE(sink_->CompleteLoad(next[0].table_key, absl::OkStatus()).ok());
  EXPECT_EQ(sink_->durable_lsn(), 1010u);
  EXPECT_TRUE(sink_->Idle());
  EXPECT_EQ(sink_->stats().batches_loaded, 3u);
}

// A loaded batch's body is reused by the next batch (no regrowing, no fresh
// pages); the sink's own spare is freed once nothing is buffered.
TEST_F(StarRocksSinkTest, LoadedBodiesAreReusedThroughThePool) {
  BodyBufferPool pool(2, 1 << 20);
  SinkOptions options;
  options.limits.max_rows = 2;
  options.body_pool = &pool;
  SetUpSink(options);
  Feed(s_.Relation(1, "a", {"id", "v"}, {true, false}));
  Feed(s_.Begin(1000));
  Feed(s_.Insert(1, {"1", std::string(5000, 'x')}));
  Feed(s_.Insert(1, {"2", "y"}));  // the first batch is sealed: 2 rows
  auto first = sink_->StartLoads(absl::Now(), false);
  ASSERT_EQ(first.size(), 1u);
  const char* memory = first[0].batch->body.data();
  ASSERT_TRUE(sink_->CompleteLoad(first[0].table_key, absl::OkStatus()).ok());
  EXPECT_EQ(pool.idle_buffers(), 1u);
  Feed(s_.Insert(1, {"3", "z"}));  // opens the next batch from the pool
  EXPECT_EQ(pool.idle_buffers(), 0u);
  Feed(s_.Commit(1000, 1010));
  auto second = sink_->StartLoads(absl::Now(), true);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].batch->body.data(), memory);
  EXPECT_EQ(Body(*second[0].batch), nlohmann::json::parse(R"([{"id":3,"v":"z","__op":0}])"));
  ASSERT_TRUE(sink_->CompleteLoad(second[0].table_key, absl::OkStatus()).ok());
  EXPECT_EQ(sink_->durable_lsn(), 1010u);
  EXPECT_EQ(pool.idle_buffers(), 1u);  // a shared pool keeps it for other sinks
}

TEST_F(StarRocksSinkTest, AbandonedLoadsAreOfferedAgain) {
  SetUpSink();
  Feed(s_.Relation(1, "a", {"id", "v"}, {true, false}));
  Feed(s_.Begin(1000));
  Feed(s_.Insert(1, {"1", "x"}));
  Feed(s_.Commit(1000, 1010));
  ASSERT_EQ(sink_->StartLoads(absl::Now(), true).size(), 1u);
  EXPECT_FALSE(sink_->Idle());
  sink_->AbandonLoads();
  EXPECT_EQ(sink_->loads_in_flight(), 0);
  auto again = sink_->StartLoads(absl::Now(), false);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(Body(*again[0].batch)[0]["id"], 1);
}

}  // namespace
}  // namespace dbmazz::sink
