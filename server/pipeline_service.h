// dbmazz.v1.PipelineService over a runtime::Engine: a thin adapter (check
// the token, convert, call the engine, convert back, finish). The gRPC
// callback API; no business logic here.
//
// Threads: CreatePipeline and ValidatePipeline talk to PostgreSQL/StarRocks
// (bounded by the spec's timeouts), so they run on a small WorkerPool owned
// by the service and finish from there; the other unary RPCs are in-memory
// and finish inline. WatchPipeline streams are polled by one WatchHub
// ticker thread.
//
// Ownership: borrows the engine (must outlive the service). Shut the
// grpc::Server down (and Wait) before destroying the service, and destroy
// the service before the engine.
// Thread-safety: thread-safe (gRPC calls the handlers from many threads).
// Errors: the engine's, mapped by ToGrpcStatus; INVALID_ARGUMENT naming the
// field for bad requests; UNAUTHENTICATED without the bearer token (when
// one is configured).
#ifndef DBMAZZ_SERVER_PIPELINE_SERVICE_H_
#define DBMAZZ_SERVER_PIPELINE_SERVICE_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "dbmazz/v1/pipeline_service.grpc.pb.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/worker_pool.h"
#include "server/bearer_auth.h"
#include "server/watch_hub.h"

namespace dbmazz::server {

struct PipelineServiceOptions {
  std::string token;         // empty: no authentication
  int blocking_threads = 2;  // Create/Validate executor
  absl::Duration watch_poll_period = absl::Milliseconds(100);
};

class PipelineService final : public dbmazz::v1::PipelineService::CallbackService {
 public:
  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 1000;

  PipelineService(runtime::Engine* engine, PipelineServiceOptions options);
  // Stops the watch ticker and runs the queued blocking calls to the end.
  ~PipelineService() override;

  grpc::ServerUnaryReactor* CreatePipeline(grpc::CallbackServerContext* context,
                                           const dbmazz::v1::CreatePipelineRequest* request,
                                           dbmazz::v1::Pipeline* response) override;
  grpc::ServerUnaryReactor* GetPipeline(grpc::CallbackServerContext* context,
                                        const dbmazz::v1::GetPipelineRequest* request,
                                        dbmazz::v1::Pipeline* response) override;
  grpc::ServerUnaryReactor* ListPipelines(grpc::CallbackServerContext* context,
                                          const dbmazz::v1::ListPipelinesRequest* request,
                                          dbmazz::v1::ListPipelinesResponse* response) override;
  grpc::ServerUnaryReactor* PausePipeline(grpc::CallbackServerContext* context,
                                          const dbmazz::v1::PausePipelineRequest* request,
                                          dbmazz::v1::Pipeline* response) override;
  grpc::ServerUnaryReactor* ResumePipeline(grpc::CallbackServerContext* context,
                                           const dbmazz::v1::ResumePipelineRequest* request,
                                           dbmazz::v1::Pipeline* response) override;
  grpc::ServerUnaryReactor* DeletePipeline(grpc::CallbackServerContext* context,
                                           const dbmazz::v1::DeletePipelineRequest* request,
                                           dbmazz::v1::Pipeline* response) override;
  grpc::ServerUnaryReactor* ValidatePipeline(
      grpc::CallbackServerContext* context, const dbmazz::v1::ValidatePipelineRequest* request,
      dbmazz::v1::ValidatePipelineResponse* response) override;
  grpc::ServerWriteReactor<dbmazz::v1::Pipeline>* WatchPipeline(
      grpc::CallbackServerContext* context,
      const dbmazz::v1::WatchPipelineRequest* request) override;
  grpc::ServerUnaryReactor* ListPipelineEvents(
      grpc::CallbackServerContext* context, const dbmazz::v1::ListPipelineEventsRequest* request,
      dbmazz::v1::ListPipelineEventsResponse* response) override;

 private:
  // Finishes at once with `handler`'s status (after the token check).
  grpc::ServerUnaryReactor* Inline(grpc::CallbackServerContext* context,
                                   absl::AnyInvocable<grpc::Status()> handler);
  // Runs `handler` on the blocking pool and finishes from there.
  grpc::ServerUnaryReactor* Blocking(grpc::CallbackServerContext* context,
                                     absl::AnyInvocable<grpc::Status()> handler);

  runtime::Engine* const engine_;
  const BearerAuth auth_;
  WatchHub hub_;
  runtime::WorkerPool pool_;
};

}  // namespace dbmazz::server

#endif  // DBMAZZ_SERVER_PIPELINE_SERVICE_H_
