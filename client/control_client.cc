#include "client/control_client.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace dbmazz::client {

namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

template <typename Request, typename Response>
absl::StatusOr<Response> ControlClient::Call(grpc::Status (v1::PipelineService::Stub::*method)(
                                                 grpc::ClientContext*, const Request&, Response*),
                                             const Request& request) {
  grpc::ClientContext context;
  Prepare(&context);
  Response response;
  grpc::Status status = (stub_.get()->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<std::unique_ptr<ControlClient>> ControlClient::Connect(ClientOptions options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls_ca_file.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    std::ifstream in(options.tls_ca_file);
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read the CA file ", options.tls_ca_file));
    }
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem.str();
    credentials = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateChannel(options.server, credentials);
  return std::unique_ptr<ControlClient>(new ControlClient(std::move(options), std::move(channel)));
}

ControlClient::ControlClient(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(v1::PipelineService::NewStub(channel_)),
      admin_(v1::AdminService::NewStub(channel_)) {}

void ControlClient::Prepare(grpc::ClientContext* context, bool deadline) const {
  if (!options_.token.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  }
  if (deadline) {
    context->set_deadline(std::chrono::system_clock::now() +
                          absl::ToChronoMilliseconds(options_.timeout));
  }
  context->set_wait_for_ready(false);
}

absl::StatusOr<v1::Pipeline> ControlClient::Create(const std::string& id,
                                                   const v1::PipelineSpec& spec) {
  v1::CreatePipelineRequest request;
  request.set_pipeline_id(id);
  *request.mutable_spec() = spec;
  return Call(&v1::PipelineService::Stub::CreatePipeline, request);
}

absl::StatusOr<v1::ValidatePipelineResponse> ControlClient::Validate(const std::string& id,
                                                                     const v1::PipelineSpec& spec) {
  v1::ValidatePipelineRequest request;
  request.set_pipeline_id(id);
  *request.mutable_spec() = spec;
  return Call(&v1::PipelineService::Stub::ValidatePipeline, request);
}

absl::StatusOr<v1::Pipeline> ControlClient::Get(const std::string& id) {
  v1::GetPipelineRequest request;
  request.set_pipeline_id(id);
  return Call(&v1::PipelineService::Stub::GetPipeline, request);
}

absl::StatusOr<v1::ListPipelinesResponse> ControlClient::List() {
  v1::ListPipelinesRequest request;
  return Call(&v1::PipelineService::Stub::ListPipelines, request);
}

absl::StatusOr<v1::Pipeline> ControlClient::Pause(const std::string& id) {
  v1::PausePipelineRequest request;
  request.set_pipeline_id(id);
  return Call(&v1::PipelineService::Stub::PausePipeline, request);
}

absl::StatusOr<v1::Pipeline> ControlClient::Resume(const std::string& id) {
  v1::ResumePipelineRequest request;
  request.set_pipeline_id(id);
  return Call(&v1::PipelineService::Stub::ResumePipeline, request);
}

absl::StatusOr<v1::Pipeline> ControlClient::Delete(const std::string& id, bool keep_slot) {
  v1::DeletePipelineRequest request;
  request.set_pipeline_id(id);
  request.set_keep_slot(keep_slot);
  return Call(&v1::PipelineService::Stub::DeletePipeline, request);
}

absl::StatusOr<v1::ListPipelineEventsResponse> ControlClient::Events(const std::string& id,
                                                                     int page_size,
                                                                     const std::string& token) {
  v1::ListPipelineEventsRequest request;
  request.set_pipeline_id(id);
  request.set_page_size(page_size);
  request.set_page_token(token);
  return Call(&v1::PipelineService::Stub::ListPipelineEvents, request);
}

absl::StatusOr<std::string> ControlClient::GetLogLevel() {
  grpc::ClientContext context;
  Prepare(&context);
  v1::LogLevel response;
  grpc::Status status = admin_->GetLogLevel(&context, v1::GetLogLevelRequest(), &response);
  if (!status.ok()) return FromGrpc(status);
  return response.level();
}

absl::StatusOr<std::string> ControlClient::SetLogLevel(const std::string& level) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::SetLogLevelRequest request;
  request.set_level(level);
  v1::LogLevel response;
  grpc::Status status = admin_->SetLogLevel(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  return response.level();
}

absl::Status ControlClient::Watch(const std::string& id, absl::Duration interval,
                                  const std::function<bool(const v1::Pipeline&)>& on_update) {
  v1::WatchPipelineRequest request;
  request.set_pipeline_id(id);
  request.mutable_interval()->set_seconds(absl::ToInt64Seconds(interval));
  request.mutable_interval()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(interval % absl::Seconds(1))));
  grpc::ClientContext context;
  Prepare(&context, /*deadline=*/false);
  auto reader = stub_->WatchPipeline(&context, request);
  v1::Pipeline pipeline;
  while (reader->Read(&pipeline)) {
    if (!on_update(pipeline)) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (status.error_code() == grpc::StatusCode::CANCELLED) return absl::OkStatus();
  return FromGrpc(status);
}

}  // namespace dbmazz::client
