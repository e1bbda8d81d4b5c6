#include "server/metrics_http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <charconv>

#include "absl/time/clock.h"
#include "engine/metrics/pipeline_metrics.h"
#include "engine/metrics/process_metrics.h"

namespace dbmazz::server {

namespace {

constexpr char kExpositionType[] = "text/plain; version=0.0.4; charset=utf-8";

struct HostPort {
  std::string host;
  int port = 0;
};

absl::StatusOr<HostPort> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return absl::InvalidArgumentError("metrics listen address \"" + listen + "\" is not host:port");
  }
  HostPort out;
  out.host = listen.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  std::string_view port(listen.data() + colon + 1, listen.size() - colon - 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (ec != std::errc() || end != port.data() + port.size() || out.port < 0 || out.port > 65535) {
    return absl::InvalidArgumentError("metrics listen address \"" + listen + "\" has a bad port");
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    runtime::Engine* engine, MetricsHttpOptions options) {
  auto where = ParseListen(options.listen);
  if (!where.ok()) return where.status();
  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer());
  server->http_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *server->http_;
  http.new_task_queue = [] { return new httplib::ThreadPool(2); };
  // httplib's default sets SO_REUSEPORT, which would let a second dbmazzd
  // share the port silently.
  http.set_socket_options([](auto sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.set_read_timeout(std::chrono::seconds(5));
  http.set_write_timeout(std::chrono::seconds(5));
  // One request per connection: with 2 workers, idle keep-alive connections
  // (two Prometheus servers, a probe) must not hold every worker.
  http.set_keep_alive_max_count(1);
  http.Get("/metrics", [engine](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        metrics::RenderMetrics(engine->List(), absl::Now(), metrics::ReadProcessSample()),
        kExpositionType);
  });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http.Get("/readyz",
           [ready = std::move(options.ready)](const httplib::Request&, httplib::Response& res) {
             bool ok = !ready || ready();
             res.status = ok ? 200 : 503;
             res.set_content(ok ? "ready\n" : "not ready\n", "text/plain");
           });
  if (where->port == 0) {
    server->port_ = http.bind_to_any_port(where->host);
    if (server->port_ < 0) server->port_ = 0;
  } else if (http.bind_to_port(where->host, where->port)) {
    server->port_ = where->port;
  }
  if (server->port_ == 0) {
    return absl::UnavailableError("cannot listen for metrics on " + options.listen);
  }
  bool v6 = where->host.find(':') != std::string::npos;
  server->address_ =
      (v6 ? "[" + where->host + "]" : where->host) + ":" + std::to_string(server->port_);
  server->thread_ = std::thread([&http, exited = &server->listen_exited_] {
    http.listen_after_bind();
    exited->store(true);
  });
  return server;
}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

void MetricsHttpServer::Stop() {
  if (http_ == nullptr) return;
  // stop() only acts on a running server: let the thread get there first
  // (however long a loaded machine takes), unless it already gave up.
  while (thread_.joinable() && !http_->is_running() && !listen_exited_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_->stop();
  if (thread_.joinable()) thread_.join();
  http_.reset();
}

}  // namespace dbmazz::server
