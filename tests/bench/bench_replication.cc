// Backlog catch-up through the replication connection with a no-op consumer,
// next to pg_recvlogical -f /dev/null on an identical slot, in the same run.
//
//   build/release/tests/bench/bench_replication [--rows N] [--recvlogical PATH]
//
// Starts a throwaway PostgreSQL (tests/support/pg_cluster.h; DBMAZZ_PG_BINDIR
// picks the version), writes a backlog, then lets each consumer read the same
// WAL from its own slot, one after the other. Scenarios: N single-row
// transactions, and one N-row transaction. Prints rows/s and the ratio.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/source_admin.h"
#include "engine/replication/replication_stream.h"
#include "tests/support/pg_cluster.h"

namespace dbmazz {
namespace {

// Decodes everything (the stream does) and confirms each commit, like a sink
// that acknowledges instantly.
class NoopConsumer : public replication::ChangeHandler {
 public:
  absl::Status OnMessage(const pgoutput::DecodedMessage& m, Lsn) override {
    switch (m.type) {
      case pgoutput::MessageType::kInsert:
        ++rows;
        break;
      case pgoutput::MessageType::kCommit:
        last_end = m.commit.end_lsn;
        ++txns;
        break;
      default:
        break;
    }
    return absl::OkStatus();
  }
  uint64_t rows = 0;
  uint64_t txns = 0;
  Lsn last_end = 0;
};

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, std::string(s.message()).c_str());
    std::exit(1);
  }
}

// Returns the seconds taken; *end_lsn receives the last commit's end LSN.
double RunDbmazz(const std::string& dsn, const std::string& slot, uint64_t rows, Lsn* end_lsn) {
  postgres::ConnectOptions options;
  options.replication = true;
  auto conn = postgres::PgConnection::Connect(dsn, options);
  Check(conn.status(), "connect");
  replication::StreamOptions so;
  so.start.slot_name = slot;
  so.start.publications = {"bench_pub"};
  absl::Time start = absl::Now();
  auto stream = replication::ReplicationStream::Start(std::move(*conn), so);
  Check(stream.status(), "start");
  NoopConsumer consumer;
  while (consumer.rows < rows || (*stream)->in_transaction()) {
    auto r = (*stream)->PollAndPump(consumer, 100000, absl::Now() + absl::Milliseconds(100));
    Check(r.status(), "pump");
    (*stream)->ConfirmDurable(consumer.last_end);
  }
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  Check((*stream)->Close(), "close");
  *end_lsn = consumer.last_end;
  return seconds;
}

double RunRecvlogical(const std::string& recvlogical, const std::string& dsn,
                      const std::string& slot, Lsn end_lsn, int proto) {
  // pg_recvlogical stops after writing the record at exactly --endpos.
  std::vector<std::string> args = {recvlogical, "-d",
                                   dsn,         "--slot",
                                   slot,        "--start",
                                   "-f",        "/dev/null",
                                   "-o",        absl::StrCat("proto_version=", proto),
                                   "-o",        "publication_names=bench_pub",
                                   "-E",        FormatLsn(end_lsn),
                                   "--no-loop"};
  absl::Time start = absl::Now();
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "pg_recvlogical failed (status %d)\n", status);
    std::exit(1);
  }
  return absl::ToDoubleSeconds(absl::Now() - start);
}

struct Scenario {
  const char* name;
  std::string setup_sql;
};

}  // namespace
}  // namespace dbmazz

int main(int argc, char** argv) {
  using namespace dbmazz;
  uint64_t rows = 1000000;
  std::string recvlogical = "/usr/lib/postgresql/15/bin/pg_recvlogical";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rows") rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--recvlogical") recvlogical = argv[i + 1];
  }
  testing::PgCluster::Options cluster_options;
  cluster_options.extra_conf = {"synchronous_commit = off", "max_wal_size = '4GB'",
                                "shared_buffers = '256MB'"};
  auto cluster = testing::PgCluster::Start(cluster_options);
  Check(cluster.status(), "start PostgreSQL");
  std::string dsn = (*cluster)->Dsn("postgres");
  int proto = replication::DefaultProtocolVersion((*cluster)->server_version_num());
  std::printf("PostgreSQL %d, proto_version %d, %llu rows per scenario\n",
              (*cluster)->server_version_num(), proto, static_cast<unsigned long long>(rows));
  Check((*cluster)->Exec(
            "CREATE TABLE bench (id int8 PRIMARY KEY, name text, amount numeric(12,2), "
            "created timestamptz, flag bool, payload jsonb);"
            "CREATE PUBLICATION bench_pub FOR TABLE bench;"
            "CREATE PROCEDURE one_row_txns(n int8) LANGUAGE plpgsql AS $$ BEGIN "
            "FOR i IN 1..n LOOP INSERT INTO bench VALUES (i, 'customer ' || i, i * 1.25, "
            "now(), i % 2 = 0, jsonb_build_object('k', i)); COMMIT; END LOOP; END $$;"),
        "schema");
  const char* row_expr =
      "SELECT i, 'customer ' || i, i * 1.25, now(), i % 2 = 0, jsonb_build_object('k', i) "
      "FROM generate_series(1, ";
  std::vector<Scenario> scenarios = {
      {"single-row transactions", absl::StrCat("CALL one_row_txns(", rows, ")")},
      {"one large transaction", absl::StrCat("INSERT INTO bench ", row_expr, rows, ") i")},
  };
  std::printf(
      "| scenario | rows | pg_recvlogical s | dbmazz s | pg_recvlogical rows/s | dbmazz rows/s | "
      "ratio |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const Scenario& sc : scenarios) {
    Check((*cluster)->Exec("TRUNCATE bench"), "truncate");
    Check((*cluster)->Exec("SELECT pg_create_logical_replication_slot('s_warm', 'pgoutput'), "
                           "pg_create_logical_replication_slot('s_recv', 'pgoutput'), "
                           "pg_create_logical_replication_slot('s_dbmazz', 'pgoutput')"),
          "slots");
    Check((*cluster)->Exec(sc.setup_sql), "write backlog");
    // A warm-up pass on a third slot finds the last commit's end LSN, which
    // pg_recvlogical gets as --endpos so that both stop at exactly the same
    // place, and warms the caches so that neither measured run pays for it.
    Lsn end = 0;
    RunDbmazz(dsn, "s_warm", rows, &end);
    double recv_s = RunRecvlogical(recvlogical, dsn, "s_recv", end, proto);
    Lsn ours_end = 0;
    double ours_s = RunDbmazz(dsn, "s_dbmazz", rows, &ours_end);
    std::printf("| %s | %llu | %.2f | %.2f | %.0f | %.0f | %.2f |\n", sc.name,
                static_cast<unsigned long long>(rows), recv_s, ours_s, rows / recv_s, rows / ours_s,
                recv_s / ours_s);
    std::fflush(stdout);
    Check(
        (*cluster)->Exec("SELECT pg_drop_replication_slot('s_dbmazz'), "
                         "pg_drop_replication_slot('s_recv'), pg_drop_replication_slot('s_warm')"),
        "drop slots");
  }
  return 0;
}
