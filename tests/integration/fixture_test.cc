// Tests of the PostgreSQL test fixture itself (tests/support/): the shared
// cluster from PgEnvironment, and private clusters for restart and cleanup.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/pg_environment.h"
#include "tests/support/pg_reaper.h"
#include "tests/support/pg_sql.h"

namespace dbmazz::testing {
namespace {

using ::testing::HasSubstr;

PgCluster& Cluster() { return PgEnvironment::cluster(); }

// The single value of a one-row, one-column query.
std::string Scalar(const PgCluster& cluster, const std::string& sql,
                   const std::string& dbname = "postgres") {
  absl::StatusOr<PgRows> rows = cluster.Query(sql, dbname);
  EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status();
  if (!rows.ok() || rows->size() != 1 || (*rows)[0].size() != 1 || !(*rows)[0][0]) {
    ADD_FAILURE() << sql << " did not return one non-null value";
    return "";
  }
  return *(*rows)[0][0];
}

int IntSetting(const PgCluster& cluster, const std::string& name) {
  int value = -1;
  EXPECT_TRUE(absl::SimpleAtoi(Scalar(cluster, "SHOW " + name), &value)) << name;
  return value;
}

// The real uid of a process, from /proc/<pid>/status.
uid_t ProcessUid(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Uid:", 0) == 0) return static_cast<uid_t>(std::stoul(line.substr(4)));
  }
  ADD_FAILURE() << "no Uid line for pid " << pid;
  return static_cast<uid_t>(-1);
}

bool ProcessAlive(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' &&
         line[paren + 2] != 'X';
}

// Polls `done` for up to 30 s (cleanup happens asynchronously).
template <typename F>
bool Eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

TEST(PgFixtureTest, ServerIsConfiguredForLogicalReplication) {
  const PgCluster& cluster = Cluster();
  EXPECT_EQ(Scalar(cluster, "SHOW wal_level"), "logical");
  EXPECT_GE(IntSetting(cluster, "max_replication_slots"), 64);
  EXPECT_GE(IntSetting(cluster, "max_wal_senders"), 64);
  EXPECT_EQ(IntSetting(cluster, "max_connections"), 300);
  EXPECT_EQ(IntSetting(cluster, "max_prepared_transactions"), 10);
  EXPECT_EQ(Scalar(cluster, "SHOW listen_addresses"), "127.0.0.1");
  EXPECT_EQ(IntSetting(cluster, "port"), cluster.port());
  EXPECT_EQ(Scalar(cluster, "SHOW server_encoding"), "UTF8");
}

TEST(PgFixtureTest, ReportsTheServerVersion) {
  const PgCluster& cluster = Cluster();
  EXPECT_EQ(IntSetting(cluster, "server_version_num"), cluster.server_version_num());
  EXPECT_GE(cluster.server_version_num(), 100000);
  EXPECT_THAT(cluster.version_string(),
              HasSubstr(absl::StrCat("PostgreSQL ", cluster.server_version_num() / 10000, ".")));
  EXPECT_FALSE(cluster.bin_dir().empty());
  EXPECT_EQ(cluster.data_dir(), cluster.root_dir() + "/data");
  EXPECT_TRUE(std::filesystem::exists(cluster.data_dir() + "/PG_VERSION"));
}

TEST(PgFixtureTest, UnixAndTcpDsnsBothConnect) {
  const PgCluster& cluster = Cluster();
  absl::StatusOr<PgRows> unix_rows =
      PgQuery(cluster.Dsn(), "SELECT inet_server_addr() IS NULL, current_user");
  ASSERT_TRUE(unix_rows.ok()) << unix_rows.status();
  EXPECT_EQ((*unix_rows)[0][0], "t");  // no address: a unix socket
  EXPECT_EQ((*unix_rows)[0][1], "postgres");
  absl::StatusOr<PgRows> tcp_rows =
      PgQuery(cluster.TcpDsn(), "SELECT host(inet_server_addr()), inet_server_port()");
  ASSERT_TRUE(tcp_rows.ok()) << tcp_rows.status();
  EXPECT_EQ((*tcp_rows)[0][0], "127.0.0.1");
  EXPECT_EQ((*tcp_rows)[0][1], std::to_string(cluster.port()));
}

TEST(PgFixtureTest, QueryReturnsNullsAndErrorsCarrySqlState) {
  const PgCluster& cluster = Cluster();
  absl::StatusOr<PgRows> rows = cluster.Query("SELECT NULL::text, 'a''b' UNION ALL SELECT 'x', ''");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0][0], std::nullopt);
  EXPECT_EQ((*rows)[0][1], "a'b");
  EXPECT_EQ((*rows)[1][0], "x");
  EXPECT_EQ((*rows)[1][1], "");

  absl::Status missing = cluster.Exec("SELECT * FROM no_such_table");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
  EXPECT_EQ(SqlStateOf(missing), "42P01");
  EXPECT_THAT(std::string(missing.message()), HasSubstr("no_such_table"));

  absl::Status syntax = cluster.Exec("SELEC 1");
  EXPECT_EQ(syntax.code(), absl::StatusCode::kInvalidArgument) << syntax;
  EXPECT_EQ(SqlStateOf(syntax), "42601");
}

TEST(PgFixtureTest, CreateDatabaseGivesEachTestItsOwnDatabase) {
  const PgCluster& cluster = Cluster();
  absl::StatusOr<std::string> db = cluster.CreateDatabase("fixture_own_db");
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(*db, "fixture_own_db");
  ASSERT_TRUE(cluster.Exec("CREATE TABLE t (id int PRIMARY KEY)", *db).ok());
  EXPECT_EQ(Scalar(cluster, "SELECT current_database()", *db), "fixture_own_db");
  // The table lives only in that database.
  EXPECT_EQ(cluster.Exec("SELECT * FROM t").code(), absl::StatusCode::kNotFound);

  absl::StatusOr<std::string> again = cluster.CreateDatabase("fixture_own_db");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  EXPECT_EQ(SqlStateOf(again.status()), "42P04");
}

TEST(PgFixtureTest, LogicalSlotsCanBeCreatedUsedAndDropped) {
  const PgCluster& cluster = Cluster();
  absl::StatusOr<std::string> db = cluster.CreateDatabase("fixture_slots");
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(cluster.Exec("CREATE TABLE items (id int PRIMARY KEY, name text)", *db).ok());

  ASSERT_TRUE(
      cluster.Exec("SELECT pg_create_logical_replication_slot('fixture_pgoutput', 'pgoutput')", *db)
          .ok());
  ASSERT_TRUE(cluster
                  .Exec("SELECT pg_create_logical_replication_slot('fixture_decoding', "
                        "'test_decoding')",
                        *db)
                  .ok());
  absl::StatusOr<PgRows> slots = cluster.Query(
      "SELECT slot_name, plugin, slot_type, database FROM pg_replication_slots "
      "WHERE slot_name LIKE 'fixture_%' ORDER BY slot_name");
  ASSERT_TRUE(slots.ok()) << slots.status();
  ASSERT_EQ(slots->size(), 2u);
  EXPECT_EQ((*slots)[0][0], "fixture_decoding");
  EXPECT_EQ((*slots)[1][0], "fixture_pgoutput");
  EXPECT_EQ((*slots)[1][1], "pgoutput");
  EXPECT_EQ((*slots)[1][2], "logical");
  EXPECT_EQ((*slots)[1][3], "fixture_slots");

  // Logical decoding really works: the insert comes out of the slot.
  ASSERT_TRUE(cluster.Exec("INSERT INTO items VALUES (1, 'first')", *db).ok());
  absl::StatusOr<PgRows> changes = cluster.Query(
      "SELECT data FROM pg_logical_slot_get_changes('fixture_decoding', NULL, NULL) "
      "WHERE data LIKE 'table %'",
      *db);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_THAT((*changes)[0][0].value_or(""), HasSubstr("public.items: INSERT: id[integer]:1"));

  for (const char* slot : {"fixture_pgoutput", "fixture_decoding"}) {
    EXPECT_TRUE(
        cluster.Exec(absl::StrCat("SELECT pg_drop_replication_slot('", slot, "')"), *db).ok());
  }
  EXPECT_EQ(Scalar(cluster,
                   "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE "
                   "'fixture_%'"),
            "0");
}

TEST(PgFixtureTest, PasswordAuthForOtherRoles) {
  const PgCluster& cluster = Cluster();
  ASSERT_TRUE(cluster.Exec("CREATE ROLE fixture_alice LOGIN REPLICATION PASSWORD 's3cret'").ok());

  absl::StatusOr<PgRows> tcp =
      PgQuery(cluster.TcpDsn("postgres", "fixture_alice", "s3cret"), "SELECT current_user");
  ASSERT_TRUE(tcp.ok()) << tcp.status();
  EXPECT_EQ((*tcp)[0][0], "fixture_alice");
  // The unix socket also asks for (and accepts) the password.
  absl::StatusOr<PgRows> local = PgQuery(
      absl::StrCat(cluster.Dsn(), " user=fixture_alice password=s3cret"), "SELECT current_user");
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ((*local)[0][0], "fixture_alice");

  absl::Status wrong = PgExec(cluster.TcpDsn("postgres", "fixture_alice", "wrong"), "SELECT 1");
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated) << wrong;
  EXPECT_EQ(SqlStateOf(wrong), "28P01");
  EXPECT_THAT(std::string(wrong.message()), HasSubstr("password authentication failed"));
  // The server itself reports SQLSTATE 28P01 (log_line_prefix has %e).
  EXPECT_TRUE(Eventually([&] {
    const std::string log = cluster.ReadServerLog();
    return log.find(
               "28P01 fixture_alice@postgres FATAL:  password authentication failed for "
               "user \"fixture_alice\"") != std::string::npos;
  })) << cluster.ReadServerLog();

  absl::Status no_password = PgExec(cluster.TcpDsn("postgres", "fixture_alice"), "SELECT 1");
  EXPECT_FALSE(no_password.ok());
  // The superuser needs no password.
  EXPECT_TRUE(PgExec(cluster.TcpDsn("postgres", "postgres"), "SELECT 1").ok());
}

TEST(PgFixtureTest, ServerRunsAsPostgresWhenTestsRunAsRoot) {
  const PgCluster& cluster = Cluster();
  absl::StatusOr<pid_t> postmaster = cluster.PostmasterPid();
  ASSERT_TRUE(postmaster.ok()) << postmaster.status();
  uid_t expected = geteuid();
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    ASSERT_NE(pw, nullptr);
    expected = pw->pw_uid;
    EXPECT_EQ(cluster.os_user(), "postgres");
  }
  EXPECT_NE(expected, 0u) << "PostgreSQL must never run as root";
  EXPECT_EQ(ProcessUid(*postmaster), expected);
  struct stat st = {};
  ASSERT_EQ(stat(cluster.data_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, expected);
}

TEST(PgFixtureTest, RestartKeepsDataAndPort) {
  PgCluster::Options options;
  options.max_slots = 64;
  options.extra_conf = {"application_name = 'fixture_restart'"};
  absl::StatusOr<std::unique_ptr<PgCluster>> started = PgCluster::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  PgCluster& cluster = **started;
  EXPECT_EQ(IntSetting(cluster, "max_replication_slots"), 64);
  EXPECT_NE(cluster.port(), Cluster().port());
  const int port = cluster.port();
  ASSERT_TRUE(cluster.Exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before')").ok());
  ASSERT_TRUE(
      cluster.Exec("SELECT pg_create_logical_replication_slot('fixture_kept', 'pgoutput')").ok());
  absl::StatusOr<pid_t> first_pid = cluster.PostmasterPid();
  ASSERT_TRUE(first_pid.ok());

  for (bool immediate : {true, false}) {
    SCOPED_TRACE(immediate ? "immediate" : "fast");
    ASSERT_TRUE(cluster.Restart(immediate).ok());
    EXPECT_TRUE(cluster.running());
    EXPECT_EQ(cluster.port(), port);
    EXPECT_EQ(IntSetting(cluster, "port"), port);
    EXPECT_EQ(Scalar(cluster, "SELECT string_agg(v, ',') FROM kept"), "before");
    EXPECT_EQ(Scalar(cluster, "SELECT count(*) FROM pg_replication_slots"), "1");
  }
  absl::StatusOr<pid_t> new_pid = cluster.PostmasterPid();
  ASSERT_TRUE(new_pid.ok());
  EXPECT_NE(*new_pid, *first_pid);
  EXPECT_FALSE(ProcessAlive(*first_pid));

  // Stopped: connections fail; started again: they work.
  ASSERT_TRUE(cluster.Stop().ok());
  EXPECT_FALSE(cluster.running());
  EXPECT_EQ(cluster.Exec("SELECT 1").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cluster.Stop().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(cluster.Start().ok());
  EXPECT_EQ(cluster.Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Scalar(cluster, "SELECT v FROM kept"), "before");
}

TEST(PgFixtureTest, DestructorStopsTheServerAndDeletesItsFiles) {
  absl::StatusOr<std::unique_ptr<PgCluster>> started = PgCluster::Start({});
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string root = (*started)->root_dir();
  const std::string dsn = (*started)->Dsn();
  absl::StatusOr<pid_t> pid = (*started)->PostmasterPid();
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(ProcessAlive(*pid));
  started->reset();
  EXPECT_FALSE(ProcessAlive(*pid));
  EXPECT_FALSE(std::filesystem::exists(root));
  EXPECT_FALSE(PgExec(dsn, "SELECT 1").ok());
}

TEST(PgFixtureTest, MissingBinariesGiveAClearError) {
  PgCluster::Options options;
  options.bin_dir = "/nonexistent/postgresql/bin";
  absl::StatusOr<std::unique_ptr<PgCluster>> started = PgCluster::Start(options);
  EXPECT_EQ(started.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(started.status().message()), HasSubstr("/nonexistent/postgresql/bin"));
}

// A test process that dies without running destructors (SIGKILL, as on a
// ctest timeout; SIGTERM, as on Ctrl-C or a kill) leaves no server behind.
class PgFixtureKilledTest : public ::testing::TestWithParam<int> {};

TEST_P(PgFixtureKilledTest, ServerIsStoppedWhenTheTestProcessDies) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::fflush(nullptr);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    PgReaper::InstallSignalHandlers();
    absl::StatusOr<std::unique_ptr<PgCluster>> cluster = PgCluster::Start({});
    std::string report = "error\n";
    if (cluster.ok()) {
      absl::StatusOr<pid_t> pid = (*cluster)->PostmasterPid();
      report = absl::StrCat(pid.ok() ? *pid : 0, " ", (*cluster)->root_dir(), "\n");
    }
    (void)!write(fds[1], report.data(), report.size());
    close(fds[1]);
    while (true) pause();  // until the parent kills us
  }
  close(fds[1]);
  std::string report;
  char buffer[512];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) {
    report.append(buffer, static_cast<size_t>(n));
    if (report.find('\n') != std::string::npos) break;
  }
  close(fds[0]);
  kill(child, GetParam());
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFSIGNALED(wstatus));

  const size_t space = report.find(' ');
  ASSERT_NE(space, std::string::npos) << "child could not start a cluster: " << report;
  int pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(report.substr(0, space), &pid)) << report;
  ASSERT_GT(pid, 0) << report;
  const std::string root = report.substr(space + 1, report.find('\n') - space - 1);
  ASSERT_FALSE(root.empty());
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(pid); })) << "postmaster " << pid;
  EXPECT_TRUE(Eventually([&] { return !std::filesystem::exists(root); })) << root;
}

INSTANTIATE_TEST_SUITE_P(Signals, PgFixtureKilledTest, ::testing::Values(SIGKILL, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGKILL ? "SIGKILL" : "SIGTERM");
                         });

}  // namespace
}  // namespace dbmazz::testing
