#include "server/admin_service.h"

#include <spdlog/spdlog.h>

#include "engine/common/log_control.h"
#include "server/status_mapping.h"

namespace dbmazz::server {

grpc::ServerUnaryReactor* AdminService::GetLogLevel(grpc::CallbackServerContext* context,
                                                    const dbmazz::v1::GetLogLevelRequest*,
                                                    dbmazz::v1::LogLevel* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status auth = auth_.Check(*context);
  if (auth.ok()) response->set_level(logging::LogLevel());
  reactor->Finish(auth);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::SetLogLevel(grpc::CallbackServerContext* context,
                                                    const dbmazz::v1::SetLogLevelRequest* request,
                                                    dbmazz::v1::LogLevel* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status status = auth_.Check(*context);
  if (status.ok()) {
    std::string before = logging::LogLevel();
    status = ToGrpcStatus(logging::SetLogLevel(request->level()));
    if (status.ok()) {
      response->set_level(logging::LogLevel());
      spdlog::info("log level {} -> {} (AdminService.SetLogLevel from {})", before,
                   response->level(), context->peer());
    }
  }
  reactor->Finish(status);
  return reactor;
}

}  // namespace dbmazz::server
