// The replication core against a real PostgreSQL server: slots, publications,
// START_REPLICATION, pgoutput decoding of real traffic, feedback and resume.
#include "engine/replication/replication_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "engine/postgres/pg_error.h"
#include "engine/postgres/source_admin.h"
#include "tests/integration/change_recorder.h"
#include "tests/support/pg_environment.h"

namespace dbmazz {
namespace {

using postgres::ConnectOptions;
using postgres::PgConnection;
using postgres::SourceAdmin;
using postgres::TableName;
using replication::ReplicationStream;
using testing::ChangeRecorder;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::PgEnvironment;
using testing::PumpUntil;

ConnectOptions ReplicationOptions() {
  ConnectOptions options;
  options.replication = true;
  return options;
}

std::unique_ptr<PgConnection> MustConnect(const std::string& dsn, bool replication) {
  ConnectOptions options;
  options.replication = replication;
  auto c = PgConnection::Connect(dsn, options);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

class ReplicationStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    db_ = absl::StrCat("repl_", counter.fetch_add(1));
    auto created = cluster().CreateDatabase(db_);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  testing::PgCluster& cluster() { return PgEnvironment::cluster(); }
  std::string Dsn() { return cluster().Dsn(db_); }

  void Sql(std::string_view sql) {
    absl::Status s = cluster().Exec(sql, db_);
    ASSERT_TRUE(s.ok()) << s << "\n" << sql;
  }

  // Publication over `tables` plus a fresh slot; returns the slot's consistent point.
  Lsn CreatePublicationAndSlot(const std::vector<std::string>& tables, std::string slot = "",
                               std::string pub = "p") {
    if (slot.empty()) slot = db_;
    auto admin_conn = MustConnect(Dsn(), false);
    if (!admin_conn) return 0;
    SourceAdmin admin(admin_conn.get());
    std::vector<TableName> names;
    for (const auto& t : tables) {
      auto n = postgres::ParseTableName(t);
      EXPECT_TRUE(n.ok()) << n.status();
      names.push_back(*n);
    }
    auto created = admin.EnsurePublication(pub, names);
    EXPECT_TRUE(created.ok()) << created.status();
    auto repl = MustConnect(Dsn(), true);
    if (!repl) return 0;
    auto s = replication::CreateLogicalSlot(*repl, slot, replication::SnapshotAction::kNothing);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? s->consistent_point : 0;
  }

  absl::StatusOr<std::unique_ptr<ReplicationStream>> Start(
      Lsn resume_after = 0, std::string slot = "", std::string pub = "p",
      absl::Duration status_interval = absl::Seconds(10)) {
    if (slot.empty()) slot = db_;
    auto repl = PgConnection::Connect(Dsn(), ReplicationOptions());
    if (!repl.ok()) return repl.status();
    replication::StreamOptions options;
    options.start.slot_name = slot;
    options.start.publications = {pub};
    options.resume_after = resume_after;
    options.status_interval = status_interval;
    return ReplicationStream::Start(std::move(*repl), options);
  }

  // Streams until `n` transactions have been recorded.
  void Collect(ReplicationStream& stream, ChangeRecorder& rec, size_t n) {
    absl::Status s = PumpUntil(stream, rec, [&] { return rec.txns().size() >= n; });
    ASSERT_TRUE(s.ok()) << s << " after " << rec.txns().size() << " of " << n << " transactions";
  }

  absl::StatusOr<postgres::SlotInfo> Slot(std::string name = "") {
    if (name.empty()) name = db_;
    auto conn = PgConnection::Connect(Dsn(), ConnectOptions{});
    if (!conn.ok()) return conn.status();
    auto slot = SourceAdmin(conn->get()).GetSlot(name);
    if (!slot.ok()) return slot.status();
    if (!slot->has_value()) return absl::NotFoundError("no slot");
    return **slot;
  }

  std::string db_;
};

TEST_F(ReplicationStreamTest, InsertUpdateDeleteArriveInCommitOrder) {
  Sql("CREATE TABLE t (id int PRIMARY KEY, name text, qty int)");
  CreatePublicationAndSlot({"t"});
  Sql("INSERT INTO t VALUES (1, 'a', 10), (2, 'b', NULL)");
  Sql("UPDATE t SET qty = 11 WHERE id = 1");
  Sql("DELETE FROM t WHERE id = 2");
  auto stream = Start();
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 3);
  EXPECT_THAT(rec.AllRows(),
              ElementsAre("I public.t id=1 name=a qty=10", "I public.t id=2 name=b qty=NULL",
                          "U public.t id=1 name=a qty=11", "D public.t K[id=2]"));
  ASSERT_EQ(rec.txns().size(), 3u);
  EXPECT_LT(rec.txns()[0].end_lsn, rec.txns()[1].end_lsn);
  EXPECT_LT(rec.txns()[1].end_lsn, rec.txns()[2].end_lsn);
}

TEST_F(ReplicationStreamTest, PrimaryKeyChangeCarriesOldKey) {
  Sql("CREATE TABLE t (id int PRIMARY KEY, v text)");
  CreatePublicationAndSlot({"t"});
  Sql("INSERT INTO t VALUES (1, 'x')");
  Sql("UPDATE t SET id = 2 WHERE id = 1");
  auto stream = Start();
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 2);
  EXPECT_THAT(rec.AllRows(), ElementsAre("I public.t id=1 v=x", "U public.t K[id=1] id=2 v=x"));
}

TEST_F(ReplicationStreamTest, ReplicaIdentityFullSendsWholeOldRow) {
  Sql("CREATE TABLE full_t (id int, v text, n int)");
  Sql("ALTER TABLE full_t REPLICA IDENTITY FULL");
  Sql("CREATE TABLE def_t (id int PRIMARY KEY, v text)");
  CreatePublicationAndSlot({"full_t", "def_t"});
  Sql("INSERT INTO full_t VALUES (1, 'a', NULL); INSERT INTO def_t VALUES (1, 'a')");
  Sql("UPDATE full_t SET v = 'b'; UPDATE def_t SET v = 'b'");
  Sql("DELETE FROM full_t; DELETE FROM def_t");
  auto stream = Start();
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 3);
  EXPECT_THAT(
      rec.AllRows(),
      ElementsAre("I public.full_t id=1 v=a n=NULL", "I public.def_t id=1 v=a",
                  "U public.full_t O[id=1 v=a n=NULL] id=1 v=b n=NULL", "U public.def_t id=1 v=b",
                  "D public.full_t O[id=1 v=b n=NULL]", "D public.def_t K[id=1]"));
}

TEST_F(ReplicationStreamTest, UnchangedToastValuesAreMarkedNotNulled) {
  Sql("CREATE TABLE docs (id int PRIMARY KEY, body text, n int)");
  Sql("ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL");
  CreatePublicationAndSlot({"docs"});
  // 100 kB of incompressible-ish text is stored out of line (TOAST).
  Sql("INSERT INTO docs SELECT 1, string_agg(md5(i::text), '') , 0 FROM generate_series(1, 4000) "
      "i");
  Sql("UPDATE docs SET n = 1");
  auto stream = Start();
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 2);
  ASSERT_EQ(rec.AllRows().size(), 2u);
  EXPECT_EQ(rec.AllRows()[1], "U public.docs id=1 body=<unchanged> n=1");
  EXPECT_THAT(rec.AllRows()[0], HasSubstr("body=c4ca4238a0b923820dcc509a6f75849b"));
}

TEST_F(ReplicationStreamTest, ManyColumnTypesArriveInCanonicalTextForm) {
  Sql(R"(CREATE TABLE types (
      id int8 PRIMARY KEY, s int2, i int4, n numeric(12,2), nn numeric, t text, b bool,
      d date, ts timestamp, tz timestamptz, j json, jb jsonb, u uuid, by bytea,
      arr int4[], tarr text[], f8 float8))");
  CreatePublicationAndSlot({"types"});
  // The session writing has another time zone: the stream must still be UTC.
  Sql(R"(SET TimeZone = 'Asia/Kolkata';
      INSERT INTO types VALUES (9223372036854775807, -32768, 2147483647, 1234567890.12,
      123456789012345678901234567890.123456789, 'quote'' "dq" \ tab	end', true,
      '2024-02-29', '2024-02-29 23:59:59.123456', '2024-03-01 05:30:00+05:30',
      '{"a": [1, 2]}', '{"b": {"c": null}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '\x00ff10', '{1,NULL,3}', '{"a b","c,d",NULL}', 0.1))");
  auto stream = Start();
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 1);
  ASSERT_EQ(rec.AllRows().size(), 1u);
  const std::string row = rec.AllRows()[0];
  EXPECT_THAT(row, HasSubstr("id=9223372036854775807 s=-32768 i=2147483647 n=1234567890.12 "
                             "nn=123456789012345678901234567890.123456789"));
  EXPECT_THAT(row, HasSubstr("t=quote' \"dq\" \\ tab\tend b=t d=2024-02-29"));
  EXPECT_THAT(row, HasSubstr("ts=2024-02-29 23:59:59.123456 tz=2024-03-01 00:00:00+00"));
  EXPECT_THAT(row, HasSubstr("j={\"a\": [1, 2]} jb={\"b\": {\"c\": null}}"));
  EXPECT_THAT(row, HasSubstr("u=a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 by=\\x00ff10"));
  EXPECT_THAT(row, HasSubstr("arr={1,NULL,3} tarr={\"a b\",\"c,d\",NULL} f8=0.1"));
}

TEST_F(ReplicationStreamTest, MultiStatementTransactionsAndRollbacks) {
  Sql("CREATE TABLE t (id int PRIMARY KEY)");
  CreatePublicationAndSlot({"t"});
  Sql("BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); UPDATE t SET id = 3 WHERE id = "
      "2; COMMIT");
  Sql("BEGIN; INSERT INTO t VALUES (100); ROLLBACK");
  Sql("BEGIN; INSERT INTO t VALUES (4); SAVEPOINT a; INSERT INTO t VALUES (101); "
      "ROLLBACK TO SAVEPOINT a; INSERT INTO t VALUES (5); COMMIT");
  Sql("INSERT INTO t VALUES (6)");
  auto stream = Start();
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 3);
  ASSERT_EQ(rec.txns().size(), 3u);
  EXPECT_THAT(rec.txns()[0].rows,
              ElementsAre("I public.t id=1", "I public.t id=2", "U public.t K[id=2] id=3"));
  EXPECT_THAT(rec.txns()[1].rows, ElementsAre("I public.t id=4", "I public.t id=5"));
  EXPECT_THAT(rec.txns()[2].rows, ElementsAre("I public.t id=6"));
}

TEST_F(ReplicationStreamTest, TruncateAndLogicalMessages) {
  Sql("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY)");
  CreatePublicationAndSlot({"a", "b"});
  Sql("INSERT INTO a VALUES (1); INSERT INTO b VALUES (1)");
  Sql("TRUNCATE a, b");
  if (cluster().server_version_num() >= 140000) {
    Sql("SELECT pg_logical_emit_message(true, 'dbmazz', 'in-txn')");
  }
  Sql("INSERT INTO a VALUES (2)");
  auto stream = Start();
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  size_t expected = cluster().server_version_num() >= 140000 ? 4 : 3;
  Collect(**stream, rec, expected);
  EXPECT_EQ(rec.txns()[1].rows.size(), 1u);
  EXPECT_THAT(rec.txns()[1].rows[0],
              ::testing::AnyOf("T public.a public.b", "T public.b public.a"));
  if (cluster().server_version_num() >= 140000) {
    EXPECT_THAT(rec.messages(), ElementsAre("dbmazz:in-txn"));
  }
  EXPECT_THAT(rec.txns().back().rows, ElementsAre("I public.a id=2"));
}

TEST_F(ReplicationStreamTest, SchemaChangesMidStreamUpdateTheRelation) {
  Sql("CREATE TABLE t (id int PRIMARY KEY, v text)");
  CreatePublicationAndSlot({"t"});
  Sql("INSERT INTO t VALUES (1, 'a')");
  auto stream = Start();
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 1);
  // Altered and renamed while the stream is live.
  Sql("ALTER TABLE t ADD COLUMN extra int DEFAULT 7");
  Sql("INSERT INTO t VALUES (2, 'b', 8)");
  Sql("ALTER TABLE t RENAME TO t2");
  Sql("ALTER TABLE t2 DROP COLUMN v");
  Sql("INSERT INTO t2 VALUES (3, 9)");
  Collect(**stream, rec, 3);
  EXPECT_THAT(rec.AllRows(), ElementsAre("I public.t id=1 v=a", "I public.t id=2 v=b extra=8",
                                         "I public.t2 id=3 extra=9"));
  EXPECT_GE(rec.relation_messages(), 3);
}

TEST_F(ReplicationStreamTest, HostileNamesAreQuotedEverywhere) {
  Sql(R"(CREATE SCHEMA "My ""Odd"" Schema")");
  Sql(R"(CREATE TABLE "My ""Odd"" Schema"."Order Items" ("Id" int PRIMARY KEY, "we'ird" text))");
  Sql(R"(CREATE TABLE "x; DROP TABLE victim; --" (id int PRIMARY KEY))");
  Sql("CREATE TABLE victim (id int)");
  CreatePublicationAndSlot(
      {R"("My ""Odd"" Schema"."Order Items")", R"("x; DROP TABLE victim; --")"}, "",
      "pub'; DROP TABLE victim; --");
  Sql(R"(INSERT INTO "My ""Odd"" Schema"."Order Items" VALUES (1, 'q'))");
  Sql(R"(INSERT INTO "x; DROP TABLE victim; --" VALUES (2))");
  auto stream = Start(0, "", "pub'; DROP TABLE victim; --");
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 2);
  EXPECT_THAT(rec.AllRows(), ElementsAre("I My \"Odd\" Schema.Order Items Id=1 we'ird=q",
                                         "I public.x; DROP TABLE victim; -- id=2"));
  auto victim = cluster().Query("SELECT count(*) FROM victim", db_);
  EXPECT_TRUE(victim.ok()) << "victim table was dropped: " << victim.status();
}

TEST_F(ReplicationStreamTest, RestartResumesWithoutLossOrRedelivery) {
  Sql("CREATE TABLE t (id int PRIMARY KEY)");
  CreatePublicationAndSlot({"t"});
  for (int i = 1; i <= 5; ++i) Sql(absl::StrCat("INSERT INTO t VALUES (", i, ")"));
  Lsn checkpoint = 0;
  {
    auto stream = Start();
    ASSERT_TRUE(stream.ok()) << stream.status();
    ChangeRecorder rec;
    Collect(**stream, rec, 5);
    // The consumer made transactions 1-4 durable, but only 1-2 reached the
    // server before the "crash": the server will resend 3-5.
    (*stream)->ConfirmDurable(rec.txns()[1].end_lsn);
    ASSERT_TRUE((*stream)->SendStatus(false).ok());
    checkpoint = rec.txns()[3].end_lsn;
    ASSERT_TRUE((*stream)->Close().ok());
  }
  auto slot = Slot();
  ASSERT_TRUE(slot.ok()) << slot.status();
  EXPECT_LT(slot->confirmed_flush_lsn, checkpoint);
  Sql("INSERT INTO t VALUES (6)");
  auto stream = Start(checkpoint);
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 2);
  EXPECT_THAT(rec.AllRows(), ElementsAre("I public.t id=5", "I public.t id=6"));
  // Confirming moves the slot, and it never goes backwards.
  (*stream)->ConfirmDurable(rec.txns()[1].end_lsn);
  (*stream)->ConfirmDurable(rec.txns()[0].end_lsn);
  EXPECT_EQ((*stream)->flush_lsn(), rec.txns()[1].end_lsn);
  ASSERT_TRUE((*stream)->Close().ok());
  slot = Slot();
  ASSERT_TRUE(slot.ok());
  EXPECT_EQ(slot->confirmed_flush_lsn, rec.txns()[1].end_lsn);
}

TEST_F(ReplicationStreamTest, IdleSlotAdvancesPastUnpublishedTraffic) {
  Sql("CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE other (id int)");
  CreatePublicationAndSlot({"t"});
  Sql("INSERT INTO t VALUES (1)");
  auto stream = Start();
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 1);
  (*stream)->ConfirmDurable(rec.txns()[0].end_lsn);
  // Lots of WAL that the publication does not cover.
  Sql("INSERT INTO other SELECT generate_series(1, 20000)");
  auto current = cluster().Query("SELECT pg_current_wal_lsn()", db_);
  ASSERT_TRUE(current.ok());
  auto target = ParseLsn(*(*current)[0][0]);
  ASSERT_TRUE(target.ok());
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while ((*stream)->flush_lsn() < *target && absl::Now() < deadline) {
    ASSERT_TRUE((*stream)->SendStatus(/*request_reply=*/true).ok());
    auto r = (*stream)->PollAndPump(rec, 100, absl::Now() + absl::Milliseconds(200));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_GE((*stream)->flush_lsn(), *target);
  EXPECT_EQ(rec.txns().size(), 1u);
  ASSERT_TRUE((*stream)->Close().ok());
  auto slot = Slot();
  ASSERT_TRUE(slot.ok());
  EXPECT_GE(slot->confirmed_flush_lsn, *target);
}

// The server asks for a reply (keepalive with the reply flag) when half of
// wal_sender_timeout passed without feedback; answering it is what keeps the
// session alive when the periodic status is rarer than the timeout.
TEST_F(ReplicationStreamTest, AnswersKeepalivesThatRequestAReply) {
  Sql("CREATE TABLE t (id int PRIMARY KEY)");
  CreatePublicationAndSlot({"t"});
  ASSERT_TRUE(cluster().Exec("ALTER SYSTEM SET wal_sender_timeout = '2s'").ok());
  ASSERT_TRUE(cluster().Exec("SELECT pg_reload_conf()").ok());
  auto stream = Start(0, "", "p", /*status_interval=*/absl::Minutes(5));
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  absl::Time end = absl::Now() + absl::Seconds(6);  // three timeouts
  absl::Status status;
  while (status.ok() && absl::Now() < end) {
    status = (*stream)->PollAndPump(rec, 100, absl::Now() + absl::Milliseconds(100)).status();
  }
  ASSERT_TRUE(cluster().Exec("ALTER SYSTEM RESET wal_sender_timeout").ok());
  ASSERT_TRUE(cluster().Exec("SELECT pg_reload_conf()").ok());
  ASSERT_TRUE(status.ok()) << status;
  Sql("INSERT INTO t VALUES (1)");
  Collect(**stream, rec, 1);
  ASSERT_TRUE((*stream)->Close().ok());
}

TEST_F(ReplicationStreamTest, IdentifySystemAndSlotReport) {
  Sql("CREATE TABLE t (id int PRIMARY KEY)");
  Lsn point = CreatePublicationAndSlot({"t"});
  EXPECT_NE(point, 0u);
  auto repl = MustConnect(Dsn(), true);
  ASSERT_NE(repl, nullptr);
  auto id = replication::IdentifySystem(*repl);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_FALSE(id->system_id.empty());
  EXPECT_GE(id->timeline, 1);
  EXPECT_EQ(id->database, db_);
  EXPECT_GE(id->xlog_pos, point);
  auto slot = Slot();
  ASSERT_TRUE(slot.ok()) << slot.status();
  EXPECT_EQ(slot->plugin, "pgoutput");
  EXPECT_EQ(slot->slot_type, "logical");
  EXPECT_FALSE(slot->active);
  EXPECT_EQ(slot->confirmed_flush_lsn, point);
  auto again = replication::CreateLogicalSlot(*repl, db_, replication::SnapshotAction::kNothing);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
}

TEST_F(ReplicationStreamTest, ErrorsAreClassified) {
  Sql("CREATE TABLE t (id int PRIMARY KEY)");
  CreatePublicationAndSlot({"t"});
  // Missing slot.
  auto missing = Start(0, "no_such_slot");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_EQ(postgres::SqlStateOf(missing.status()), "42704");
  // Slot in use by another connection: transient.
  auto first = Start();
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = Start();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_EQ(postgres::SqlStateOf(second.status()), "55006");
  // Missing table.
  auto conn = MustConnect(Dsn(), false);
  ASSERT_NE(conn, nullptr);
  auto table = SourceAdmin(conn.get()).DescribeTable(TableName{"public", "nope"});
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound) << table.status();
  // Bad password for a real role: unauthenticated, password not echoed.
  Sql("DROP ROLE IF EXISTS app_user; CREATE ROLE app_user LOGIN REPLICATION PASSWORD 'right-pw'");
  auto bad = PgConnection::Connect(cluster().TcpDsn(db_, "app_user", "wrong-pw"), ConnectOptions{});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated) << bad.status();
  EXPECT_THAT(std::string(bad.status().message()), ::testing::Not(HasSubstr("wrong-pw")));
  auto good =
      PgConnection::Connect(cluster().TcpDsn(db_, "app_user", "right-pw"), ReplicationOptions());
  EXPECT_TRUE(good.ok()) << good.status();
  Sql("DROP ROLE IF EXISTS norepl; CREATE ROLE norepl LOGIN PASSWORD 'pw'");
  auto norepl = PgConnection::Connect(cluster().TcpDsn(db_, "norepl", "pw"), ReplicationOptions());
  EXPECT_FALSE(norepl.ok());
  EXPECT_EQ(norepl.status().code(), absl::StatusCode::kPermissionDenied) << norepl.status();
}

TEST_F(ReplicationStreamTest, ServerRestartIsTransientAndResumeLosesNothing) {
  Sql("CREATE TABLE t (id int PRIMARY KEY)");
  CreatePublicationAndSlot({"t"});
  Sql("INSERT INTO t VALUES (1)");
  Lsn checkpoint = 0;
  {
    auto stream = Start();
    ASSERT_TRUE(stream.ok()) << stream.status();
    ChangeRecorder rec;
    Collect(**stream, rec, 1);
    checkpoint = rec.txns()[0].end_lsn;
    (*stream)->ConfirmDurable(checkpoint);
    ASSERT_TRUE(cluster().Restart(/*immediate=*/true).ok());
    absl::Status s = PumpUntil(
        **stream, rec, [] { return false; }, absl::Seconds(20));
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  }
  Sql("INSERT INTO t VALUES (2)");
  auto stream = Start(checkpoint);
  ASSERT_TRUE(stream.ok()) << stream.status();
  ChangeRecorder rec;
  Collect(**stream, rec, 1);
  EXPECT_THAT(rec.AllRows(), ElementsAre("I public.t id=2"));
}

TEST_F(ReplicationStreamTest, PublicationIsVerifiedAndExtended) {
  Sql("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY)");
  auto conn = MustConnect(Dsn(), false);
  ASSERT_NE(conn, nullptr);
  SourceAdmin admin(conn.get());
  auto created = admin.EnsurePublication("p", {TableName{"public", "a"}});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(*created);
  auto again = admin.EnsurePublication("p", {TableName{"public", "a"}, TableName{"public", "b"}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  auto tables = admin.PublicationTables("p");
  ASSERT_TRUE(tables.ok());
  EXPECT_THAT(*tables, ElementsAre(TableName{"public", "a"}, TableName{"public", "b"}));
  EXPECT_EQ(admin.PublicationTables("nope").status().code(), absl::StatusCode::kNotFound);
  auto missing = admin.EnsurePublication("q", {TableName{"public", "missing"}});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  ASSERT_TRUE(admin.DropPublication("p").ok());
  EXPECT_EQ(admin.PublicationTables("p").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReplicationStreamTest, DescribeTableReportsIdentityAndKeys) {
  Sql("CREATE TABLE pk (b int, a text, c numeric(10,2) NOT NULL, PRIMARY KEY (a, b))");
  Sql("CREATE TABLE nopk (x int)");
  Sql("CREATE TABLE full_t (x int); ALTER TABLE full_t REPLICA IDENTITY FULL");
  auto conn = MustConnect(Dsn(), false);
  ASSERT_NE(conn, nullptr);
  SourceAdmin admin(conn.get());
  auto pk = admin.DescribeTable(TableName{"public", "pk"});
  ASSERT_TRUE(pk.ok()) << pk.status();
  EXPECT_THAT(pk->primary_key, ElementsAre("a", "b"));
  EXPECT_EQ(pk->replica_identity, 'd');
  ASSERT_EQ(pk->columns.size(), 3u);
  EXPECT_EQ(pk->columns[2].type_name, "numeric(10,2)");
  EXPECT_TRUE(pk->columns[2].not_null);
  EXPECT_TRUE(pk->HasUsableIdentity());
  auto nopk = admin.DescribeTable(TableName{"public", "nopk"});
  ASSERT_TRUE(nopk.ok());
  EXPECT_FALSE(nopk->HasUsableIdentity());
  auto full = admin.DescribeTable(TableName{"public", "full_t"});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->replica_identity, 'f');
  EXPECT_TRUE(full->HasUsableIdentity());
  auto info = admin.GetServerInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->wal_level, "logical");
  EXPECT_TRUE(info->has_replication);
  EXPECT_GE(info->max_replication_slots, 64);
}

}  // namespace
}  // namespace dbmazz

namespace dbmazz {
namespace {

// Runs last in this binary: it shrinks max_slot_wal_keep_size cluster-wide
// (and restores it) to make PostgreSQL invalidate a slot.
TEST_F(ReplicationStreamTest, ZzLostSlotIsAFailedPreconditionNotARetry) {
  Sql("CREATE TABLE t (id int PRIMARY KEY, pad text)");
  CreatePublicationAndSlot({"t"});
  Sql("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
  Sql("SELECT pg_reload_conf()");
  for (int i = 0; i < 4; ++i) {
    Sql("INSERT INTO t SELECT g, repeat('x', 500) FROM generate_series(" +
        std::to_string(i * 20000 + 1) + ", " + std::to_string((i + 1) * 20000) + ") g");
    Sql("SELECT pg_switch_wal()");
  }
  Sql("CHECKPOINT");
  auto slot = Slot();
  Sql("ALTER SYSTEM RESET max_slot_wal_keep_size");
  Sql("SELECT pg_reload_conf()");
  ASSERT_TRUE(slot.ok()) << slot.status();
  ASSERT_EQ(slot->wal_status, "lost");
  auto stream = Start();
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kFailedPrecondition) << stream.status();
  EXPECT_EQ(postgres::SqlStateOf(stream.status()), "55000");
  EXPECT_FALSE(postgres::IsTransient(stream.status()));
}

}  // namespace
}  // namespace dbmazz
