// dbmazzd's HTTP metrics listener end to end: a real engine and gRPC server
// (ControlPlaneHarness), PostgreSQL and the StarRocks emulator. The
// exposition passes `promtool check metrics`, its figures agree with
// PostgreSQL's own, and a real Prometheus server scraping it sees rows flow
// and the lag return to ~0.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "dbmazz/v1/pipeline_service.grpc.pb.h"
#include "server/metrics_http_server.h"
#include "tests/integration/control_plane_harness.h"
#include "tests/support/pg_environment.h"

extern char** environ;

namespace dbmazz::server {
namespace {

namespace v1 = ::dbmazz::v1;
using ::dbmazz::testing::ControlPlaneHarness;
using ::dbmazz::testing::PgEnvironment;

// WAL the idle server may write between the slot monitor's sample and the
// test's own query of pg_replication_slots: a few running-xacts/checkpoint
// records (tens to hundreds of bytes each). Anything the test writes is
// far larger (the 1000-row insert below writes ~100 KiB).
constexpr double kWalToleranceBytes = 8192;
// "~0": the confirmed position trails the server's WAL by at most the
// background records above once the pipeline is idle and caught up.
constexpr double kCaughtUpBytes = 16384;

// The path of `program` on $PATH, or "".
std::string Which(const std::string& program) {
  std::string command = "command -v " + program + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char buffer[512] = {0};
  std::string out = fgets(buffer, sizeof(buffer), pipe) ? buffer : "";
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Skips the test when `program` is missing, except under CI (setup.sh
// installs it there): then it fails.
#define REQUIRE_PROGRAM(path, program)                                                     \
  std::string path = Which(program);                                                       \
  if (path.empty()) {                                                                      \
    if (std::getenv("CI") != nullptr) FAIL() << program << " not found (deploy/setup.sh)"; \
    GTEST_SKIP() << program << " not found; install the Debian package prometheus";        \
  }

// The value of the sample `series` (name and labels exactly as exposed).
std::optional<double> Value(const std::string& text, const std::string& series) {
  size_t at = 0;
  std::string key = series + " ";
  while ((at = text.find(key, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      return std::strtod(text.c_str() + at + key.size(), nullptr);
    }
    at += key.size();
  }
  return std::nullopt;
}

// A port free right now (the kernel's pick; Prometheus binds it right after).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

class MetricsTest : public ControlPlaneHarness {
 protected:
  void AdjustEngineOptions(runtime::EngineOptions& options) override {
    options.slot_sample_interval = absl::Seconds(1);
  }
  void SetUp() override {
    ControlPlaneHarness::SetUp();
    if (HasFatalFailure()) return;
    auto http = MetricsHttpServer::Start(
        engine_.get(), {.listen = "127.0.0.1:0", .ready = [this] { return server_ != nullptr; }});
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = std::move(*http);
  }
  void TearDown() override {
    if (prometheus_pid_ > 0) {
      kill(prometheus_pid_, SIGTERM);
      waitpid(prometheus_pid_, nullptr, 0);
      if (HasFailure()) {
        std::ifstream log(state_dir_ + "/prometheus.log");
        std::cerr << "--- prometheus.log ---\n" << log.rdbuf() << "\n";
      }
    }
    http_.reset();
    ControlPlaneHarness::TearDown();
  }

  httplib::Result Fetch(const std::string& path) {
    httplib::Client client("127.0.0.1", http_->port());
    client.set_read_timeout(std::chrono::seconds(10));
    return client.Get(path.c_str());
  }
  std::string Scrape() {
    auto res = Fetch("/metrics");
    EXPECT_TRUE(res && res->status == 200);
    return res ? res->body : "";
  }
  // Polls /metrics until `series` satisfies `ok` (at most `timeout`).
  bool WaitFor(const std::string& series, const std::function<bool(double)>& ok,
               absl::Duration timeout = absl::Seconds(30)) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      std::optional<double> v = Value(Scrape(), series);
      if (v.has_value() && ok(*v)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  std::string Series(const std::string& name, const std::string& id,
                     const std::string& extra = "") {
    return absl::StrCat(name, "{pipeline=\"", id, "\"", extra, "}");
  }
  // A streaming pipeline over the shop workload; returns its slot name.
  std::string StartPipeline(const std::string& id) {
    v1::Pipeline created;
    grpc::Status s = Create(id, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(WaitForState(id, v1::Pipeline::STREAMING));
    return created.spec().source().slot_name();
  }
  double PgNumber(const std::string& sql) {
    auto rows = PgEnvironment::cluster().Query(sql, db_);
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok() || rows->empty() || !(*rows)[0][0].has_value()) return -1;
    return std::strtod((*rows)[0][0]->c_str(), nullptr);
  }

  std::unique_ptr<MetricsHttpServer> http_;
  pid_t prometheus_pid_ = 0;
};

TEST_F(MetricsTest, ExpositionPassesPromtoolAndAgreesWithPostgres) {
  REQUIRE_PROGRAM(promtool, "promtool");
  auto health = Fetch("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = Fetch("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);

  const std::string id = Id("metrics");
  const std::string slot = StartPipeline(id);
  workload_.Sql("INSERT INTO orders SELECT g, 'c', 1, 'new', 'n' FROM generate_series(1, 300) g");
  workload_.Sql("UPDATE orders SET status = 'paid' WHERE id <= 100");
  workload_.Sql("DELETE FROM orders WHERE id > 250");
  auto equals = [](double want) { return [want](double v) { return v == want; }; };
  EXPECT_TRUE(WaitFor(Series("dbmazz_rows_total", id, ",op=\"insert\""), equals(300)));
  EXPECT_TRUE(WaitFor(Series("dbmazz_rows_total", id, ",op=\"update\""), equals(100)));
  EXPECT_TRUE(WaitFor(Series("dbmazz_rows_total", id, ",op=\"delete\""), equals(50)));
  EXPECT_TRUE(WaitFor(Series("dbmazz_pipeline_state", id, ",state=\"streaming\""), equals(1)));

  // promtool lints the real exposition (names, units, HELP, histograms).
  std::string text = Scrape();
  EXPECT_EQ(Value(text, Series("dbmazz_transactions_total", id)), 3);
  EXPECT_GT(Value(text, Series("dbmazz_stream_load_requests_total", id, ",result=\"success\""))
                .value_or(0),
            0);
  EXPECT_EQ(Value(text, Series("dbmazz_stream_load_requests_total", id, ",result=\"fail\"")), 0);
  EXPECT_EQ(Value(text, Series("dbmazz_stream_loads_total", id, ",outcome=\"loaded\"")),
            Value(text, Series("dbmazz_stream_load_duration_seconds_count", id)));
  EXPECT_EQ(Value(text, Series("dbmazz_stream_load_batch_rows_sum", id)),
            Value(text, Series("dbmazz_rows_loaded_total", id)));
  double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_NEAR(Value(text, Series("dbmazz_last_applied_commit_timestamp_seconds", id)).value_or(0),
              now, 60);
  std::string file = absl::StrCat(state_dir_, "/metrics.txt");
  std::ofstream(file) << text;
  std::string command = absl::StrCat(promtool, " check metrics < ", file, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  EXPECT_EQ(pclose(pipe), 0) << output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(output, "");

  // Paused, the slot's confirmed position stands still while the server's
  // WAL grows: the metrics must show that lag as PostgreSQL computes it.
  v1::PausePipelineRequest pause;
  pause.set_pipeline_id(id);
  v1::Pipeline paused;
  ASSERT_TRUE(stub_->PausePipeline(Context().get(), pause, &paused).ok());
  ASSERT_TRUE(WaitForState(id, v1::Pipeline::PAUSED));
  double wal_before = PgNumber("SELECT pg_current_wal_lsn() - '0/0'");
  workload_.Sql(
      "INSERT INTO orders SELECT g, 'c', 1, 'new', 'n' FROM generate_series(1001, 2000) g");
  double written = PgNumber("SELECT pg_current_wal_lsn() - '0/0'") - wal_before;
  double after = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  ASSERT_TRUE(WaitFor(
      Series("dbmazz_slot_sample_timestamp_seconds", id), [after](double t) { return t > after; },
      absl::Seconds(15)));
  text = Scrape();
  std::string where = absl::StrCat(" FROM pg_replication_slots WHERE slot_name = '", slot, "'");
  double pg_lag = PgNumber("SELECT pg_current_wal_lsn() - confirmed_flush_lsn" + where);
  double pg_retained = PgNumber("SELECT pg_current_wal_lsn() - restart_lsn" + where);
  std::optional<double> lag = Value(text, Series("dbmazz_replication_lag_bytes", id));
  std::optional<double> retained = Value(text, Series("dbmazz_slot_retained_wal_bytes", id));
  ASSERT_TRUE(lag.has_value() && retained.has_value()) << text;
  EXPECT_GE(*lag, written);  // the whole insert is behind
  EXPECT_NEAR(*lag, pg_lag, kWalToleranceBytes);
  EXPECT_NEAR(*retained, pg_retained, kWalToleranceBytes);
  EXPECT_GE(*retained, *lag);  // restart_lsn <= confirmed_flush_lsn
  EXPECT_EQ(Value(text, Series("dbmazz_slot_wal_status", id, ",wal_status=\"reserved\"")), 1);
  EXPECT_EQ(Value(text, Series("dbmazz_slot_active", id)), 0);
  EXPECT_EQ(Value(text, Series("dbmazz_pipeline_state", id, ",state=\"paused\"")), 1);

  // Counters keep counting across the pause (no reset to 0).
  v1::ResumePipelineRequest resume;
  resume.set_pipeline_id(id);
  v1::Pipeline resumed;
  ASSERT_TRUE(stub_->ResumePipeline(Context().get(), resume, &resumed).ok());
  EXPECT_TRUE(WaitFor(Series("dbmazz_rows_total", id, ",op=\"insert\""), equals(1300)));
  EXPECT_TRUE(WaitFor(Series("dbmazz_replication_lag_seconds", id), equals(0)));
}

TEST_F(MetricsTest, StreamLoadAttemptsAreCountedByResult) {
  const std::string id = Id("faults");
  StartPipeline(id);
  // The first PUT answers HTTP 503, the second a retryable Fail; the third
  // (max_retries 2) loads.
  ASSERT_TRUE(workload_.emulator()
                  .AddFaults(R"([{"action":"http_error","status":503,"count":1},)"
                             R"({"action":"fail","preset":"too_many_versions","count":1}])")
                  .ok());
  workload_.Sql("INSERT INTO orders SELECT g, 'c', 1, 'new', 'n' FROM generate_series(1, 10) g");
  auto requests = [&](const char* result) {
    return Series("dbmazz_stream_load_requests_total", id,
                  absl::StrCat(",result=\"", result, "\""));
  };
  ASSERT_TRUE(WaitFor(requests("success"), [](double v) { return v >= 1; }));
  std::string text = Scrape();
  EXPECT_EQ(Value(text, requests("http_error")), 1) << text;
  EXPECT_EQ(Value(text, requests("fail")), 1);
  EXPECT_EQ(Value(text, requests("timeout")), 0);
  EXPECT_EQ(Value(text, Series("dbmazz_stream_loads_total", id, ",outcome=\"failed\"")), 0);
  EXPECT_EQ(Value(text, Series("dbmazz_rows_loaded_total", id)), 10);
}

TEST_F(MetricsTest, ReadyzAnswers503WhenNotReady) {
  auto http = MetricsHttpServer::Start(engine_.get(),
                                       {.listen = "127.0.0.1:0", .ready = [] { return false; }});
  ASSERT_TRUE(http.ok()) << http.status();
  httplib::Client client("127.0.0.1", (*http)->port());
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  EXPECT_EQ(client.Get("/nothing")->status, 404);
  EXPECT_FALSE(MetricsHttpServer::Start(engine_.get(), {.listen = "nonsense", .ready = {}}).ok());
  EXPECT_FALSE(
      MetricsHttpServer::Start(engine_.get(), {.listen = (*http)->address(), .ready = {}}).ok());
}

// Prometheus' instant query `query`: the value of its first series, or
// nullopt (not ready, no series yet).
std::optional<double> PromQuery(int port, const std::string& query) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(std::chrono::seconds(5));
  auto res = client.Get("/api/v1/query", httplib::Params{{"query", query}}, httplib::Headers{});
  if (!res || res->status != 200) return std::nullopt;
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || body.value("status", "") != "success") return std::nullopt;
  const nlohmann::json& result = body["data"]["result"];
  if (!result.is_array() || result.empty()) return std::nullopt;
  return std::strtod(result[0]["value"][1].get<std::string>().c_str(), nullptr);
}

TEST_F(MetricsTest, PrometheusScrapesRowsAndSeesTheLagReturnToZero) {
  REQUIRE_PROGRAM(prometheus, "prometheus");
  const std::string id = Id("scraped");
  StartPipeline(id);

  // Prometheus scraping dbmazzd every second; nothing else (no remote
  // write, no alertmanager, no service discovery beyond the static target).
  const int port = FreePort();
  ASSERT_GT(port, 0);
  std::string config = absl::StrCat(state_dir_, "/prometheus.yml");
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                        << "scrape_configs:\n  - job_name: dbmazz\n    static_configs:\n"
                        << "      - targets: ['" << http_->address() << "']\n";
  std::vector<std::string> args = {
      prometheus, "--config.file=" + config, "--storage.tsdb.path=" + state_dir_ + "/tsdb",
      absl::StrCat("--web.listen-address=127.0.0.1:", port), "--log.level=warn"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::string log = state_dir_ + "/prometheus.log";
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  ASSERT_EQ(
      posix_spawn(&prometheus_pid_, prometheus.c_str(), &actions, nullptr, argv.data(), environ),
      0);
  posix_spawn_file_actions_destroy(&actions);

  // Bounded waits throughout: Prometheus up and a first scrape stored.
  const std::string rows = absl::StrCat("dbmazz_rows_total{pipeline=\"", id, "\",op=\"insert\"}");
  auto wait = [&](const std::string& query, const std::function<bool(double)>& ok,
                  absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    std::optional<double> v;
    while (absl::Now() < deadline) {
      v = PromQuery(port, query);
      if (v.has_value() && ok(*v)) return v;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return std::optional<double>();
  };
  std::optional<double> before = wait(
      rows, [](double v) { return v == 0; }, absl::Seconds(20));
  ASSERT_TRUE(before.has_value()) << "Prometheus never scraped dbmazzd; see " << log;

  constexpr int kRowsPerRound = 2000;
  auto insert = [&](int round) {
    workload_.Sql(absl::StrCat("INSERT INTO orders SELECT g, 'c', 1, 'new', repeat('x', 200) ",
                               "FROM generate_series(", round * kRowsPerRound + 1, ", ",
                               (round + 1) * kRowsPerRound, ") g"));
  };
  auto rows_are = [](double want) { return [want](double v) { return v == want; }; };
  // Streaming: Prometheus sees the rows arrive.
  insert(0);
  EXPECT_TRUE(wait(rows, rows_are(kRowsPerRound), absl::Seconds(20)))
      << "rows in Prometheus: " << PromQuery(port, rows).value_or(-1);

  // Paused under writes, the lag in bytes grows where Prometheus sees it
  // (a streaming pipeline confirms so fast that a 1 s sample may never
  // catch it behind).
  const std::string lag = absl::StrCat("dbmazz_replication_lag_bytes{pipeline=\"", id, "\"}");
  v1::PausePipelineRequest pause;
  pause.set_pipeline_id(id);
  v1::Pipeline pipeline;
  ASSERT_TRUE(stub_->PausePipeline(Context().get(), pause, &pipeline).ok());
  ASSERT_TRUE(WaitForState(id, v1::Pipeline::PAUSED));
  for (int round = 1; round < 5; ++round) insert(round);
  EXPECT_TRUE(wait(
      lag, [](double v) { return v > 1 << 20; }, absl::Seconds(15)))
      << "lag in Prometheus: " << PromQuery(port, lag).value_or(-1);

  // Resumed, writes stopped: every row arrives and the lag returns to ~0
  // (the client confirms its position at least every 10 s).
  v1::ResumePipelineRequest resume;
  resume.set_pipeline_id(id);
  ASSERT_TRUE(stub_->ResumePipeline(Context().get(), resume, &pipeline).ok());
  EXPECT_TRUE(wait(rows, rows_are(5 * kRowsPerRound), absl::Seconds(20)))
      << "rows in Prometheus: " << PromQuery(port, rows).value_or(-1);
  EXPECT_TRUE(wait(
      lag, [](double v) { return v <= kCaughtUpBytes; }, absl::Seconds(30)))
      << "lag in Prometheus: " << PromQuery(port, lag).value_or(-1);
  EXPECT_TRUE(wait(absl::StrCat("dbmazz_pipeline_state{pipeline=\"", id, "\",state=\"streaming\"}"),
                   rows_are(1), absl::Seconds(5)));
}

}  // namespace
}  // namespace dbmazz::server
