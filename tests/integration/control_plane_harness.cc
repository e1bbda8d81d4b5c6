#include "tests/integration/control_plane_harness.h"

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "tests/support/pg_environment.h"

namespace dbmazz::testing {
namespace {

namespace v1 = ::dbmazz::v1;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Join(grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

}  // namespace

void ControlPlaneHarness::SetUp() {
  static std::atomic<int> counter{0};
  n_ = counter.fetch_add(1);
  db_ = absl::StrCat("cp_", n_);
  absl::Status s = workload_.SetUp(&PgEnvironment::cluster(), db_);
  ASSERT_TRUE(s.ok()) << s;
  char dir[] = "/tmp/dbmazz-server-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  state_dir_ = dir;
  runtime::EngineOptions options;
  options.state_path = absl::StrCat(dir, "/state.db");
  options.worker_threads = 2;
  options.retry_initial = absl::Milliseconds(200);
  options.retry_max = absl::Seconds(2);
  options.connect_timeout = absl::Seconds(5);
  options.drain_timeout = absl::Seconds(10);
  AdjustEngineOptions(options);
  auto engine = runtime::Engine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  engine_ = std::move(*engine);
  StartServer("");
}

void ControlPlaneHarness::TearDown() {
  stub_.reset();
  channel_.reset();
  server_.reset();
  engine_.reset();
  if (!state_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(state_dir_, ignored);
  }
}

void ControlPlaneHarness::StartServer(std::string token) {
  server_.reset();
  server::ControlServerOptions options;
  options.listen = "127.0.0.1:0";
  options.token = std::move(token);
  auto server = server::ControlServer::Start(engine_.get(), std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  stub_ = v1::PipelineService::NewStub(channel_);
}

v1::PipelineSpec ControlPlaneHarness::ProtoSpec() {
  pipeline::PipelineSpec spec = workload_.Spec();
  v1::PipelineSpec proto;
  proto.mutable_source()->set_dsn(absl::StrCat(spec.source.dsn, " password=", kDsnPassword));
  for (const auto& table : spec.tables) proto.add_tables(table.source.Display());
  proto.mutable_sink()->set_fe_url(spec.sink.fe_url);
  proto.mutable_sink()->set_database(spec.sink.database);
  proto.mutable_sink()->set_user(spec.sink.user);
  proto.mutable_sink()->set_password(spec.sink.password);
  proto.mutable_sink()->set_max_retries(2);
  proto.mutable_batching()->set_max_rows(200);
  proto.mutable_batching()->mutable_max_latency()->set_nanos(100000000);
  return proto;
}

std::unique_ptr<grpc::ClientContext> ControlPlaneHarness::Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (!token_.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  return context;
}

grpc::Status ControlPlaneHarness::Create(const std::string& id, v1::Pipeline* out,
                                         std::optional<v1::PipelineSpec> spec) {
  v1::CreatePipelineRequest request;
  request.set_pipeline_id(id);
  *request.mutable_spec() = spec.has_value() ? *spec : ProtoSpec();
  return stub_->CreatePipeline(Context().get(), request, out);
}

grpc::Status ControlPlaneHarness::Get(const std::string& id, v1::Pipeline* out) {
  v1::GetPipelineRequest request;
  request.set_pipeline_id(id);
  return stub_->GetPipeline(Context().get(), request, out);
}

bool ControlPlaneHarness::WaitForState(const std::string& id, v1::Pipeline::State state) {
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    v1::Pipeline pipeline;
    if (Get(id, &pipeline).ok() && pipeline.state() == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool ControlPlaneHarness::WaitForGone(const std::string& id) {
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    v1::Pipeline pipeline;
    if (Get(id, &pipeline).error_code() == grpc::StatusCode::NOT_FOUND) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void ControlPlaneHarness::ExpectRedacted(const v1::Pipeline& pipeline) {
  EXPECT_EQ(pipeline.spec().sink().password(), pipeline::kRedacted);
  std::string text = pipeline.DebugString();
  EXPECT_THAT(text, Not(HasSubstr(ShopWorkload::kPassword)));
  EXPECT_THAT(text, Not(HasSubstr(kDsnPassword)));
}

std::string ControlPlaneHarness::Id(std::string_view name) const {
  return absl::StrCat(AsAbsl(name), "-", n_);
}

grpc::Status RawUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Slice slice(request);
  grpc::ByteBuffer send(&slice, 1), receive;
  auto call = stub.PrepareUnaryCall(&context, method, send, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&receive, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq.Next(&tag, &ok));
  if (status.ok()) *response = Join(receive);
  return status;
}

grpc::Status RawBidiOnce(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                         const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto call = stub.PrepareCall(&context, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](intptr_t id) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), id);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  if (!step(1)) return grpc::Status(grpc::StatusCode::UNKNOWN, "start failed");
  grpc::Slice slice(request);
  grpc::ByteBuffer send(&slice, 1), receive;
  call->Write(send, reinterpret_cast<void*>(2));
  step(2);
  call->WritesDone(reinterpret_cast<void*>(3));
  step(3);
  call->Read(&receive, reinterpret_cast<void*>(4));
  bool got = step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  if (got) *response = Join(receive);
  return status;
}

}  // namespace dbmazz::testing
