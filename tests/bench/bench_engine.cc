// The engine end to end, in one run (not a Google Benchmark: it starts
// PostgreSQL and the StarRocks emulator as a separate process, so the
// figures for this process are the engine's alone):
//
//   1. footprint: 200 pipelines (each its own slot) idle — process RSS and
//      CPU — then 50 of them active: throughput per pipeline, RSS, CPU;
//   2. catch-up: N rows written while the pipeline is paused, then the time
//      until they are durable in StarRocks (checkpoint), next to
//      pg_recvlogical -f /dev/null reading the same WAL from its own slot;
//   3. latency: one pipeline at a steady 2,000 rows/s with default batching:
//      commit → durable checkpoint (covers "visible in StarRocks") p50/p99.
//
//   bench_engine [--rows N] [--pipelines 200] [--active 50] [--active-rows R]
//                [--rate 2000] [--seconds 10] [--skip catchup,footprint,latency]
//                [--snapshot-parallelism P] [--snapshot-chunk-rows R]  (engine defaults)
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/common/malloc_policy.h"
#include "engine/postgres/pg_connection.h"
#include "engine/runtime/engine.h"
#include "tests/bench/recvlogical.h"
#include "tests/support/pg_cluster.h"

namespace dbmazz {
namespace {

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

double RssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmRSS:")) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

int Threads() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "Threads:")) return std::atoi(line.c_str() + 8);
  }
  return 0;
}

// CPU seconds used so far by process `pid` (utime + stime).
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t end = stat.rfind(')');
  if (end == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(end + 2), ' ');
  if (fields.size() < 13) return 0;
  return (std::atof(fields[11].c_str()) + std::atof(fields[12].c_str())) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The emulator as a child process.
struct Emulator {
  pid_t pid = 0;
  int fe_port = 0;
  ~Emulator() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
};

void StartEmulator(const std::string& dir, const std::vector<std::string>& tables, Emulator* emu) {
  std::string schema = dir + "/schema.yaml";
  {
    std::ofstream out(schema);
    out << "users:\n  - {name: bench, password: \"pw\"}\ndatabases:\n  - name: bench\n"
        << "    tables:\n";
    for (const auto& t : tables) {
      out << "      - name: " << t << "\n        keys: primary\n        key_columns: [id]\n"
          << "        columns:\n"
          << "          - {name: id, type: BIGINT, not_null: true}\n"
          << "          - {name: name, type: \"VARCHAR(64)\"}\n"
          << "          - {name: amount, type: \"DECIMAL(12,2)\"}\n"
          << "          - {name: created, type: DATETIME}\n"
          << "          - {name: flag, type: BOOLEAN}\n";
      if (absl::StartsWith(t, "snapshot")) {
        out << "          - {name: note, type: \"VARCHAR(256)\"}\n";
      }
    }
  }
  std::string port_file = dir + "/ports.json";
  emu->pid = fork();
  if (emu->pid == 0) {
    execl(DBMAZZ_EMULATOR, DBMAZZ_EMULATOR, "--schema", schema.c_str(), "--port-file",
          port_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 500 && emu->fe_port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream in(port_file);
    std::string line;
    if (std::getline(in, line)) {
      auto pos = line.find("\"fe_port\":");
      if (pos != std::string::npos) emu->fe_port = std::atoi(line.c_str() + pos + 10);
    }
  }
  if (emu->fe_port == 0) {
    std::fprintf(stderr, "the emulator did not start\n");
    std::exit(1);
  }
}

pipeline::PipelineSpec Spec(const testing::PgCluster& cluster, const Emulator& emu,
                            const std::string& table) {
  pipeline::PipelineSpec spec;
  spec.source.dsn = cluster.Dsn("postgres");
  spec.tables.push_back({postgres::TableName{"public", table}, "", {}});
  spec.sink.fe_url = absl::StrCat("http://127.0.0.1:", emu.fe_port);
  spec.sink.database = "bench";
  spec.sink.user = "bench";
  spec.sink.password = "pw";
  return spec;
}

std::string CreateTableSql(const std::string& table) {
  return absl::StrCat("CREATE TABLE ", table,
                      " (id int8 PRIMARY KEY, name text, amount numeric(12,2), "
                      "created timestamp, flag bool);");
}

Lsn CurrentLsn(const testing::PgCluster& cluster) {
  auto rows = cluster.Query("SELECT pg_current_wal_lsn()::text");
  Check(rows.status(), "lsn");
  return *ParseLsn(*(*rows)[0][0]);
}

void WaitState(runtime::Engine& engine, const std::string& id, runtime::PipelineState state) {
  while (true) {
    auto s = engine.Get(id);
    Check(s.status(), "get");
    if (s->state == state) return;
    if (s->state == runtime::PipelineState::kFailed) {
      std::fprintf(stderr, "%s failed: %s\n", id.c_str(), s->message.c_str());
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

struct Args {
  uint64_t rows = 1000000;
  int pipelines = 200;
  int active = 50;
  uint64_t active_rows = 2000;
  int rate = 2000;
  int seconds = 10;
  std::string skip;
  int snapshot_parallelism = 0;  // 0: the engine's defaults
  int64_t snapshot_chunk_rows = 0;
  int snapshot_runs = 3;
  int snapshot_load_delay_ms = 0;  // emulated StarRocks: each load answers this much later
};

void CatchUp(const Args& args, const testing::PgCluster& cluster, const Emulator& emu,
             runtime::Engine& engine) {
  Check(cluster.Exec(CreateTableSql("catchup") +
                     "CREATE PROCEDURE fill(n int8, per_txn int8) LANGUAGE plpgsql AS $$ "
                     "BEGIN FOR b IN 0..(n / per_txn) - 1 LOOP INSERT INTO catchup SELECT i, "
                     "'customer ' || i, i * 1.25, now(), i % 2 = 0 FROM generate_series(b * "
                     "per_txn + 1, (b + 1) * per_txn) i; COMMIT; END LOOP; END $$;"),
        "schema");
  Check(engine.Create("catchup", Spec(cluster, emu, "catchup")).status(), "create");
  WaitState(engine, "catchup", runtime::PipelineState::kStreaming);
  Check(engine.Pause("catchup").status(), "pause");
  WaitState(engine, "catchup", runtime::PipelineState::kPaused);
  Check(cluster.Exec("SELECT pg_create_logical_replication_slot('recv', 'pgoutput')"), "slot");
  Check(cluster.Exec(absl::StrCat("CALL fill(", args.rows, ", 100)")), "backlog");
  Lsn end = CurrentLsn(cluster);
  int proto = replication::DefaultProtocolVersion(cluster.server_version_num());
  // pg_recvlogical stops at --endpos; the last commit ends at or before it.
  double recv =
      bench::RunRecvlogical(cluster.bin_dir() + "/pg_recvlogical", cluster.Dsn("postgres"), "recv",
                            pipeline::DefaultPublicationName("catchup"), end, proto);
  double cpu0 = CpuSeconds();
  absl::Time start = absl::Now();
  Check(engine.Resume("catchup").status(), "resume");
  // Counters are published after the turn's checkpoint: once every row is
  // counted as loaded, it is also checkpointed.
  while (true) {
    auto status = engine.Get("catchup");
    Check(status.status(), "get");
    if (status->rows_loaded >= args.rows) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  double ours = absl::ToDoubleSeconds(absl::Now() - start);
  double cpu = CpuSeconds() - cpu0;
  std::printf("\n## 2. Backlog catch-up (%llu rows in 100-row transactions)\n\n",
              static_cast<unsigned long long>(args.rows));
  std::printf("| consumer | seconds | rows/s | ratio to pg_recvlogical |\n|---|---|---|---|\n");
  std::printf("| pg_recvlogical -f /dev/null | %.2f | %.0f | 1.00 |\n", recv, args.rows / recv);
  std::printf("| dbmazz → emulator (durable) | %.2f | %.0f | %.2f |\n", ours, args.rows / ours,
              recv / ours);
  std::printf("\ndbmazz process CPU during catch-up: %.2f s (%.0f%% of one core)\n", cpu,
              100 * cpu / ours);
  std::fflush(stdout);
  Check(engine.Delete("catchup", false).status(), "delete");
  Check(cluster.Exec("SELECT pg_drop_replication_slot('recv')"), "drop");
}

void Footprint(const Args& args, const testing::PgCluster& cluster, const Emulator& emu,
               runtime::Engine& engine) {
  std::string sql = CreateTableSql("idle");
  for (int i = 0; i < args.active; ++i) sql += CreateTableSql(absl::StrCat("active_", i));
  Check(cluster.Exec(sql), "tables");
  double rss0 = RssMiB();
  absl::Time t0 = absl::Now();
  for (int i = 0; i < args.pipelines; ++i) {
    std::string table = i < args.active ? absl::StrCat("active_", i) : "idle";
    Check(engine.Create(absl::StrCat("p", i), Spec(cluster, emu, table)).status(), "create");
  }
  for (int i = 0; i < args.pipelines; ++i) {
    WaitState(engine, absl::StrCat("p", i), runtime::PipelineState::kStreaming);
  }
  double created_s = absl::ToDoubleSeconds(absl::Now() - t0);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // settle
  double cpu0 = CpuSeconds();
  absl::Time idle_start = absl::Now();
  std::this_thread::sleep_for(std::chrono::seconds(args.seconds));
  double idle_cpu = (CpuSeconds() - cpu0) / absl::ToDoubleSeconds(absl::Now() - idle_start);
  double rss_idle = RssMiB();
  std::printf("\n## 1. Footprint: %d pipelines, %d worker threads\n\n", args.pipelines,
              engine.worker_threads());
  std::printf("created and streaming in %.1f s (validation of each spec included)\n\n", created_s);
  std::printf("| phase | process RSS MiB | RSS per pipeline KiB | CPU (cores) | threads |\n");
  std::printf("|---|---|---|---|---|\n");
  std::printf("| engine, no pipelines | %.1f | - | - | - |\n", rss0);
  std::printf("| %d idle | %.1f | %.0f | %.3f | %d |\n", args.pipelines, rss_idle,
              (rss_idle - rss0) * 1024 / args.pipelines, idle_cpu, Threads());
  std::fflush(stdout);

  // Active phase: `active` pipelines each get active_rows rows.
  std::vector<std::thread> writers;
  cpu0 = CpuSeconds();
  absl::Time start = absl::Now();
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < args.active; i += 2) {
        Check(cluster.Exec(absl::StrCat("INSERT INTO active_", i,
                                        " SELECT g, 'customer ' || g, g * 1.25, now(), true "
                                        "FROM generate_series(1, ",
                                        args.active_rows, ") g")),
              "write");
      }
    });
  }
  for (auto& t : writers) t.join();
  double peak_rss = RssMiB();
  for (int i = 0; i < args.active; ++i) {
    std::string id = absl::StrCat("p", i);
    while (true) {
      auto s = engine.Get(id);
      Check(s.status(), "get");
      if (s->rows_loaded >= args.active_rows) break;
      peak_rss = std::max(peak_rss, RssMiB());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  double active_s = absl::ToDoubleSeconds(absl::Now() - start);
  double active_cpu = CpuSeconds() - cpu0;
  uint64_t total = args.active_rows * args.active;
  std::printf("| %d active (+%d idle) | %.1f (peak) | - | %.2f | %d |\n", args.active,
              args.pipelines - args.active, peak_rss, active_cpu / active_s, Threads());
  std::printf(
      "\nActive phase: %llu rows (%llu per pipeline, one transaction each) durable in %.2f s: "
      "%.0f rows/s in total, %.0f rows/s per pipeline; dbmazz CPU %.2f s = %.2f µs/row\n",
      static_cast<unsigned long long>(total), static_cast<unsigned long long>(args.active_rows),
      active_s, total / active_s, total / active_s / args.active, active_cpu,
      active_cpu * 1e6 / total);
  std::fflush(stdout);
  for (int i = 0; i < args.pipelines; ++i) {
    Check(engine.Delete(absl::StrCat("p", i), false).status(), "delete");
  }
  while (!engine.List().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// The initial snapshot of a 1M-row, 6-column table, next to psql's \copy of
// the same SELECT to /dev/null (the fastest a client can read it). Runs
// alternate (psql, then a new pipeline into an empty table of its own), so
// both sides see the same machine; the ratio is of the medians.
struct SnapshotRun {
  double psql_s = 0;
  double ours_s = 0;
  int64_t rows = 0;
  double cpu_s = 0;
  double emu_cpu_s = 0;
  double rss0 = 0;
  double peak = 0;
  // Part of `ours_s` before the first COPY: Create() (validation), then
  // slot, sessions and chunk plan (the snapshot's progress appears).
  double create_s = 0;
  double setup_s = 0;
};

SnapshotRun SnapshotOnce(const testing::PgCluster& cluster, const Emulator& emu,
                         runtime::Engine& engine, const std::string& copy_cmd, int run) {
  SnapshotRun r;
  absl::Time t0 = absl::Now();
  if (std::system(copy_cmd.c_str()) != 0) Check(absl::InternalError(copy_cmd), "psql");
  r.psql_s = absl::ToDoubleSeconds(absl::Now() - t0);
  std::string id = absl::StrCat("snap", run);
  pipeline::PipelineSpec spec = Spec(cluster, emu, "snapshot");
  spec.tables[0].target = absl::StrCat("snapshot_", run);
  r.rss0 = RssMiB();
  r.peak = r.rss0;
  double cpu0 = CpuSeconds();
  double emu_cpu0 = ProcessCpuSeconds(emu.pid);
  absl::Time start = absl::Now();
  Check(engine.Create(id, spec).status(), "create");
  r.create_s = absl::ToDoubleSeconds(absl::Now() - start);
  while (true) {
    auto status = engine.Get(id);
    Check(status.status(), "get");
    r.peak = std::max(r.peak, RssMiB());
    if (status->snapshot && status->snapshot->chunks_total > 0 && r.setup_s == 0) {
      r.setup_s = absl::ToDoubleSeconds(absl::Now() - start);
    }
    if (status->state == runtime::PipelineState::kFailed) {
      Check(absl::InternalError(status->message), "snapshot");
    }
    if (status->snapshot && status->snapshot->done) {
      r.rows = status->snapshot->rows_copied;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.ours_s = absl::ToDoubleSeconds(absl::Now() - start);
  r.cpu_s = CpuSeconds() - cpu0;
  r.emu_cpu_s = ProcessCpuSeconds(emu.pid) - emu_cpu0;
  Check(engine.Delete(id, false).status(), "delete");
  while (engine.Get(id).ok()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void Snapshot(const Args& args, const testing::PgCluster& cluster, const Emulator& emu,
              runtime::Engine& engine) {
  Check(cluster.Exec(absl::StrCat(
            "CREATE TABLE snapshot (id int8 PRIMARY KEY, name text, amount numeric(12,2), "
            "created timestamp, flag bool, note text); INSERT INTO snapshot SELECT i, "
            "'customer ' || i, i * 1.25, TIMESTAMP '2024-01-01' + i * INTERVAL '1 second', "
            "i % 2 = 0, 'note ' || md5(i::text) FROM generate_series(1, ",
            args.rows, ") i")),
        "snapshot table");
  Check(cluster.Exec("VACUUM ANALYZE snapshot"), "vacuum");
  Check(cluster.Exec("CHECKPOINT"), "checkpoint");
  std::string copy_cmd =
      absl::StrCat(cluster.bin_dir(), "/psql -X -q -d '", cluster.Dsn("postgres"),
                   "' -c \"\\copy (SELECT id, name, amount, created, flag, note FROM snapshot) TO "
                   "'/dev/null'\"");
  // Warms the cache, as every later run finds it.
  if (std::system(copy_cmd.c_str()) != 0) Check(absl::InternalError(copy_cmd), "psql");
  if (args.snapshot_load_delay_ms > 0) {
    // A real StarRocks takes its time to publish a load: every load answers
    // this much later (after applying), as a remote cluster would.
    std::string fault = absl::StrCat(
        "curl -sf -o /dev/null -X POST http://127.0.0.1:", emu.fe_port,
        "/__emulator/faults -d '{\"action\":\"delay\",\"phase\":\"after_apply\",\"delay_ms\":",
        args.snapshot_load_delay_ms, ",\"count\":-1}'");
    if (std::system(fault.c_str()) != 0) Check(absl::InternalError(fault), "fault");
  }
  std::vector<SnapshotRun> runs;
  for (int i = 1; i <= args.snapshot_runs; ++i) {
    runs.push_back(SnapshotOnce(cluster, emu, engine, copy_cmd, i));
  }
  std::printf(
      "\n## 4. Initial snapshot (%lld rows, 6 columns), %d alternating runs%s\n\n",
      static_cast<long long>(runs[0].rows), args.snapshot_runs,
      args.snapshot_load_delay_ms > 0
          ? absl::StrCat(", every load answered ", args.snapshot_load_delay_ms, " ms late").c_str()
          : "");
  std::printf(
      "| run | psql \\copy s | dbmazz s | dbmazz rows/s | ratio | dbmazz CPU s | emulator CPU s "
      "| RSS before → peak MiB | create / setup s |\n"
      "|---|---|---|---|---|---|---|---|---|\n");
  std::vector<double> psql;
  std::vector<double> ours;
  for (size_t i = 0; i < runs.size(); ++i) {
    const SnapshotRun& r = runs[i];
    std::printf("| %zu | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f | %.1f → %.1f | %.2f / %.2f |\n",
                i + 1, r.psql_s, r.ours_s, r.rows / r.ours_s, r.psql_s / r.ours_s, r.cpu_s,
                r.emu_cpu_s, r.rss0, r.peak, r.create_s, r.setup_s);
    psql.push_back(r.psql_s);
    ours.push_back(r.ours_s);
  }
  double mp = Median(psql);
  double mo = Median(ours);
  std::printf(
      "\nMedians: psql \\copy %.2f s (%.0f rows/s), dbmazz %.2f s (%.0f rows/s): ratio %.2f\n", mp,
      args.rows / mp, mo, runs[0].rows / mo, mp / mo);
  std::fflush(stdout);
}

void Latency(const Args& args, const testing::PgCluster& cluster, const Emulator& emu,
             runtime::Engine& engine) {
  Check(cluster.Exec(CreateTableSql("steady")), "table");
  Check(engine.Create("steady", Spec(cluster, emu, "steady")).status(), "create");
  WaitState(engine, "steady", runtime::PipelineState::kStreaming);
  struct Commit {
    Lsn lsn;  // inside the transaction: the first commit end above it is its own
    absl::Time time;
  };
  std::mutex mu;
  std::vector<Commit> commits;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    auto conn = postgres::PgConnection::Connect(cluster.Dsn("postgres"), {});
    Check(conn.status(), "connect");
    // The server default: with synchronous_commit off the WAL writer's
    // delay (up to 200 ms before walsenders may send) would be measured too.
    Check((*conn)->Exec("SET synchronous_commit = on").status(), "set");
    int total = args.rate * args.seconds;
    absl::Time start = absl::Now();
    for (int i = 0; i < total; ++i) {
      absl::Time due = start + absl::Seconds(1) * i / args.rate;
      absl::Time now = absl::Now();
      if (due > now) absl::SleepFor(due - now);
      auto r = (*conn)->Exec(absl::StrCat("INSERT INTO steady VALUES (", i,
                                          ", 'c', 1.5, now(), true) "
                                          "RETURNING pg_current_wal_insert_lsn()::text"));
      Check(r.status(), "insert");
      absl::Time committed = absl::Now();
      std::lock_guard<std::mutex> lock(mu);
      commits.push_back({*ParseLsn(r->Get(0, 0)), committed});
    }
    done.store(true);
  });
  std::vector<double> latencies_ms;
  size_t next = 0;
  while (true) {
    auto s = engine.Get("steady");
    Check(s.status(), "get");
    absl::Time now = absl::Now();
    {
      std::lock_guard<std::mutex> lock(mu);
      while (next < commits.size() && commits[next].lsn <= s->checkpoint_lsn) {
        latencies_ms.push_back(absl::ToDoubleMilliseconds(now - commits[next].time));
        ++next;
      }
      if (done.load() && next == commits.size()) break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  writer.join();
  auto final_status = engine.Get("steady");
  Check(final_status.status(), "get");
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms[static_cast<size_t>(p * (latencies_ms.size() - 1))];
  };
  std::printf("\n## 3. Commit → durable in StarRocks and checkpointed, %d rows/s for %d s\n\n",
              args.rate, args.seconds);
  std::printf("| rows | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|\n");
  std::printf("| %zu | %.0f | %.0f | %.0f | %.0f |\n", latencies_ms.size(), pct(0.5), pct(0.9),
              pct(0.99), latencies_ms.back());
  std::printf("\n%llu loads, mean load time %.1f ms (Stream Load request to acknowledgement)\n",
              static_cast<unsigned long long>(final_status->loads_completed),
              absl::ToDoubleMilliseconds(final_status->load_time) /
                  std::max<uint64_t>(1, final_status->loads_completed));
  std::printf(
      "\n(default batching: max_latency 500 ms; the checkpoint is saved after the load is "
      "acknowledged, so this bounds commit → visible from above)\n");
  std::fflush(stdout);
  Check(engine.Delete("steady", false).status(), "delete");
}

}  // namespace
}  // namespace dbmazz

int main(int argc, char** argv) {
  using namespace dbmazz;
  ApplyMallocPolicy();  // as dbmazzd does
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rows") args.rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--pipelines") args.pipelines = std::atoi(argv[i + 1]);
    if (a == "--active") args.active = std::atoi(argv[i + 1]);
    if (a == "--active-rows") args.active_rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--rate") args.rate = std::atoi(argv[i + 1]);
    if (a == "--seconds") args.seconds = std::atoi(argv[i + 1]);
    if (a == "--skip") args.skip = argv[i + 1];
    if (a == "--snapshot-parallelism") args.snapshot_parallelism = std::atoi(argv[i + 1]);
    if (a == "--snapshot-chunk-rows") args.snapshot_chunk_rows = std::atoll(argv[i + 1]);
    if (a == "--snapshot-runs") args.snapshot_runs = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--snapshot-load-delay-ms") args.snapshot_load_delay_ms = std::atoi(argv[i + 1]);
  }
  spdlog::set_level(spdlog::level::warn);
  testing::PgCluster::Options cluster_options;
  cluster_options.max_slots = args.pipelines + 20;
  cluster_options.max_connections = args.pipelines * 2 + 50;
  cluster_options.extra_conf = {"synchronous_commit = off", "max_wal_size = '4GB'",
                                "shared_buffers = '256MB'"};
  auto cluster = testing::PgCluster::Start(cluster_options);
  Check(cluster.status(), "start PostgreSQL");
  char dir[] = "/tmp/dbmazz-bench-XXXXXX";
  if (mkdtemp(dir) == nullptr) return 1;
  std::vector<std::string> tables = {"catchup", "idle", "steady"};
  for (int i = 1; i <= args.snapshot_runs; ++i) tables.push_back(absl::StrCat("snapshot_", i));
  for (int i = 0; i < args.active; ++i) tables.push_back(absl::StrCat("active_", i));
  Emulator emu;
  StartEmulator(dir, tables, &emu);
  double rss_start = RssMiB();
  runtime::EngineOptions options;
  if (args.snapshot_parallelism > 0) {
    options.snapshot_parallelism = args.snapshot_parallelism;
    options.snapshot_threads = args.snapshot_parallelism;
  }
  if (args.snapshot_chunk_rows > 0) options.snapshot_chunk_rows = args.snapshot_chunk_rows;
  options.state_path = absl::StrCat(dir, "/state.db");
  auto engine = runtime::Engine::Open(options);
  Check(engine.status(), "open engine");
  std::printf("# bench_engine: PostgreSQL %d, %u hardware threads, emulator in its own process\n",
              (*cluster)->server_version_num(), std::thread::hardware_concurrency());
  std::printf("process RSS before the engine: %.1f MiB, with it (no pipelines): %.1f MiB\n",
              rss_start, RssMiB());
  // Footprint first: later phases leave freed batch memory in the allocator,
  // which would hide what new pipelines cost.
  if (!absl::StrContains(args.skip, "footprint")) Footprint(args, **cluster, emu, **engine);
  if (!absl::StrContains(args.skip, "catchup")) CatchUp(args, **cluster, emu, **engine);
  if (!absl::StrContains(args.skip, "latency")) Latency(args, **cluster, emu, **engine);
  if (!absl::StrContains(args.skip, "snapshot")) Snapshot(args, **cluster, emu, **engine);
  engine->reset();
  return 0;
}
