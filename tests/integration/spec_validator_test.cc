// ValidateLive against real PostgreSQL (the shared fixture cluster, plus one
// small misconfigured cluster) and the StarRocks emulator's FE.
#include "engine/pipeline/spec_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/pg_environment.h"
#include "tests/support/starrocks_emulator/emulator.h"

namespace dbmazz::pipeline {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::PgCluster;
using testing::PgEnvironment;
using ::testing::StartsWith;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

const CheckResult* Find(const std::vector<CheckResult>& checks, std::string_view name) {
  for (const CheckResult& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string Dump(const std::vector<CheckResult>& checks) {
  std::string out;
  for (const CheckResult& c : checks) {
    out += (c.passed ? "  PASS " : "  FAIL ") + c.name + ": " + c.message + "\n";
  }
  return out;
}

class SpecValidatorTest : public ::testing::Test {
 protected:
  // A fresh database per test; the tables every test starts with.
  void SetUp() override {
    db_ = std::string("v_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : db_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto created = cluster().CreateDatabase(db_);
    ASSERT_TRUE(created.ok()) << created.status();
    Sql("CREATE TABLE orders (id int8 PRIMARY KEY, note text)");
    Sql("CREATE TABLE items (order_id int8, line int4, sku text, PRIMARY KEY (order_id, line))");
  }
  void TearDown() override {
    // Slots hold WAL for the whole cluster: drop any this test left.
    (void)cluster().Exec(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" +
        db_ + "'");
  }

  static PgCluster& cluster() { return PgEnvironment::cluster(); }
  void Sql(std::string_view sql) {
    absl::Status s = cluster().Exec(sql, db_);
    ASSERT_TRUE(s.ok()) << s << "\n" << sql;
  }

  PipelineSpec Spec(std::string dsn = "") {
    PipelineSpec spec;
    spec.source.dsn = dsn.empty() ? cluster().Dsn(db_) : std::move(dsn);
    spec.tables.push_back(TableSpec{{"public", "orders"}, "", {}});
    spec.tables.push_back(TableSpec{{"public", "items"}, "order_items", {}});
    spec.sink.fe_url = "http://127.0.0.1:1";
    spec.sink.database = "shop";
    spec.sink.user = "root";
    EXPECT_TRUE(ApplyDefaults(PipelineId(), &spec).ok());
    EXPECT_TRUE(ValidateSpecStatic(PipelineId(), spec).ok())
        << ValidateSpecStatic(PipelineId(), spec);
    return spec;
  }
  std::string PipelineId() const {
    std::string id = db_;
    for (char& c : id) c = c == '_' ? '-' : c;
    return id;
  }
  static ValidationContext NoSink() {
    ValidationContext context;
    context.check_sink = false;
    return context;
  }
  std::vector<CheckResult> Run(const PipelineSpec& spec, const ValidationContext& context) {
    auto checks = ValidateLive(spec, context);
    EXPECT_TRUE(checks.ok()) << checks.status();
    return checks.ok() ? *checks : std::vector<CheckResult>{};
  }

  std::string db_;
};

TEST_F(SpecValidatorTest, AllChecksPassOnAGoodSetup) {
  auto emulator = starrocks_emulator::StarRocksEmulator::Start({});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  PipelineSpec spec = Spec();
  spec.sink.fe_url = (*emulator)->fe_url();
  std::vector<CheckResult> checks = Run(spec, ValidationContext{});
  std::vector<std::string> names;
  for (const CheckResult& c : checks) names.push_back(c.name);
  EXPECT_THAT(
      names, ElementsAreArray({"source.reachable", "source.wal_level",
                               "source.standard_conforming_strings", "source.replication_privilege",
                               "source.max_replication_slots", "source.max_wal_senders",
                               "table.public.orders.exists", "table.public.orders.identity",
                               "table.public.orders.select_privilege", "table.public.items.exists",
                               "table.public.items.identity", "table.public.items.select_privilege",
                               "slot.available", "publication.available", "sink.reachable"}));
  for (const CheckResult& c : checks) {
    EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
    EXPECT_EQ(c.code, absl::StatusCode::kOk) << c.name;
  }
  EXPECT_TRUE(FirstFailure(checks).ok()) << Dump(checks);
  EXPECT_THAT(Find(checks, "table.public.items.identity")->message,
              HasSubstr("primary key (order_id, line)"));
  EXPECT_THAT(Find(checks, "slot.available")->message, HasSubstr("will be created"));
  EXPECT_THAT(Find(checks, "publication.available")->message, HasSubstr("will be created"));

  // Without a snapshot, SELECT is not needed and not checked.
  spec.snapshot_mode = SnapshotMode::kNever;
  checks = Run(spec, NoSink());
  EXPECT_EQ(Find(checks, "table.public.orders.select_privilege"), nullptr);
  EXPECT_EQ(Find(checks, "sink.reachable"), nullptr);
  EXPECT_TRUE(FirstFailure(checks).ok()) << Dump(checks);
}

TEST_F(SpecValidatorTest, MissingTable) {
  PipelineSpec spec = Spec();
  spec.tables.push_back(TableSpec{{"public", "nope"}, "nope", {}});
  std::vector<CheckResult> checks = Run(spec, NoSink());
  const CheckResult* exists = Find(checks, "table.public.nope.exists");
  ASSERT_NE(exists, nullptr) << Dump(checks);
  EXPECT_FALSE(exists->passed);
  EXPECT_THAT(exists->message, HasSubstr("does not exist"));
  EXPECT_EQ(Find(checks, "table.public.nope.identity")->message, "skipped: table missing");
  EXPECT_TRUE(Find(checks, "table.public.orders.exists")->passed);
  absl::Status first = FirstFailure(checks);
  EXPECT_EQ(first.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Msg(first), StartsWith("table.public.nope.exists: "));
}

TEST_F(SpecValidatorTest, TableIdentityRules) {
  Sql("CREATE TABLE events (id int8, body text)");
  PipelineSpec spec = Spec();
  spec.tables.push_back(TableSpec{{"public", "events"}, "events", {}});
  auto identity = [&](const PipelineSpec& s) {
    std::vector<CheckResult> checks = Run(s, NoSink());
    const CheckResult* c = Find(checks, "table.public.events.identity");
    EXPECT_NE(c, nullptr) << Dump(checks);
    return c != nullptr ? *c : CheckResult{};
  };
  // No primary key, REPLICA IDENTITY DEFAULT.
  CheckResult none = identity(spec);
  EXPECT_FALSE(none.passed);
  EXPECT_THAT(none.message, HasSubstr("no primary key"));
  EXPECT_THAT(none.message, HasSubstr("REPLICA IDENTITY FULL"));

  // FULL needs key columns, which must exist.
  Sql("ALTER TABLE events REPLICA IDENTITY FULL");
  CheckResult full = identity(spec);
  EXPECT_FALSE(full.passed);
  EXPECT_THAT(full.message, HasSubstr("key_columns"));
  spec.tables.back().key_columns = {"nope"};
  EXPECT_FALSE(identity(spec).passed);
  spec.tables.back().key_columns = {"id"};
  CheckResult keyed = identity(spec);
  EXPECT_TRUE(keyed.passed) << keyed.message;

  // NOTHING is never enough.
  Sql("ALTER TABLE events REPLICA IDENTITY NOTHING");
  EXPECT_THAT(identity(spec).message, HasSubstr("NOTHING"));
  EXPECT_FALSE(identity(spec).passed);

  // With a primary key, key columns must be part of it (deletes carry only it).
  Sql("ALTER TABLE events REPLICA IDENTITY DEFAULT");
  Sql("ALTER TABLE events ADD PRIMARY KEY (id)");
  spec.tables.back().key_columns = {"body"};
  CheckResult outside = identity(spec);
  EXPECT_FALSE(outside.passed);
  EXPECT_THAT(outside.message, HasSubstr("not part of the primary key"));
  spec.tables.back().key_columns = {};
  EXPECT_TRUE(identity(spec).passed);

  // A replica identity index works like a key.
  Sql("CREATE TABLE tagged (a int NOT NULL, b int NOT NULL, c text)");
  Sql("CREATE UNIQUE INDEX tagged_ab ON tagged (a, b)");
  Sql("ALTER TABLE tagged REPLICA IDENTITY USING INDEX tagged_ab");
  spec.tables.push_back(TableSpec{{"public", "tagged"}, "tagged", {}});
  std::vector<CheckResult> checks = Run(spec, NoSink());
  EXPECT_TRUE(Find(checks, "table.public.tagged.identity")->passed) << Dump(checks);
  EXPECT_THAT(Find(checks, "table.public.tagged.identity")->message, HasSubstr("(a, b)"));
}

TEST_F(SpecValidatorTest, PartitionedTableNeedsPublishViaRoot) {
  Sql("CREATE TABLE metrics (id int8, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)");
  Sql("CREATE TABLE metrics_2024 PARTITION OF metrics FOR VALUES FROM ('2024-01-01') TO "
      "('2025-01-01')");
  PipelineSpec spec = Spec();
  spec.tables = {TableSpec{{"public", "metrics"}, "metrics", {}}};
  std::vector<CheckResult> checks = Run(spec, NoSink());
  EXPECT_FALSE(Find(checks, "table.public.metrics.exists")->passed) << Dump(checks);
  EXPECT_THAT(Find(checks, "table.public.metrics.exists")->message,
              HasSubstr("publish_via_partition_root"));
  Sql("CREATE PUBLICATION " + spec.source.publication_name +
      " FOR TABLE metrics WITH (publish_via_partition_root = true)");
  checks = Run(spec, NoSink());
  EXPECT_TRUE(FirstFailure(checks).ok()) << Dump(checks);
}

TEST_F(SpecValidatorTest, RoleWithoutReplicationOrPrivileges) {
  Sql("CREATE ROLE plain_user LOGIN PASSWORD 'plain-pw-123'");
  PipelineSpec spec = Spec(cluster().TcpDsn(db_, "plain_user", "plain-pw-123"));
  std::vector<CheckResult> checks = Run(spec, NoSink());
  EXPECT_TRUE(Find(checks, "source.reachable")->passed) << Dump(checks);
  const CheckResult* replication = Find(checks, "source.replication_privilege");
  EXPECT_FALSE(replication->passed);
  EXPECT_EQ(replication->code, absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(replication->message, HasSubstr("ALTER ROLE \"plain_user\" REPLICATION"));
  const CheckResult* select = Find(checks, "table.public.orders.select_privilege");
  EXPECT_FALSE(select->passed);
  EXPECT_THAT(select->message, HasSubstr("GRANT SELECT ON \"public\".\"orders\""));
  const CheckResult* publication = Find(checks, "publication.available");
  EXPECT_FALSE(publication->passed);
  EXPECT_EQ(publication->code, absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(publication->message, HasSubstr("CREATE PUBLICATION"));
  absl::Status first = FirstFailure(checks);
  EXPECT_EQ(first.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Msg(first), StartsWith("source.replication_privilege: "));
  for (const CheckResult& c : checks) EXPECT_THAT(c.message, Not(HasSubstr("plain-pw-123")));

  // Granted what it lacks (and with a publication made by an administrator),
  // everything passes.
  Sql("ALTER ROLE plain_user REPLICATION");
  Sql("GRANT SELECT ON orders, items TO plain_user");
  Sql("CREATE PUBLICATION " + spec.source.publication_name + " FOR TABLE orders, items");
  checks = Run(spec, NoSink());
  EXPECT_TRUE(FirstFailure(checks).ok()) << Dump(checks);
  EXPECT_THAT(Find(checks, "publication.available")->message, HasSubstr("publishes every table"));
}

TEST_F(SpecValidatorTest, WrongPasswordFailsWithoutEchoingIt) {
  Sql("CREATE ROLE pw_user LOGIN PASSWORD 'right-pw-123'");
  PipelineSpec spec = Spec(cluster().TcpDsn(db_, "pw_user", "Wr0ng-Passw0rd"));
  std::vector<CheckResult> checks = Run(spec, NoSink());
  const CheckResult* reachable = Find(checks, "source.reachable");
  ASSERT_NE(reachable, nullptr);
  EXPECT_FALSE(reachable->passed);
  EXPECT_EQ(reachable->code, absl::StatusCode::kUnauthenticated) << reachable->message;
  EXPECT_THAT(reachable->message, HasSubstr("password authentication failed"));
  for (const CheckResult& c : checks) {
    EXPECT_THAT(c.message, Not(HasSubstr("Wr0ng-Passw0rd"))) << c.name;
    if (c.name != "source.reachable") {
      EXPECT_FALSE(c.passed);
      EXPECT_EQ(c.message, "skipped: source unreachable") << c.name;
    }
  }
  EXPECT_NE(Find(checks, "publication.available"), nullptr);
  absl::Status first = FirstFailure(checks);
  EXPECT_EQ(first.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(Msg(first), Not(HasSubstr("Wr0ng-Passw0rd")));
}

TEST_F(SpecValidatorTest, UnreachableSourceAndSink) {
  int port = ClosedPort();
  PipelineSpec spec = Spec("host=127.0.0.1 port=" + std::to_string(port) +
                           " dbname=x user=postgres password=Un-Reach-Secret");
  spec.sink.fe_url = "http://127.0.0.1:" + std::to_string(ClosedPort());
  std::vector<CheckResult> checks = Run(spec, ValidationContext{});
  const CheckResult* reachable = Find(checks, "source.reachable");
  EXPECT_FALSE(reachable->passed);
  EXPECT_EQ(reachable->code, absl::StatusCode::kUnavailable) << reachable->message;
  EXPECT_EQ(Find(checks, "source.wal_level")->message, "skipped: source unreachable");
  EXPECT_EQ(Find(checks, "table.public.items.identity")->message, "skipped: source unreachable");
  const CheckResult* sink = Find(checks, "sink.reachable");
  ASSERT_NE(sink, nullptr);
  EXPECT_FALSE(sink->passed);
  EXPECT_EQ(sink->code, absl::StatusCode::kUnavailable);
  for (const CheckResult& c : checks) EXPECT_THAT(c.message, Not(HasSubstr("Un-Reach-Secret")));
  absl::Status first = FirstFailure(checks);
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Msg(first), StartsWith("source.reachable: "));
}

TEST_F(SpecValidatorTest, SlotOwnership) {
  PipelineSpec spec = Spec();
  const std::string& slot = spec.source.slot_name;
  // Claimed by another pipeline (whether or not it exists yet).
  ValidationContext context = NoSink();
  context.other_slots = {slot};
  std::vector<CheckResult> checks = Run(spec, context);
  EXPECT_FALSE(Find(checks, "slot.available")->passed);
  EXPECT_THAT(Find(checks, "slot.available")->message, HasSubstr("another pipeline"));
  EXPECT_THAT(Msg(FirstFailure(checks)), StartsWith("slot.available: "));

  // Ours but gone: changes are lost.
  context = NoSink();
  context.owns_slot = true;
  checks = Run(spec, context);
  EXPECT_FALSE(Find(checks, "slot.available")->passed);
  EXPECT_THAT(Find(checks, "slot.available")->message, HasSubstr("no longer exists"));

  Sql("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
  // Present but not created by this pipeline: never adopted.
  checks = Run(spec, NoSink());
  EXPECT_FALSE(Find(checks, "slot.available")->passed);
  EXPECT_THAT(Find(checks, "slot.available")->message, HasSubstr("did not create it"));
  // Present and ours: fine, and it needs no new slot.
  checks = Run(spec, context);
  EXPECT_TRUE(Find(checks, "slot.available")->passed) << Dump(checks);
  EXPECT_THAT(Find(checks, "source.max_replication_slots")->message, HasSubstr("exists already"));
  EXPECT_TRUE(FirstFailure(checks).ok()) << Dump(checks);

  // A slot of the wrong plugin is refused even when ours.
  Sql("SELECT pg_drop_replication_slot('" + slot + "')");
  Sql("SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
  checks = Run(spec, context);
  EXPECT_FALSE(Find(checks, "slot.available")->passed);
  EXPECT_THAT(Find(checks, "slot.available")->message, HasSubstr("test_decoding"));
}

TEST_F(SpecValidatorTest, PublicationRules) {
  PipelineSpec spec = Spec();
  const std::string pub = spec.source.publication_name;
  auto publication = [&](const ValidationContext& context) {
    std::vector<CheckResult> checks = Run(spec, context);
    const CheckResult* c = Find(checks, "publication.available");
    EXPECT_NE(c, nullptr) << Dump(checks);
    return c != nullptr ? *c : CheckResult{};
  };
  ValidationContext context = NoSink();
  context.other_publications = {pub};
  EXPECT_THAT(publication(context).message, HasSubstr("another pipeline"));

  // Missing operations.
  Sql("CREATE PUBLICATION " + pub + " FOR TABLE orders WITH (publish = 'insert, update')");
  CheckResult partial = publication(NoSink());
  EXPECT_FALSE(partial.passed);
  EXPECT_THAT(partial.message, HasSubstr("does not publish delete, truncate"));
  spec.ignore_truncate = true;
  EXPECT_THAT(publication(NoSink()).message, HasSubstr("does not publish delete;"));
  Sql("ALTER PUBLICATION " + pub + " SET (publish = 'insert, update, delete')");
  // Truncate unpublished is fine when TRUNCATE is ignored anyway; items will be added.
  CheckResult adds = publication(NoSink());
  EXPECT_TRUE(adds.passed) << adds.message;
  EXPECT_THAT(adds.message, HasSubstr("public.items will be added"));

  // Extra tables would stream changes nobody asked for.
  Sql("CREATE TABLE other (id int PRIMARY KEY)");
  Sql("ALTER PUBLICATION " + pub + " ADD TABLE other");
  CheckResult extra = publication(NoSink());
  EXPECT_FALSE(extra.passed);
  EXPECT_THAT(extra.message, HasSubstr("public.other"));
  context = NoSink();
  context.owns_publication = true;  // our own, from before a table was removed
  EXPECT_TRUE(publication(context).passed);

  Sql("DROP PUBLICATION " + pub);
  Sql("CREATE PUBLICATION " + pub + " FOR ALL TABLES");
  CheckResult all = publication(NoSink());
  EXPECT_FALSE(all.passed);
  EXPECT_THAT(all.message, HasSubstr("FOR ALL TABLES"));
}

TEST_F(SpecValidatorTest, IncompleteSpecIsAnError) {
  PipelineSpec spec = Spec();
  spec.source.slot_name.clear();
  EXPECT_EQ(ValidateLive(spec, NoSink()).status().code(), absl::StatusCode::kInvalidArgument);
  spec = Spec();
  spec.tables[0].target.clear();
  EXPECT_EQ(ValidateLive(spec, NoSink()).status().code(), absl::StatusCode::kInvalidArgument);
}

// A cluster without logical decoding and with no free replication slot.
TEST(SpecValidatorServerTest, WalLevelAndSlotExhaustion) {
  PgCluster::Options options;
  options.max_slots = 1;
  options.extra_conf = {"wal_level = replica"};
  auto started = PgCluster::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  PgCluster& small = **started;
  ASSERT_TRUE(small.CreateDatabase("shop").ok());
  ASSERT_TRUE(small.Exec("CREATE TABLE orders (id int PRIMARY KEY)", "shop").ok());
  ASSERT_TRUE(small.Exec("SELECT pg_create_physical_replication_slot('taken')", "shop").ok());

  PipelineSpec spec;
  spec.source.dsn = small.Dsn("shop");
  spec.tables.push_back(TableSpec{{"public", "orders"}, "", {}});
  spec.sink.fe_url = "http://127.0.0.1:1";
  spec.sink.database = "shop";
  spec.sink.user = "root";
  ASSERT_TRUE(ApplyDefaults("small", &spec).ok());
  ValidationContext context;
  context.check_sink = false;
  auto checks = ValidateLive(spec, context);
  ASSERT_TRUE(checks.ok()) << checks.status();
  const CheckResult* wal = Find(*checks, "source.wal_level");
  EXPECT_FALSE(wal->passed);
  EXPECT_THAT(wal->message, HasSubstr("wal_level is 'replica'"));
  const CheckResult* slots = Find(*checks, "source.max_replication_slots");
  EXPECT_FALSE(slots->passed);
  EXPECT_THAT(slots->message, HasSubstr("all 1 replication slots are in use"));
  EXPECT_THAT(Msg(FirstFailure(*checks)), StartsWith("source.wal_level: "));
}

}  // namespace
}  // namespace dbmazz::pipeline
