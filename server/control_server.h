// The gRPC server of dbmazzd: PipelineService, AdminService (log level), the standard health
// service
// ("dbmazz.v1.PipelineService" and "" SERVING) and server reflection, on
// one listening address (TLS when a certificate and key are given). Used by
// dbmazzd_main.cc and by the integration tests, so both serve the same way.
//
//   auto server = ControlServer::Start(engine.get(), {.listen = "127.0.0.1:0"});
//   std::cout << (*server)->address();          // "127.0.0.1:41234"
//   (*server)->Shutdown(absl::Seconds(10));      // before destroying the engine
//
// Ownership: owns the grpc::Server and the service; borrows the engine,
// which must outlive the ControlServer (or its Shutdown()).
// Thread-safety: Shutdown() is idempotent and may be called from any thread
// but one at a time.
// Errors (Start): kInvalidArgument for an unusable address or TLS material,
// kUnavailable when the port cannot be bound.
#ifndef DBMAZZ_SERVER_CONTROL_SERVER_H_
#define DBMAZZ_SERVER_CONTROL_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/runtime/engine.h"
#include "server/admin_service.h"
#include "server/pipeline_service.h"

namespace dbmazz::server {

struct ControlServerOptions {
  std::string listen = "127.0.0.1:7070";  // host:port; port 0 picks a free one
  std::string token;                      // bearer token; empty: none
  std::string tls_cert_pem;               // both set: TLS; both empty: plaintext
  std::string tls_key_pem;
  int blocking_threads = 2;
};

class ControlServer {
 public:
  static constexpr char kServiceName[] = "dbmazz.v1.PipelineService";

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ControlServer>> Start(
      runtime::Engine* engine, ControlServerOptions options);
  // Shutdown(absl::ZeroDuration()) unless already shut down.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  int port() const { return port_; }
  // The listening address with the bound port ("127.0.0.1:41234").
  const std::string& address() const { return address_; }

  // Stops accepting RPCs, lets running ones finish for `grace` (then cancels
  // them), waits for every RPC to end and stops the service's threads.
  void Shutdown(absl::Duration grace);

 private:
  ControlServer() = default;

  std::unique_ptr<PipelineService> service_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string address_;
  bool shut_down_ = false;
};

}  // namespace dbmazz::server

#endif  // DBMAZZ_SERVER_CONTROL_SERVER_H_
