// The gRPC control plane under load while the pipelines stream (not a
// Google Benchmark: it prints its figures). PostgreSQL (fixture), the
// StarRocks emulator and dbmazzd run as their own processes; this process
// is the writer and the load client:
//
//   1. 50 pipelines (a table each, each its own slot) are created through
//      CreatePipeline;
//   2. open loop: GetPipeline and ListPipelines alternately at a fixed
//      1,000 requests/s over several channels (callback API), first with
//      the pipelines idle, then while a writer inserts into every table at a
//      steady rate (it keeps writing until the end). Latency is measured
//      from each request's scheduled send time (no coordinated omission),
//      and also from its actual send time; "sender lag" is how late the
//      sending thread was — a probe of the machine's scheduling delays;
//   3. closed loop, pipelines streaming: a few clients (a channel each)
//      calling back to back, Get then List, for the maximum requests/s.
//   Each phase also reports the rows/s the pipelines loaded (from their
//   rows_loaded) and the CPU of dbmazzd, this client, PostgreSQL (the
//   postmaster and its children), the emulator and everything else.
//
//   bench_grpc [--pipelines 50] [--rows-per-sec 1000] [--rows-per-txn 20]
//              [--rate 1000] [--seconds 10] [--channels 4] [--clients 4]
//              [--closed-seconds 5] [--skip-baseline 1] [--synchronous-commit 1]
#include <dirent.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dbmazz/v1/pipeline_service.grpc.pb.h"
#include "engine/postgres/pg_connection.h"
#include "tests/bench/child_process.h"
#include "tests/support/pg_cluster.h"

namespace dbmazz::bench {
namespace {

namespace v1 = ::dbmazz::v1;

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

void CheckGrpc(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %d %s\n", what.c_str(), s.error_code(), s.error_message().c_str());
    std::exit(1);
  }
}

double SelfCpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

// Busy and total jiffies of the whole machine, from /proc/stat.
std::pair<double, double> MachineJiffies() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  double busy = 0, total = 0, v;
  for (int i = 0; i < 8 && in >> v; ++i) {
    total += v;
    if (i != 3 && i != 4) busy += v;  // idle and iowait
  }
  return {busy, total};
}

struct Args {
  int pipelines = 50;
  int rows_per_sec = 1000;
  int rows_per_txn = 20;
  int rate = 1000;
  int seconds = 10;
  int channels = 4;
  int clients = 4;
  int closed_seconds = 5;
  bool baseline = true;
  bool synchronous_commit = true;  // PostgreSQL's default
};

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(10)) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

// One connection per channel (no sharing through the global subchannel pool).
std::vector<std::unique_ptr<v1::PipelineService::Stub>> Stubs(const std::string& address, int n) {
  std::vector<std::unique_ptr<v1::PipelineService::Stub>> stubs;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments channel_args;
    channel_args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel =
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), channel_args);
    if (!channel->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
      std::fprintf(stderr, "cannot connect to %s\n", address.c_str());
      std::exit(1);
    }
    stubs.push_back(v1::PipelineService::NewStub(channel));
  }
  return stubs;
}

uint64_t RowsLoaded(v1::PipelineService::Stub& stub, int* streaming = nullptr) {
  v1::ListPipelinesResponse list;
  CheckGrpc(stub.ListPipelines(Context().get(), {}, &list), "ListPipelines");
  uint64_t rows = 0;
  if (streaming != nullptr) *streaming = 0;
  for (const auto& p : list.pipelines()) {
    rows += p.stats().rows_loaded();
    if (streaming != nullptr && p.state() == v1::Pipeline::STREAMING) ++*streaming;
  }
  return rows;
}

// Inserts rows into t0..t{n-1} in turn, `rows_per_sec` in all, until Stop().
class Writer {
 public:
  Writer(const testing::PgCluster& cluster, int tables, int rows_per_sec, int rows_per_txn)
      : dsn_(cluster.Dsn("postgres")),
        tables_(tables),
        rows_per_sec_(rows_per_sec),
        rows_per_txn_(rows_per_txn) {}
  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  uint64_t rows() const { return rows_.load(); }

 private:
  void Run() {
    auto conn = postgres::PgConnection::Connect(dsn_, {});
    Check(conn.status(), "writer connect");
    std::vector<int64_t> next_id(tables_, 1);
    absl::Time start = absl::Now();
    for (int64_t i = 0; !stop_.load(); ++i) {
      absl::Time due = start + absl::Seconds(1) * (i * rows_per_txn_) / rows_per_sec_;
      absl::Time now = absl::Now();
      if (due > now) absl::SleepFor(due - now);
      int t = static_cast<int>(i % tables_);
      int64_t first = next_id[t];
      next_id[t] += rows_per_txn_;
      Check((*conn)
                ->Exec(absl::StrCat("INSERT INTO t", t,
                                    " SELECT g, 'customer ' || g, g * 1.25, now(), true "
                                    "FROM generate_series(",
                                    first, ", ", first + rows_per_txn_ - 1, ") g"))
                .status(),
            "insert");
      rows_.fetch_add(rows_per_txn_);
    }
  }

  std::string dsn_;
  int tables_;
  int rows_per_sec_;
  int rows_per_txn_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> rows_{0};
  std::thread thread_;
};

struct Latencies {
  std::mutex mu;
  std::vector<double> get_ms, list_ms;            // open loop: from the scheduled send time
  std::vector<double> get_sent_ms, list_sent_ms;  // open loop: from the actual send time
  std::vector<double> lag_ms;                     // open loop: actual send - scheduled
  std::atomic<int> errors{0};
};

double Pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

// A call in flight; deleted by its completion callback.
struct Call {
  grpc::ClientContext context;
  v1::GetPipelineRequest get_request;
  v1::Pipeline get_response;
  v1::ListPipelinesRequest list_request;
  v1::ListPipelinesResponse list_response;
  absl::Time scheduled;
  absl::Time sent;
};

// `rate` requests/s for `seconds`, alternately Get (a pipeline in turn) and
// List, spread over the stubs; returns once every call completed.
void OpenLoop(std::vector<std::unique_ptr<v1::PipelineService::Stub>>& stubs, int pipelines,
              int rate, int seconds, Latencies* out) {
  std::atomic<int64_t> inflight{0};
  int64_t total = static_cast<int64_t>(rate) * seconds;
  absl::Time start = absl::Now();
  for (int64_t i = 0; i < total; ++i) {
    absl::Time due = start + absl::Seconds(1) * i / rate;
    absl::Time now = absl::Now();
    if (due > now) {
      absl::SleepFor(due - now);
      now = absl::Now();
    }
    out->lag_ms.push_back(absl::ToDoubleMilliseconds(now - due));
    auto* call = new Call;
    call->scheduled = due;
    call->sent = now;
    call->context.set_deadline(absl::ToChronoTime(now + absl::Seconds(10)));
    auto& stub = *stubs[i % stubs.size()];
    inflight.fetch_add(1);
    bool list = i % 2 == 1;
    auto done = [call, list, out, &inflight](grpc::Status status) {
      absl::Time now = absl::Now();
      if (!status.ok()) out->errors.fetch_add(1);
      {
        std::lock_guard<std::mutex> lock(out->mu);
        (list ? out->list_ms : out->get_ms)
            .push_back(absl::ToDoubleMilliseconds(now - call->scheduled));
        (list ? out->list_sent_ms : out->get_sent_ms)
            .push_back(absl::ToDoubleMilliseconds(now - call->sent));
      }
      delete call;
      inflight.fetch_sub(1);
    };
    if (list) {
      stub.async()->ListPipelines(&call->context, &call->list_request, &call->list_response,
                                  std::move(done));
    } else {
      call->get_request.set_pipeline_id(absl::StrCat("p", (i / 2) % pipelines));
      stub.async()->GetPipeline(&call->context, &call->get_request, &call->get_response,
                                std::move(done));
    }
  }
  while (inflight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// `clients` threads, each on its own channel, calling back to back.
double ClosedLoop(const std::string& address, int pipelines, int clients, int seconds, bool list,
                  Latencies* out) {
  auto stubs = Stubs(address, clients);
  std::atomic<uint64_t> calls{0};
  absl::Time start = absl::Now(), end = start + absl::Seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> ms;
      for (int i = c; absl::Now() < end; i += clients) {
        absl::Time t0 = absl::Now();
        grpc::Status status;
        if (list) {
          v1::ListPipelinesResponse response;
          status = stubs[c]->ListPipelines(Context().get(), {}, &response);
        } else {
          v1::GetPipelineRequest request;
          request.set_pipeline_id(absl::StrCat("p", i % pipelines));
          v1::Pipeline response;
          status = stubs[c]->GetPipeline(Context().get(), request, &response);
        }
        if (!status.ok()) out->errors.fetch_add(1);
        ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      }
      calls.fetch_add(ms.size());
      std::lock_guard<std::mutex> lock(out->mu);
      auto& all = list ? out->list_ms : out->get_ms;
      all.insert(all.end(), ms.begin(), ms.end());
    });
  }
  for (auto& t : threads) t.join();
  return calls.load() / absl::ToDoubleSeconds(absl::Now() - start);
}

// CPU seconds of `postmaster` and of its children (walsenders, backends),
// by pid, from /proc/<pid>/stat.
std::map<pid_t, double> PostgresCpu(pid_t postmaster) {
  std::map<pid_t, double> cpu;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return cpu;
  while (dirent* entry = readdir(proc)) {
    pid_t pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = text.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(text.substr(paren + 2));
    std::string field;
    pid_t ppid = 0;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {  // state is field 3
      if (i == 4) ppid = std::atoi(field.c_str());
      if (i >= 14) ticks += std::atof(field.c_str());
    }
    if (pid == postmaster || ppid == postmaster) {
      cpu[pid] = ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  closedir(proc);
  return cpu;
}

// Everything whose CPU a phase reports.
struct Processes {
  v1::PipelineService::Stub* stub;
  const ChildProcess* daemon;
  const ChildProcess* emulator;
  pid_t postmaster;
};

// What a phase cost and what the pipelines did meanwhile.
class Window {
 public:
  explicit Window(const Processes& p) : p_(p) {
    rows0_ = RowsLoaded(*p_.stub);
    daemon0_ = p_.daemon->CpuSeconds();
    emulator0_ = p_.emulator->CpuSeconds();
    self0_ = SelfCpuSeconds();
    pg0_ = PostgresCpu(p_.postmaster);
    machine0_ = MachineJiffies();
    t0_ = absl::Now();
  }
  // "rows/s streamed | CPU cores: dbmazzd / client / PostgreSQL / emulator / other"
  std::string Close() {
    double s = absl::ToDoubleSeconds(absl::Now() - t0_);
    auto machine = MachineJiffies();
    double busy = (machine.first - machine0_.first) / (machine.second - machine0_.second) *
                  std::thread::hardware_concurrency();
    double daemon = (p_.daemon->CpuSeconds() - daemon0_) / s;
    double emulator = (p_.emulator->CpuSeconds() - emulator0_) / s;
    double self = (SelfCpuSeconds() - self0_) / s;
    double pg = 0;
    for (const auto& [pid, seconds] : PostgresCpu(p_.postmaster)) {
      auto before = pg0_.find(pid);
      pg += seconds - (before == pg0_.end() ? 0 : before->second);
    }
    pg /= s;
    double other = std::max(0.0, busy - daemon - emulator - self - pg);
    uint64_t rows = RowsLoaded(*p_.stub) - rows0_;
    char text[160];
    std::snprintf(text, sizeof(text), "%.0f | %.2f / %.2f / %.2f / %.2f / %.2f", rows / s, daemon,
                  self, pg, emulator, other);
    return text;
  }

 private:
  Processes p_;
  uint64_t rows0_;
  double daemon0_, emulator0_, self0_;
  std::map<pid_t, double> pg0_;
  std::pair<double, double> machine0_;
  absl::Time t0_;
};

void PrintOpenLoop(const char* label, Latencies& l, const std::string& window) {
  std::printf("| %s | GetPipeline | %zu | %.2f | %.2f | %.2f | %.2f | %s |\n", label,
              l.get_ms.size(), Pct(l.get_ms, 0.5), Pct(l.get_ms, 0.99), Pct(l.get_ms, 1.0),
              Pct(l.get_sent_ms, 0.99), window.c_str());
  std::printf("| %s | ListPipelines | %zu | %.2f | %.2f | %.2f | %.2f | %s |\n", label,
              l.list_ms.size(), Pct(l.list_ms, 0.5), Pct(l.list_ms, 0.99), Pct(l.list_ms, 1.0),
              Pct(l.list_sent_ms, 0.99), window.c_str());
  std::printf("| %s | (sender lag) | %zu | %.2f | %.2f | %.2f | | | |\n", label, l.lag_ms.size(),
              Pct(l.lag_ms, 0.5), Pct(l.lag_ms, 0.99), Pct(l.lag_ms, 1.0));
  if (l.errors.load() > 0) std::printf("| %s | errors | %d | | | | |\n", label, l.errors.load());
  std::fflush(stdout);
}

std::string EmulatorSchema(int tables) {
  std::string yaml = "users:\n  - {name: bench, password: \"pw\"}\ndatabases:\n  - name: bench\n";
  yaml += "    tables:\n";
  for (int t = 0; t < tables; ++t) {
    absl::StrAppend(&yaml, "      - name: t", t,
                    "\n        keys: primary\n        key_columns: [id]\n        columns:\n",
                    "          - {name: id, type: BIGINT, not_null: true}\n",
                    "          - {name: name, type: \"VARCHAR(64)\"}\n",
                    "          - {name: amount, type: \"DECIMAL(12,2)\"}\n",
                    "          - {name: created, type: DATETIME}\n",
                    "          - {name: flag, type: BOOLEAN}\n");
  }
  return yaml;
}

int Main(const Args& args) {
  testing::PgCluster::Options cluster_options;
  cluster_options.max_slots = args.pipelines + 10;
  cluster_options.max_connections = args.pipelines * 2 + 50;
  // With synchronous_commit off, walsenders only see WAL the WAL writer
  // flushed (every 200 ms): all 50 then wake at once with 200 ms of WAL
  // each to decode, and that burst delays every other thread on 2 cores.
  cluster_options.extra_conf = {args.synchronous_commit ? "synchronous_commit = on"
                                                        : "synchronous_commit = off"};
  auto cluster = testing::PgCluster::Start(cluster_options);
  Check(cluster.status(), "start PostgreSQL");
  std::string sql;
  for (int t = 0; t < args.pipelines; ++t) {
    absl::StrAppend(&sql, "CREATE TABLE t", t,
                    " (id int8 PRIMARY KEY, name text, amount numeric(12,2), created timestamp, "
                    "flag bool);");
  }
  Check((*cluster)->Exec(sql), "tables");
  char dir_template[] = "/tmp/dbmazz-bench-grpc-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::ofstream(dir + "/schema.yaml") << EmulatorSchema(args.pipelines);
  auto emulator =
      ChildProcess::Start({DBMAZZ_EMULATOR, "--schema", dir + "/schema.yaml"}, "\"fe_port\":");
  Check(emulator.status(), "start the emulator");
  int fe_port = std::atoi((*emulator)->ready_line().c_str() + 11);  // {"fe_port":N
  auto daemon =
      ChildProcess::Start({DBMAZZ_DBMAZZD, "--listen", "127.0.0.1:0", "--state", dir + "/state.db",
                           "--log-level", "warn", "--metrics-listen", "127.0.0.1:0"},
                          "listening on ");
  Check(daemon.status(), "start dbmazzd");
  const std::string& ready = (*daemon)->ready_line();
  std::string address = ready.substr(ready.find("listening on ") + 13);
  auto admin = Stubs(address, 1);

  absl::Time t0 = absl::Now();
  for (int t = 0; t < args.pipelines; ++t) {
    v1::CreatePipelineRequest request;
    request.set_pipeline_id(absl::StrCat("p", t));
    v1::PipelineSpec* spec = request.mutable_spec();
    spec->mutable_source()->set_dsn((*cluster)->Dsn("postgres"));
    spec->add_tables(absl::StrCat("public.t", t));
    spec->mutable_sink()->set_fe_url(absl::StrCat("http://127.0.0.1:", fe_port));
    spec->mutable_sink()->set_database("bench");
    spec->mutable_sink()->set_user("bench");
    spec->mutable_sink()->set_password("pw");
    v1::Pipeline created;
    CheckGrpc(admin[0]->CreatePipeline(Context(absl::Seconds(60)).get(), request, &created),
              request.pipeline_id());
  }
  for (int streaming = 0; streaming < args.pipelines;) {
    RowsLoaded(*admin[0], &streaming);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::printf(
      "# bench_grpc: PostgreSQL %d, %u hardware threads; dbmazzd, PostgreSQL and the "
      "emulator in their own processes\n\n",
      (*cluster)->server_version_num(), std::thread::hardware_concurrency());
  std::printf(
      "%d pipelines created (CreatePipeline, validation included) and streaming in "
      "%.1f s\n\n",
      args.pipelines, absl::ToDoubleSeconds(absl::Now() - t0));
  pid_t postmaster = 0;
  std::ifstream((*cluster)->data_dir() + "/postmaster.pid") >> postmaster;
  Processes processes{admin[0].get(), daemon->get(), emulator->get(), postmaster};
  auto stubs = Stubs(address, args.channels);
  {  // warm-up: connections, allocator, first-call paths
    Latencies ignored;
    OpenLoop(stubs, args.pipelines, args.rate, 1, &ignored);
  }
  std::printf("## 1. Open loop, %d requests/s (half Get, half List) over %d channels, %d s\n\n",
              args.rate, args.channels, args.seconds);
  std::printf(
      "| pipelines | RPC | calls | p50 ms | p99 ms | max ms | p99 from send ms | rows/s streamed | "
      "CPU cores: dbmazzd / client / PostgreSQL / emulator / other |\n"
      "|---|---|---|---|---|---|---|---|---|\n");
  if (args.baseline) {
    Latencies idle;
    Window window(processes);
    OpenLoop(stubs, args.pipelines, args.rate, args.seconds, &idle);
    PrintOpenLoop("idle", idle, window.Close());
  }
  Writer writer(**cluster, args.pipelines, args.rows_per_sec, args.rows_per_txn);
  writer.Start();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the pipelines reach a steady state
  Latencies busy;
  {
    Window window(processes);
    OpenLoop(stubs, args.pipelines, args.rate, args.seconds, &busy);
    PrintOpenLoop("streaming", busy, window.Close());
  }
  std::printf(
      "\n## 2. Closed loop, %d clients (a channel each) back to back, %d s per RPC, "
      "pipelines streaming\n\n",
      args.clients, args.closed_seconds);
  std::printf(
      "| RPC | requests/s | p50 ms | p99 ms | rows/s streamed | "
      "CPU cores: dbmazzd / client / PostgreSQL / emulator / other |\n|---|---|---|---|---|---|\n");
  for (bool list : {false, true}) {
    Latencies closed;
    Window window(processes);
    double rps =
        ClosedLoop(address, args.pipelines, args.clients, args.closed_seconds, list, &closed);
    auto& ms = list ? closed.list_ms : closed.get_ms;
    std::printf("| %s | %.0f | %.2f | %.2f | %s |\n", list ? "ListPipelines" : "GetPipeline", rps,
                Pct(ms, 0.5), Pct(ms, 0.99), window.Close().c_str());
    if (closed.errors.load() > 0) std::printf("(%d errors)\n", closed.errors.load());
    std::fflush(stdout);
  }
  writer.Stop();
  absl::Time stopped = absl::Now();
  uint64_t loaded = 0;
  while ((loaded = RowsLoaded(*admin[0])) < writer.rows() &&
         absl::Now() < stopped + absl::Seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf(
      "\nwriter: %llu rows at %d rows/s target into %d tables; all durable in StarRocks "
      "%.2f s after the writer stopped (%llu loaded)\n",
      static_cast<unsigned long long>(writer.rows()), args.rows_per_sec, args.pipelines,
      absl::ToDoubleSeconds(absl::Now() - stopped), static_cast<unsigned long long>(loaded));
  int exit_status = (*daemon)->Stop();
  std::printf("dbmazzd stopped (SIGTERM), wait status %d\n", exit_status);
  (*emulator)->Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return loaded >= writer.rows() && busy.errors.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace dbmazz::bench

int main(int argc, char** argv) {
  dbmazz::bench::Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--pipelines") args.pipelines = v;
    if (a == "--rows-per-sec") args.rows_per_sec = v;
    if (a == "--rows-per-txn") args.rows_per_txn = v;
    if (a == "--rate") args.rate = v;
    if (a == "--seconds") args.seconds = v;
    if (a == "--channels") args.channels = v;
    if (a == "--clients") args.clients = v;
    if (a == "--closed-seconds") args.closed_seconds = v;
    if (a == "--skip-baseline") args.baseline = v == 0;
    if (a == "--synchronous-commit") args.synchronous_commit = v != 0;
  }
  return dbmazz::bench::Main(args);
}
