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
#include "tests/support/pg_environment.h"
#include "tests/support/starrocks_emulator/emulator.h"

namespace dbmazz {
namespace {

using testing::PgEnvironment;

constexpr char kSchema[] = R"yaml(
users:
  - {name: dbmazz, password: "s3cr:et pw"}
databases:
  - name: shop
    tables:
      - name: orders
        keys: primary
        key_columns: [id]
        columns:
          - {name: id, type: BIGINT, not_null: true}
          - {name: customer, type: "VARCHAR(256)"}
          - {name: amount, type: "DECIMAL(12,2)"}
          - {name: status, type: "VARCHAR(64)"}
          - {name: note, type: "VARCHAR(1048576)"}
      - name: items
        keys: primary
        key_columns: [order_id, line]
        columns:
          - {name: order_id, type: BIGINT, not_null: true}
          - {name: line, type: INT, not_null: true}
          - {name: sku, type: "VARCHAR(64)"}
          - {name: qty, type: INT}
)yaml";

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
    ASSERT_TRUE(cluster().CreateDatabase(db_).ok());
    auto schema = starrocks_emulator::ParseSchema(kSchema);
    ASSERT_TRUE(schema.ok()) << schema.status();
    starrocks_emulator::EmulatorOptions options;
    options.schema = *schema;
    auto emulator = starrocks_emulator::StarRocksEmulator::Start(std::move(options));
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = std::move(*emulator);
    Sql("CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric(12,2), "
        "status text, note text)");
    Sql("ALTER TABLE orders ALTER COLUMN note SET STORAGE EXTERNAL");
    Sql("CREATE TABLE items (order_id bigint, line int, sku text, qty int, "
        "PRIMARY KEY (order_id, line))");
    Sql("CREATE PUBLICATION p FOR TABLE orders, items");
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
    lo.fe_url = emulator_->fe_url();
    lo.database = "shop";
    lo.user = "dbmazz";
    lo.password = "s3cr:et pw";
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

  // Source rows as "id|customer|amount|status|note", sorted by key.
  std::vector<std::string> SourceOrders() {
    auto rows = cluster().Query(
        "SELECT id, coalesce(customer, '<null>'), coalesce(amount::text, '<null>'), "
        "coalesce(status, '<null>'), coalesce(note, '<null>') FROM orders ORDER BY id",
        db_);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<std::string> out;
    for (const auto& r : *rows)
      out.push_back(absl::StrCat(*r[0], "|", *r[1], "|", *r[2], "|", *r[3], "|", *r[4]));
    return out;
  }
  std::vector<std::string> TargetOrders() {
    auto dump = emulator_->DumpTable("shop", "orders");
    EXPECT_TRUE(dump.ok()) << dump.status();
    std::vector<std::string> out;
    auto text = [](const nlohmann::ordered_json& v) -> std::string {
      if (v.is_null()) return "<null>";
      if (v.is_string()) return v.get<std::string>();
      return v.dump();
    };
    for (const auto& r : dump->at("rows")) {
      out.push_back(absl::StrCat(text(r["id"]), "|", text(r["customer"]), "|", text(r["amount"]),
                                 "|", text(r["status"]), "|", text(r["note"])));
    }
    return out;
  }
  std::vector<std::string> SourceItems() {
    auto rows = cluster().Query(
        "SELECT order_id, line, coalesce(sku, '<null>'), coalesce(qty::text, '<null>') FROM items "
        "ORDER BY 1, 2",
        db_);
    EXPECT_TRUE(rows.ok());
    std::vector<std::string> out;
    for (const auto& r : *rows)
      out.push_back(absl::StrCat(*r[0], "|", *r[1], "|", *r[2], "|", *r[3]));
    return out;
  }
  std::vector<std::string> TargetItems() {
    auto dump = emulator_->DumpTable("shop", "items");
    EXPECT_TRUE(dump.ok());
    std::vector<std::string> out;
    for (const auto& r : dump->at("rows")) {
      out.push_back(absl::StrCat(r["order_id"].dump(), "|", r["line"].dump(), "|",
                                 r["sku"].is_null() ? "<null>" : r["sku"].get<std::string>(), "|",
                                 r["qty"].is_null() ? "<null>" : r["qty"].dump()));
    }
    return out;
  }
  // Compares at most every 300 ms (a comparison reads both sides in full).
  bool Converged() {
    if (absl::Now() < next_check_) return false;
    next_check_ = absl::Now() + absl::Milliseconds(300);
    return SourceOrders() == TargetOrders() && SourceItems() == TargetItems();
  }
  absl::Time next_check_ = absl::InfinitePast();

  // The mixed workload: inserts, TOAST-unchanged updates, key changes,
  // multi-table transactions, deletes and a rollback.
  void Workload(int round) {
    int base = round * 1000;
    Sql(absl::StrCat("INSERT INTO orders SELECT ", base,
                     " + i, 'customer ' || i, i * 1.25, 'new', ",
                     "CASE WHEN i % 10 = 0 THEN repeat(md5(i::text), 400) ELSE 'short ' || i END ",
                     "FROM generate_series(1, 120) i"));
    Sql(absl::StrCat("INSERT INTO items SELECT ", base, " + i, l, 'sku-' || l, l FROM ",
                     "generate_series(1, 60) i, generate_series(1, 3) l"));
    // Updates that leave the TOASTed note unchanged → partial updates.
    Sql(absl::StrCat(
        "UPDATE orders SET status = 'paid', amount = amount + 1 WHERE id % 10 = 0 AND id > ",
        base));
    Sql(absl::StrCat("BEGIN; UPDATE orders SET customer = NULL WHERE id = ", base + 3,
                     "; UPDATE items SET qty = qty * 10 WHERE order_id = ", base + 3, "; COMMIT"));
    // Primary-key changes on rows without TOASTed values.
    Sql(absl::StrCat("UPDATE orders SET id = id + 500 WHERE id BETWEEN ", base + 11, " AND ",
                     base + 15));
    Sql(absl::StrCat("UPDATE items SET line = line + 10 WHERE order_id = ", base + 7));
    Sql(absl::StrCat("DELETE FROM orders WHERE id % 7 = 0 AND id > ", base));
    Sql(absl::StrCat("DELETE FROM items WHERE order_id = ", base + 2));
    Sql(absl::StrCat("BEGIN; INSERT INTO orders VALUES (", base + 999,
                     ", 'ghost', 1, 'x', 'y'); ROLLBACK"));
    Sql(absl::StrCat("BEGIN; DELETE FROM orders WHERE id = ", base + 1,
                     "; INSERT INTO orders VALUES (", base + 1,
                     ", 'reborn', 9.99, 'new', 'n'); COMMIT"));
  }

  std::string db_;
  std::unique_ptr<starrocks_emulator::StarRocksEmulator> emulator_;
};

TEST_F(SinkEndToEndTest, MixedWorkloadConverges) {
  Workload(0);
  auto p = StartPipeline(0);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::Status s = p->RunUntil([&] { return Converged(); }, absl::Seconds(60));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(TargetOrders(), ::testing::Contains(::testing::HasSubstr("|reborn|9.99|")));
  EXPECT_GT(p->sink->stats().batches_loaded, 5u);
  // Live changes while streaming.
  Workload(1);
  s = p->RunUntil([&] { return Converged(); }, absl::Seconds(60));
  ASSERT_TRUE(s.ok()) << s;
  // Partial updates were used for the unchanged TOAST values.
  bool saw_partial = false;
  for (const auto& load : emulator_->Loads()) {
    for (const auto& [name, value] : load.headers) {
      saw_partial |= (name == "partial_update" && value == "true" && load.applied);
    }
  }
  EXPECT_TRUE(saw_partial);
  EXPECT_TRUE(p->stream->Close().ok());
}

TEST_F(SinkEndToEndTest, InjectedSinkFaultsAreRetriedWithoutLossOrDuplicates) {
  Workload(0);
  ASSERT_TRUE(
      emulator_->AddFaults(R"({"action":"fail","preset":"too_many_versions","count":3})").ok());
  ASSERT_TRUE(emulator_->AddFaults(R"({"action":"http_error","status":503,"count":2})").ok());
  // Applied, then the connection drops: only the label prevents a double apply.
  ASSERT_TRUE(emulator_->AddFaults(R"({"action":"drop","phase":"after_apply","count":2})").ok());
  ASSERT_TRUE(emulator_->AddFaults(R"({"action":"publish_timeout","count":1})").ok());
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
  ASSERT_TRUE(
      emulator_->AddFaults(R"({"action":"fail","preset":"access_denied","count":-1})").ok());
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
