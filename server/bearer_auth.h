// The optional bearer token every PipelineService RPC must carry
// ("authorization: Bearer <token>" metadata) when the daemon has one. The
// health and reflection services are not checked (they never see this).
//
// Ownership: holds a copy of the token. Thread-safety: immutable after
// construction; Check() may be called from any thread.
#ifndef DBMAZZ_SERVER_BEARER_AUTH_H_
#define DBMAZZ_SERVER_BEARER_AUTH_H_

#include <grpcpp/server_context.h>

#include <string>

namespace dbmazz::server {

class BearerAuth {
 public:
  // An empty token disables the check.
  explicit BearerAuth(std::string token) : token_(std::move(token)) {}

  bool enabled() const { return !token_.empty(); }

  // OK when disabled or when the metadata carries the token (compared in
  // constant time); UNAUTHENTICATED otherwise (the message never echoes
  // what the client sent).
  grpc::Status Check(const grpc::CallbackServerContext& context) const;

 private:
  std::string token_;
};

}  // namespace dbmazz::server

#endif  // DBMAZZ_SERVER_BEARER_AUTH_H_
