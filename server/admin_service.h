// dbmazz.v1.AdminService: the daemon's log level at runtime (engine/common/
// log_control.h). A thin adapter: token check, call, convert.
//
// Ownership: none. Thread-safety: thread-safe.
// Errors: INVALID_ARGUMENT "level: ..." (ToGrpcStatus); UNAUTHENTICATED
// without the bearer token when one is configured.
#ifndef DBMAZZ_SERVER_ADMIN_SERVICE_H_
#define DBMAZZ_SERVER_ADMIN_SERVICE_H_

#include <string>

#include "dbmazz/v1/admin_service.grpc.pb.h"
#include "server/bearer_auth.h"

namespace dbmazz::server {

class AdminService final : public dbmazz::v1::AdminService::CallbackService {
 public:
  explicit AdminService(std::string token) : auth_(std::move(token)) {}

  grpc::ServerUnaryReactor* GetLogLevel(grpc::CallbackServerContext* context,
                                        const dbmazz::v1::GetLogLevelRequest* request,
                                        dbmazz::v1::LogLevel* response) override;
  grpc::ServerUnaryReactor* SetLogLevel(grpc::CallbackServerContext* context,
                                        const dbmazz::v1::SetLogLevelRequest* request,
                                        dbmazz::v1::LogLevel* response) override;

 private:
  const BearerAuth auth_;
};

}  // namespace dbmazz::server

#endif  // DBMAZZ_SERVER_ADMIN_SERVICE_H_
