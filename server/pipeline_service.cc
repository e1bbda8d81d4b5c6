#include "server/pipeline_service.h"

#include <charconv>

#include "server/proto_convert.h"
#include "server/status_mapping.h"
#include "server/watch_reactor.h"

namespace dbmazz::server {
namespace {

namespace v1 = ::dbmazz::v1;

constexpr absl::Duration kDefaultWatchInterval = absl::Seconds(1);
constexpr absl::Duration kMinWatchInterval = absl::Milliseconds(100);
constexpr absl::Duration kMaxWatchInterval = absl::Hours(1);

grpc::Status InvalidArgument(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

// A WatchPipeline stream refused before it started.
class RejectedWatch : public grpc::ServerWriteReactor<v1::Pipeline> {
 public:
  explicit RejectedWatch(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

// Runs `call` (returning StatusOr<PipelineStatus>) and fills `response`.
template <typename Call>
grpc::Status PipelineCall(std::string_view pipeline_id, v1::Pipeline* response, Call call) {
  absl::Status id = ValidatePipelineIdField(pipeline_id);
  if (!id.ok()) return ToGrpcStatus(id);
  auto status = call();
  if (!status.ok()) return ToGrpcStatus(status.status());
  StatusToProto(*status, response);
  return grpc::Status::OK;
}

}  // namespace

PipelineService::PipelineService(runtime::Engine* engine, PipelineServiceOptions options)
    : engine_(engine),
      auth_(std::move(options.token)),
      hub_(options.watch_poll_period),
      pool_(options.blocking_threads > 0 ? options.blocking_threads : 1) {}

PipelineService::~PipelineService() {
  hub_.Stop();
  pool_.Shutdown();
}

grpc::ServerUnaryReactor* PipelineService::Inline(grpc::CallbackServerContext* context,
                                                  absl::AnyInvocable<grpc::Status()> handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status auth = auth_.Check(*context);
  reactor->Finish(auth.ok() ? handler() : auth);
  return reactor;
}

grpc::ServerUnaryReactor* PipelineService::Blocking(grpc::CallbackServerContext* context,
                                                    absl::AnyInvocable<grpc::Status()> handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status auth = auth_.Check(*context);
  if (!auth.ok()) {
    reactor->Finish(auth);
    return reactor;
  }
  pool_.Submit([reactor, handler = std::move(handler)]() mutable { reactor->Finish(handler()); });
  return reactor;
}

grpc::ServerUnaryReactor* PipelineService::CreatePipeline(grpc::CallbackServerContext* context,
                                                          const v1::CreatePipelineRequest* request,
                                                          v1::Pipeline* response) {
  return Blocking(context, [this, request, response]() -> grpc::Status {
    absl::Status id = ValidatePipelineIdField(request->pipeline_id());
    if (!id.ok()) return ToGrpcStatus(id);
    auto spec = SpecFromProto(request->spec());
    if (!spec.ok()) return ToGrpcStatus(spec.status());
    auto created = engine_->Create(request->pipeline_id(), std::move(*spec));
    if (!created.ok()) return ToGrpcStatus(MapSpecError(created.status(), request->spec()));
    StatusToProto(*created, response);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* PipelineService::ValidatePipeline(
    grpc::CallbackServerContext* context, const v1::ValidatePipelineRequest* request,
    v1::ValidatePipelineResponse* response) {
  return Blocking(context, [this, request, response]() -> grpc::Status {
    absl::Status id = ValidatePipelineIdField(request->pipeline_id());
    if (!id.ok()) return ToGrpcStatus(id);
    auto spec = SpecFromProto(request->spec());
    if (!spec.ok()) return ToGrpcStatus(spec.status());
    auto checks = engine_->Validate(request->pipeline_id(), std::move(*spec));
    if (!checks.ok()) return ToGrpcStatus(MapSpecError(checks.status(), request->spec()));
    bool valid = true;
    for (const pipeline::CheckResult& check : *checks) {
      CheckToProto(check, response->add_checks());
      valid = valid && check.passed;
    }
    response->set_valid(valid);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* PipelineService::GetPipeline(grpc::CallbackServerContext* context,
                                                       const v1::GetPipelineRequest* request,
                                                       v1::Pipeline* response) {
  return Inline(context, [&] {
    return PipelineCall(request->pipeline_id(), response,
                        [&] { return engine_->Get(request->pipeline_id()); });
  });
}

grpc::ServerUnaryReactor* PipelineService::ListPipelines(grpc::CallbackServerContext* context,
                                                         const v1::ListPipelinesRequest*,
                                                         v1::ListPipelinesResponse* response) {
  return Inline(context, [&] {
    for (const runtime::PipelineStatus& status : engine_->List()) {
      StatusToProto(status, response->add_pipelines());
    }
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* PipelineService::PausePipeline(grpc::CallbackServerContext* context,
                                                         const v1::PausePipelineRequest* request,
                                                         v1::Pipeline* response) {
  return Inline(context, [&] {
    return PipelineCall(request->pipeline_id(), response,
                        [&] { return engine_->Pause(request->pipeline_id()); });
  });
}

grpc::ServerUnaryReactor* PipelineService::ResumePipeline(grpc::CallbackServerContext* context,
                                                          const v1::ResumePipelineRequest* request,
                                                          v1::Pipeline* response) {
  return Inline(context, [&] {
    return PipelineCall(request->pipeline_id(), response,
                        [&] { return engine_->Resume(request->pipeline_id()); });
  });
}

grpc::ServerUnaryReactor* PipelineService::DeletePipeline(grpc::CallbackServerContext* context,
                                                          const v1::DeletePipelineRequest* request,
                                                          v1::Pipeline* response) {
  return Inline(context, [&] {
    return PipelineCall(request->pipeline_id(), response, [&] {
      return engine_->Delete(request->pipeline_id(), request->keep_slot());
    });
  });
}

grpc::ServerWriteReactor<v1::Pipeline>* PipelineService::WatchPipeline(
    grpc::CallbackServerContext* context, const v1::WatchPipelineRequest* request) {
  grpc::Status auth = auth_.Check(*context);
  if (!auth.ok()) return new RejectedWatch(auth);
  absl::Status id = ValidatePipelineIdField(request->pipeline_id());
  if (!id.ok()) return new RejectedWatch(ToGrpcStatus(id));
  absl::Duration interval = kDefaultWatchInterval;
  if (request->has_interval()) {
    auto parsed = DurationFromProto(request->interval(), "interval");
    if (!parsed.ok()) return new RejectedWatch(ToGrpcStatus(parsed.status()));
    if (*parsed < kMinWatchInterval || *parsed > kMaxWatchInterval) {
      return new RejectedWatch(InvalidArgument("interval: must be between 100ms and 1h"));
    }
    interval = *parsed;
  }
  return WatchReactor::Start(engine_, &hub_, request->pipeline_id(), interval);
}

grpc::ServerUnaryReactor* PipelineService::ListPipelineEvents(
    grpc::CallbackServerContext* context, const v1::ListPipelineEventsRequest* request,
    v1::ListPipelineEventsResponse* response) {
  return Inline(context, [&]() -> grpc::Status {
    absl::Status id = ValidatePipelineIdField(request->pipeline_id());
    if (!id.ok()) return ToGrpcStatus(id);
    if (request->page_size() < 0) return InvalidArgument("page_size: must not be negative");
    int page_size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
    if (page_size > kMaxPageSize) page_size = kMaxPageSize;
    int64_t before_id = 0;
    const std::string& token = request->page_token();
    if (!token.empty()) {
      auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), before_id);
      if (error != std::errc() || end != token.data() + token.size() || before_id <= 0) {
        return InvalidArgument("page_token: not a token from a previous response");
      }
    }
    // One more than the page tells whether another page follows.
    auto events = engine_->Events(request->pipeline_id(), page_size + 1, before_id);
    if (!events.ok()) return ToGrpcStatus(events.status());
    bool more = static_cast<int>(events->size()) > page_size;
    if (more) events->resize(page_size);
    for (const state::EventRecord& event : *events) EventToProto(event, response->add_events());
    if (more && !events->empty()) response->set_next_page_token(std::to_string(events->back().id));
    return grpc::Status::OK;
  });
}

}  // namespace dbmazz::server
