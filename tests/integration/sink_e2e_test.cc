// PostgreSQL → ReplicationStream → StarRocksSink → Stream Load → emulator, all
// real: the target tables must end up equal to the source, row for row, under
// mixed workloads, unchanged TOAST values, key changes, injected sink faults
// and a crash that loses everything not yet checkpointed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "absl/strings/str_cat.h"
#include "engine/postgres/source_admin.h"
#include "engine/replication/replication_stream.h"
#include "engine/sink/starrocks_sink.h"
#include "engine/sink/stream_load_batch_loader.h"
#include "tests/integration/shop_workload.h"
#include "tests/support/pg_environment.h"

namespace dbmazz {
namespace {

using testing::PgEnvironment;

// Forwards stream messages to the sink.
class SinkHandler : public replication::ChangeHandler {
 public:
  explicit SinkHandler(sink::StarRocksSink* sink) : sink_(sink) {}
  absl::Status OnMessage(const pgoutput::DecodedMessage& m, Lsn) override {
    return sink_->OnMessage(m);
  }

 private:
  sink::StarRocksSink* sink_;
};

// One pipeline's moving parts, driven by the test's thread.
struct MiniPipeline {
  std::unique_ptr<replication::ReplicationStream> stream;
  std::unique_ptr<sink::StreamLoadBatchLoader> loader;
  std::unique_ptr<sink::StarRocksSink> sink;
  std::unique_ptr<SinkHandler> handler;

  // Streams, loads and confirms until `done` holds, a step fails, or timeout.
  absl::Status RunUntil(const std::function<bool()>& done, absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    auto tick = [this] { return stream->SendStatusIfDue(absl::Now()).ok(); };
    while (!done()) {
      if (absl::Now() > deadline) return absl::DeadlineExceededError("pipeline did not converge");
      auto r = stream->PollAndPump(*handler, 10000, absl::Now() + absl::Milliseconds(50));
      if (!r.ok()) return r.status();
      if (absl::Status s = sink->Flush(absl::Now(), false, tick); !s.ok()) return s;
      stream->ConfirmDurable(sink->durable_lsn());
    }
    return absl::OkStatus();
  }
};

class SinkEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    db_ = absl::StrCat("e2e_", counter.fetch_add(1));
    absl::Status s = workload_.SetUp(&cluster(), db_);
    ASSERT_TRUE(s.ok()) << s;
    Sql(absl::StrCat("SELECT pg_create_logical_replication_slot('", db_, "', 'pgoutput')"));
  }

  testing::PgCluster& cluster() { return PgEnvironment::cluster(); }
  void Sql(std::string_view sql) {
    absl::Status s = cluster().Exec(sql, db_);
    ASSERT_TRUE(s.ok()) << s << "\n" << sql;
  }

  absl::StatusOr<MiniPipeline> StartPipeline(Lsn checkpoint) {
    MiniPipeline p;
    postgres::ConnectOptions co;
    co.replication = true;
    auto conn = postgres::PgConnection::Connect(cluster().Dsn(db_), co);
    if (!conn.ok()) return conn.status();
    replication::StreamOptions so;
    so.start.slot_name = db_;
    so.start.publications = {"p"};
    so.resume_after = checkpoint;
    auto stream = replication::ReplicationStream::Start(std::move(*conn), so);
    if (!stream.ok()) return stream.status();
    p.stream = std::move(*stream);
    sink::StreamLoadOptions lo;
    lo.fe_url = workload_.emulator().fe_url();
    lo.database = testing::ShopWorkload::kDatabase;
    lo.user = testing::ShopWorkload::kUser;
    lo.password = testing::ShopWorkload::kPassword;
    lo.initial_backoff = std::chrono::milliseconds(20);
    lo.max_backoff = std::chrono::milliseconds(200);
    auto client = sink::StreamLoadClient::Create(lo);
    if (!client.ok()) return client.status();
    p.loader = std::make_unique<sink::StreamLoadBatchLoader>(db_, std::move(*client));
    sink::SinkOptions options;
    options.limits.max_rows = 50;  // many batches, so ordering across batches is exercised
    options.limits.max_latency = absl::Milliseconds(100);
    p.sink = std::make_unique<sink::StarRocksSink>(options, p.loader.get(), checkpoint);
    p.handler = std::make_unique<SinkHandler>(p.sink.get());
    return p;
  }

  void Workload(int round) { workload_.Run(round); }
  bool Converged() { return workload_.Converged(); }

  std::string db_;
  testing::ShopWorkload workload_;
};

TEST_F(SinkEndToEndTest, MixedWorkloadConverges) {
  Workload(0);
  auto p = StartPipeline(0);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::Status s = p->RunUntil([&] { return Converged(); }, absl::Seconds(60));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(workload_.TargetOrders(), ::testing::Contains(::testing::HasSubstr("|reborn|9.99|")));
  EXPECT_GT(p->sink->stats().batches_loaded, 5u);
  // Live changes while streaming.
  Workload(1);
  s = p->RunUntil([&] { return Converged(); }, absl::Seconds(60));
  ASSERT_TRUE(s.ok()) << s;
  // Partial updates were used for the unchanged TOAST values.
  bool saw_partial = false;
  for (const auto& load : workload_.emulator().Loads()) {
    for (const auto& [name, value] : load.headers) {
      saw_partial |= (name == "partial_update" && value == "true" && load.applied);
    }
  }
  EXPECT_TRUE(saw_partial);
  EXPECT_TRUE(p->stream->Close().ok());
}

TEST_F(SinkEndToEndTest, InjectedSinkFaultsAreRetriedWithoutLossOrDuplicates) {
  Workload(0);
  ASSERT_TRUE(workload_.emulator()
                  .AddFaults(R"({"action":"fail","preset":"too_many_versions","count":3})")
                  .ok());
  ASSERT_TRUE(
      workload_.emulator().AddFaults(R"({"action":"http_error","status":503,"count":2})").ok());
  // Applied, then the connection drops: only the label prevents a double apply.
  ASSERT_TRUE(
      workload_.emulator().AddFaults(R"({"action":"drop","phase":"after_apply","count":2})").ok());
  ASSERT_TRUE(workload_.emulator().AddFaults(R"({"action":"publish_timeout","count":1})").ok());
  auto p = StartPipeline(0);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::Status s = p->RunUntil([&] { return Converged(); }, absl::Seconds(90));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_GE(p->loader->client().stats().retries, 5);
}

TEST_F(SinkEndToEndTest, CrashBeforeCheckpointReplaysToTheSameState) {
  Workload(0);
  Lsn checkpoint = 0;
  {
    auto p = StartPipeline(0);
    ASSERT_TRUE(p.ok()) << p.status();
    // Load part of the stream, "checkpoint" what is durable, then crash: the
    // pipeline object is dropped without Close() or a final flush.
    absl::Status s =
        p->RunUntil([&] { return p->sink->stats().batches_loaded >= 4; }, absl::Seconds(60));
    ASSERT_TRUE(s.ok()) << s;
    checkpoint = p->sink->durable_lsn();
  }
  Workload(1);
  auto p = StartPipeline(checkpoint);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::Status s = p->RunUntil([&] { return Converged(); }, absl::Seconds(90));
  ASSERT_TRUE(s.ok()) << s;
}

TEST_F(SinkEndToEndTest, PermanentSinkErrorStopsWithStarRocksMessage) {
  Sql("INSERT INTO orders VALUES (1, 'a', 1, 'new', 'n')");
  ASSERT_TRUE(workload_.emulator()
                  .AddFaults(R"({"action":"fail","preset":"access_denied","count":-1})")
                  .ok());
  auto p = StartPipeline(0);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::Status s = p->RunUntil([] { return false; }, absl::Seconds(30));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("Access denied"));
  EXPECT_EQ(p->sink->durable_lsn(), 0u);  // nothing may be confirmed
}

}  // namespace
}  // namespace dbmazz
