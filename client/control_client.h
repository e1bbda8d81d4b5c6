// dbmazzctl's connection to dbmazzd: one channel, the bearer token on every
// call, a deadline per call, and gRPC statuses turned into absl::Status
// (code and server message kept).
//
// Ownership: owns the channel and stub. Thread-safety: thread-safe (gRPC
// stubs are).
#ifndef DBMAZZ_CLIENT_CONTROL_CLIENT_H_
#define DBMAZZ_CLIENT_CONTROL_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dbmazz/v1/admin_service.grpc.pb.h"
#include "dbmazz/v1/pipeline_service.grpc.pb.h"

namespace dbmazz::client {

struct ClientOptions {
  std::string server = "127.0.0.1:7070";
  std::string token;                           // empty: none
  std::string tls_ca_file;                     // empty: plaintext
  absl::Duration timeout = absl::Seconds(60);  // Create/Validate reach the source and sink
};

class ControlClient {
 public:
  // kInvalidArgument if the CA file cannot be read.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ControlClient>> Connect(
      ClientOptions options);

  [[nodiscard]] absl::StatusOr<v1::Pipeline> Create(const std::string& id,
                                                    const v1::PipelineSpec& spec);
  [[nodiscard]] absl::StatusOr<v1::ValidatePipelineResponse> Validate(const std::string& id,
                                                                      const v1::PipelineSpec& spec);
  [[nodiscard]] absl::StatusOr<v1::Pipeline> Get(const std::string& id);
  [[nodiscard]] absl::StatusOr<v1::ListPipelinesResponse> List();
  [[nodiscard]] absl::StatusOr<v1::Pipeline> Pause(const std::string& id);
  [[nodiscard]] absl::StatusOr<v1::Pipeline> Resume(const std::string& id);
  [[nodiscard]] absl::StatusOr<v1::Pipeline> Delete(const std::string& id, bool keep_slot);
  [[nodiscard]] absl::StatusOr<v1::ListPipelineEventsResponse> Events(const std::string& id,
                                                                      int page_size,
                                                                      const std::string& token);
  // AdminService: the daemon's log level ("trace" ... "off").
  [[nodiscard]] absl::StatusOr<std::string> GetLogLevel();
  [[nodiscard]] absl::StatusOr<std::string> SetLogLevel(const std::string& level);
  // Streams the pipeline's status to `on_update` until it returns false, the
  // server ends the stream (OK) or an error.
  [[nodiscard]] absl::Status Watch(const std::string& id, absl::Duration interval,
                                   const std::function<bool(const v1::Pipeline&)>& on_update);

 private:
  ControlClient(ClientOptions options, std::shared_ptr<grpc::Channel> channel);
  void Prepare(grpc::ClientContext* context, bool deadline = true) const;
  // One unary RPC with the token and deadline.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (v1::PipelineService::Stub::*method)(
                                    grpc::ClientContext*, const Request&, Response*),
                                const Request& request);

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PipelineService::Stub> stub_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

}  // namespace dbmazz::client

#endif  // DBMAZZ_CLIENT_CONTROL_CLIENT_H_
