// Backlog catch-up through the replication connection with a no-op consumer,
// next to pg_recvlogical -f /dev/null on an identical slot, in the same run.
//
//   build/release/tests/bench/bench_replication [--rows N] [--repeat R] [--recvlogical PATH]
//
// Starts a throwaway PostgreSQL (tests/support/pg_cluster.h; DBMAZZ_PG_BINDIR
// picks the version), writes a backlog, then lets each consumer read the same
// WAL from its own slot, one after the other. Scenarios: N single-row
// transactions, and one N-row transaction. Prints rows/s and the ratio.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/source_admin.h"
#include "engine/replication/replication_stream.h"
#include "tests/bench/recvlogical.h"
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
  uint64_t polls = 0;
  while (consumer.rows < rows || (*stream)->in_transaction()) {
    ++polls;
    auto r = (*stream)->PollAndPump(consumer, 100000, absl::Now() + absl::Milliseconds(100));
    Check(r.status(), "pump");
    (*stream)->ConfirmDurable(consumer.last_end);
  }
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (std::getenv("BENCH_VERBOSE") != nullptr) {
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    std::fprintf(
        stderr,
        "dbmazz %s: %.2f s wall, process cpu so far user %.2f sys %.2f, %llu bytes, %llu polls\n",
        slot.c_str(), seconds, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
        ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
        static_cast<unsigned long long>((*stream)->bytes_received()),
        static_cast<unsigned long long>(polls));
  }
  Check((*stream)->Close(), "close");
  *end_lsn = consumer.last_end;
  return seconds;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
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
  int repeat = 3;
  std::string recvlogical = "/usr/lib/postgresql/15/bin/pg_recvlogical";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rows") rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--recvlogical") recvlogical = argv[i + 1];
    if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
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
      "| scenario | rows | runs | pg_recvlogical s (median) | dbmazz s (median) | "
      "pg_recvlogical rows/s | dbmazz rows/s | ratio |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const Scenario& sc : scenarios) {
    Check((*cluster)->Exec("TRUNCATE bench"), "truncate");
    // One slot per run, all created before the backlog so each reads the
    // same WAL: a warm-up pass, then `repeat` rounds alternating which
    // consumer goes first. Medians are reported.
    std::vector<std::string> slots = {"s_warm"};
    for (int r = 0; r < repeat; ++r) {
      slots.push_back(absl::StrCat("s_recv_", r));
      slots.push_back(absl::StrCat("s_ours_", r));
    }
    for (const auto& slot : slots) {
      Check((*cluster)->Exec(absl::StrCat("SELECT pg_create_logical_replication_slot('", slot,
                                          "', 'pgoutput')")),
            "slot");
    }
    Check((*cluster)->Exec(sc.setup_sql), "write backlog");
    // The warm-up pass finds the last commit's end LSN, which pg_recvlogical
    // gets as --endpos so that both stop at exactly the same place.
    Lsn end = 0;
    RunDbmazz(dsn, "s_warm", rows, &end);
    std::vector<double> recv_s, ours_s;
    for (int r = 0; r < repeat; ++r) {
      Lsn ours_end = 0;
      auto recv = [&] {
        recv_s.push_back(bench::RunRecvlogical(recvlogical, dsn, absl::StrCat("s_recv_", r),
                                               "bench_pub", end, proto));
      };
      auto ours = [&] {
        ours_s.push_back(RunDbmazz(dsn, absl::StrCat("s_ours_", r), rows, &ours_end));
      };
      if (r % 2 == 0) {
        recv();
        ours();
      } else {
        ours();
        recv();
      }
    }
    double recv_med = Median(recv_s), ours_med = Median(ours_s);
    std::printf("| %s | %llu | %d | %.2f | %.2f | %.0f | %.0f | %.2f |\n", sc.name,
                static_cast<unsigned long long>(rows), repeat, recv_med, ours_med, rows / recv_med,
                rows / ours_med, recv_med / ours_med);
    std::fflush(stdout);
    for (const auto& slot : slots) {
      Check((*cluster)->Exec(absl::StrCat("SELECT pg_drop_replication_slot('", slot, "')")),
            "drop slot");
    }
  }
  return 0;
}
