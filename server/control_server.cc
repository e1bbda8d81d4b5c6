#include "server/control_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "grpc/health/v1/health.pb.h"

namespace dbmazz::server {

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(runtime::Engine* engine,
                                                                    ControlServerOptions options) {
  size_t colon = options.listen.rfind(':');
  if (options.listen.empty() || colon == std::string::npos || colon + 1 == options.listen.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: \"", options.listen, "\" is not host:port"));
  }
  if (options.tls_cert_pem.empty() != options.tls_key_pem.empty()) {
    return absl::InvalidArgumentError("tls: a certificate and a key are both needed");
  }
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options.tls_cert_pem.empty()) {
    credentials = grpc::InsecureServerCredentials();
  } else {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
    credentials = grpc::SslServerCredentials(ssl);
  }

  grpc::EnableDefaultHealthCheckService(true);
  // The built-in health service has no descriptor in the pool: this one
  // (proto/grpc/health/v1) lets reflection clients describe and call it.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<ControlServer> server(new ControlServer());
  server->admin_ = std::make_unique<AdminService>(options.token);
  server->service_ = std::make_unique<PipelineService>(
      engine, PipelineServiceOptions{.token = std::move(options.token),
                                     .blocking_threads = options.blocking_threads});
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->admin_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->server_.reset();
    server->shut_down_ = true;
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  server->address_ = absl::StrCat(options.listen.substr(0, colon), ":", server->port_);
  grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(kServiceName, true);
    health->SetServingStatus("dbmazz.v1.AdminService", true);
    health->SetServingStatus(true);
  }
  return server;
}

ControlServer::~ControlServer() { Shutdown(absl::ZeroDuration()); }

void ControlServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
  service_.reset();  // joins the watch ticker and the blocking pool
  admin_.reset();
}

}  // namespace dbmazz::server
