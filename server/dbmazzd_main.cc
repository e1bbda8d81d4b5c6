// dbmazzd: the dbmazz daemon. Runs the CDC engine and serves its gRPC
// control plane (dbmazz.v1.PipelineService, health, reflection), and
// Prometheus metrics and probes over HTTP (/metrics, /healthz, /readyz).
//
//   dbmazzd --listen 127.0.0.1:7070 --state /var/lib/dbmazz/state.db
//   dbmazzd --metrics-listen 127.0.0.1:9187 ...   (the default; "" turns it off)
//   dbmazzd --config /etc/dbmazz/dbmazzd.toml
//
// SIGTERM/SIGINT: stop accepting RPCs (running ones get a few seconds),
// drain and checkpoint every pipeline (the engine's destructor), exit 0.
// SIGUSR1: log one level more verbose (info -> debug -> trace); SIGUSR2:
// back to --log-level. AdminService.SetLogLevel (dbmazzctl log-level) sets
// any level. Logs go to stderr, text or JSON lines (--log-format).
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/common/log_control.h"
#include "engine/common/malloc_policy.h"
#include "engine/runtime/engine.h"
#include "server/control_server.h"
#include "server/metrics_http_server.h"

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(std::string(what) + ": cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Trim(std::string text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

int Fail(const absl::Status& status) {
  std::cerr << "dbmazzd: " << status.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  dbmazz::ApplyMallocPolicy();  // before any thread starts
  CLI::App app{"dbmazzd: PostgreSQL -> StarRocks change data capture daemon (gRPC control plane)"};
  std::string listen = "127.0.0.1:7070";
  std::string state_path = "./dbmazz-state/state.db";
  int workers = 0;
  dbmazz::runtime::EngineOptions engine_options;
  std::string token_file, tls_cert, tls_key;
  std::string log_level = "info";
  std::string metrics_listen = "127.0.0.1:9187";
  std::string log_format = "text";
  double slot_sample_seconds = absl::ToDoubleSeconds(engine_options.slot_sample_interval);
  app.set_config("--config", "", "Read options from this TOML/INI file (keys as the long flags)");
  app.add_option("--listen", listen, "gRPC listen address host:port")->capture_default_str();
  app.add_option("--state", state_path, "SQLite state file (its directory is created)")
      ->capture_default_str();
  app.add_option("--workers", workers, "Pipeline worker threads (0: one per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--snapshot-threads", engine_options.snapshot_threads,
                 "Threads copying initial-snapshot chunks, shared by all pipelines")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--snapshot-parallelism", engine_options.snapshot_parallelism,
                 "PostgreSQL sessions copying one pipeline's snapshot at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--snapshot-chunk-rows", engine_options.snapshot_chunk_rows,
                 "Rows per snapshot chunk (the unit of parallelism and of resumption)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--metrics-listen", metrics_listen,
                 "HTTP listen address host:port for /metrics, /healthz and /readyz (\"\": off)")
      ->capture_default_str();
  app.add_option("--slot-sample-interval", slot_sample_seconds,
                 "Seconds between samples of the replication slots (lag, retained WAL, "
                 "warnings)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--token-file", token_file,
                 "File holding the bearer token every PipelineService RPC must present "
                 "(\"authorization: Bearer <token>\"); unset: no authentication")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-cert", tls_cert, "PEM certificate chain (TLS; needs --tls-key)")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", tls_key, "PEM private key (TLS; needs --tls-cert)")
      ->check(CLI::ExistingFile);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--log-format", log_format,
                 "text, or json (one JSON object per line: time, level, logger, pipeline, "
                 "message)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  CLI11_PARSE(app, argc, argv);
  // Debian's Abseil checks every mutex acquisition for lock-order cycles
  // (~6% of dbmazzd's CPU under load); tests run with the checks on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Logs on stderr; stdout carries only the "listening" line.
  if (absl::Status s = dbmazz::logging::SetUpLogging("dbmazzd", log_format, log_level); !s.ok()) {
    return Fail(s);
  }
  engine_options.slot_sample_interval =
      absl::Milliseconds(static_cast<int64_t>(slot_sample_seconds * 1000));

  dbmazz::server::ControlServerOptions server_options;
  server_options.listen = listen;
  if (!token_file.empty()) {
    auto token = ReadFile(token_file, "--token-file");
    if (!token.ok()) return Fail(token.status());
    server_options.token = Trim(*token);
    if (server_options.token.empty())
      return Fail(absl::InvalidArgumentError("--token-file: empty"));
  }
  if (tls_cert.empty() != tls_key.empty()) {
    return Fail(absl::InvalidArgumentError("--tls-cert and --tls-key go together"));
  }
  if (!tls_cert.empty()) {
    auto cert = ReadFile(tls_cert, "--tls-cert");
    if (!cert.ok()) return Fail(cert.status());
    auto key = ReadFile(tls_key, "--tls-key");
    if (!key.ok()) return Fail(key.status());
    server_options.tls_cert_pem = *cert;
    server_options.tls_key_pem = *key;
  }
  std::filesystem::path directory = std::filesystem::path(state_path).parent_path();
  if (!directory.empty()) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) {
      return Fail(absl::InvalidArgumentError("--state: cannot create " + directory.string() + ": " +
                                             error.message()));
    }
  }

  // Every thread inherits the mask; the main thread waits for the signal.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  engine_options.state_path = state_path;
  engine_options.worker_threads = workers;
  auto engine = dbmazz::runtime::Engine::Open(engine_options);
  if (!engine.ok()) return Fail(engine.status());
  auto server = dbmazz::server::ControlServer::Start(engine->get(), std::move(server_options));
  if (!server.ok()) return Fail(server.status());
  std::atomic<bool> ready{true};  // engine open, gRPC serving
  std::unique_ptr<dbmazz::server::MetricsHttpServer> metrics;
  if (!metrics_listen.empty()) {
    auto started = dbmazz::server::MetricsHttpServer::Start(
        engine->get(), {.listen = metrics_listen, .ready = [&ready] { return ready.load(); }});
    if (!started.ok()) return Fail(started.status());
    metrics = std::move(*started);
    spdlog::info("metrics on http://{}/metrics", metrics->address());
  }
  spdlog::info("engine open: {} worker threads, state {}", (*engine)->worker_threads(), state_path);
  std::printf("dbmazzd listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0) {
    if (signal_number == SIGUSR1) {
      std::string level = dbmazz::logging::MoreVerbose();
      spdlog::info("SIGUSR1: log level {}", level);
    } else if (signal_number == SIGUSR2) {
      (void)dbmazz::logging::SetLogLevel(log_level);
      spdlog::info("SIGUSR2: log level back to {}", log_level);
    } else {
      break;
    }
  }
  spdlog::info("signal {}: shutting down", signal_number);
  ready = false;
  (*server)->Shutdown(absl::Seconds(5));
  server->reset();
  metrics.reset();  // renders from the engine
  engine->reset();  // drains and checkpoints every pipeline
  spdlog::info("stopped");
  return 0;
}
