// The HTTP listener of dbmazzd for probes and scrapers that do not speak
// gRPC (cpp-httplib, two threads):
//   GET /metrics  Prometheus text exposition of every pipeline and of the
//                 process (engine/metrics; docs/metrics.md)
//   GET /healthz  200 while the process runs
//   GET /readyz   200 when `ready()` says so (engine open, gRPC serving),
//                 else 503
// A scrape copies the pipelines' statuses (Engine::List()) and renders them:
// it never waits for a pipeline.
//
//   auto http = MetricsHttpServer::Start(engine, {.listen = "127.0.0.1:9187"});
//   std::cout << (*http)->address();
//
// Ownership: owns the httplib server and its thread; borrows the engine,
// which must outlive the server (or its Stop()).
// Thread-safety: Stop() is idempotent; call it from one thread.
// Errors (Start): kInvalidArgument for an unusable address, kUnavailable
// when the port cannot be bound.
#ifndef DBMAZZ_SERVER_METRICS_HTTP_SERVER_H_
#define DBMAZZ_SERVER_METRICS_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "engine/runtime/engine.h"

namespace httplib {
class Server;
}

namespace dbmazz::server {

struct MetricsHttpOptions {
  std::string listen = "127.0.0.1:9187";  // host:port ([v6]:port); port 0 picks a free one
  std::function<bool()> ready;            // /readyz; empty: ready
};

class MetricsHttpServer {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      runtime::Engine* engine, MetricsHttpOptions options);
  ~MetricsHttpServer();  // Stop()
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:9187", with the bound port.
  const std::string& address() const { return address_; }

  // Stops listening, waits for requests under way, joins the thread.
  void Stop();

 private:
  MetricsHttpServer() = default;

  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::atomic<bool> listen_exited_{false};  // listen_after_bind() returned
  int port_ = 0;
  std::string address_;
};

}  // namespace dbmazz::server

#endif  // DBMAZZ_SERVER_METRICS_HTTP_SERVER_H_
