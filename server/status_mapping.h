// The one place an engine error (absl::Status) becomes a gRPC status.
//
//   reactor->Finish(ToGrpcStatus(engine->Pause(id).status()));
//
// Codes map one to one (absl and gRPC share the canonical codes); the
// message is kept, except that anything that looks like a password
// ("password=...", "sslpassword=...", "postgresql://user:secret@") is
// replaced by "******" as a last line of defence (the engine already keeps
// secrets out of its messages).
//
// Thread-safety: free functions, no shared state.
#ifndef DBMAZZ_SERVER_STATUS_MAPPING_H_
#define DBMAZZ_SERVER_STATUS_MAPPING_H_

#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace dbmazz::server {

// The gRPC code for an absl code (an unknown value becomes UNKNOWN).
[[nodiscard]] grpc::StatusCode ToGrpcCode(absl::StatusCode code);

// `status` as a grpc::Status: same code, scrubbed message.
[[nodiscard]] grpc::Status ToGrpcStatus(const absl::Status& status);

// `message` with password values replaced by "******".
[[nodiscard]] std::string ScrubSecrets(std::string_view message);

}  // namespace dbmazz::server

#endif  // DBMAZZ_SERVER_STATUS_MAPPING_H_
