// dbmazzd's gRPC control plane in process: a real ControlServer (health,
// reflection, PipelineService) over a real Engine, real PostgreSQL and the
// StarRocks emulator, called through a real channel and stub.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <google/protobuf/unknown_field_set.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "dbmazz/v1/admin_service.grpc.pb.h"
#include "dbmazz/v1/pipeline_service.grpc.pb.h"
#include "engine/common/log_control.h"
#include "tests/integration/control_plane_harness.h"
#include "tests/integration/shop_workload.h"

namespace dbmazz::server {
namespace {

namespace v1 = ::dbmazz::v1;
using ::dbmazz::testing::ControlPlaneHarness;
using ::dbmazz::testing::RawBidiOnce;
using ::dbmazz::testing::RawUnary;
using ::dbmazz::testing::ShopWorkload;
using ::testing::HasSubstr;
using ::testing::Not;

class ServerTest : public ControlPlaneHarness {};

TEST_F(ServerTest, LifecycleThroughEveryUnaryRpc) {
  const std::string id = Id("shop");
  v1::Pipeline created;
  grpc::Status status = Create(id, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.pipeline_id(), id);
  EXPECT_EQ(created.desired_state(), v1::Pipeline::RUNNING);
  EXPECT_EQ(created.spec().tables_size(), 2);
  EXPECT_TRUE(created.has_create_time());
  ExpectRedacted(created);
  ASSERT_TRUE(WaitForState(id, v1::Pipeline::STREAMING));

  workload_.Run(1);
  bool converged = false;
  for (absl::Time deadline = absl::Now() + absl::Seconds(60);
       !converged && absl::Now() < deadline;) {
    converged = workload_.Converged();
    if (!converged) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(converged);
  v1::Pipeline got;
  ASSERT_TRUE(Get(id, &got).ok());
  ExpectRedacted(got);
  EXPECT_GT(got.stats().rows_inserted(), 0u);
  EXPECT_FALSE(got.stats().checkpoint_lsn().empty());

  v1::ListPipelinesResponse list;
  ASSERT_TRUE(stub_->ListPipelines(Context().get(), {}, &list).ok());
  ASSERT_EQ(list.pipelines_size(), 1);
  EXPECT_EQ(list.pipelines(0).pipeline_id(), id);
  ExpectRedacted(list.pipelines(0));

  v1::PausePipelineRequest pause;
  pause.set_pipeline_id(id);
  v1::Pipeline paused;
  ASSERT_TRUE(stub_->PausePipeline(Context().get(), pause, &paused).ok());
  EXPECT_EQ(paused.desired_state(), v1::Pipeline::PAUSED_BY_USER);
  ASSERT_TRUE(WaitForState(id, v1::Pipeline::PAUSED));

  v1::ResumePipelineRequest resume;
  resume.set_pipeline_id(id);
  v1::Pipeline resumed;
  ASSERT_TRUE(stub_->ResumePipeline(Context().get(), resume, &resumed).ok());
  EXPECT_EQ(resumed.desired_state(), v1::Pipeline::RUNNING);
  ASSERT_TRUE(WaitForState(id, v1::Pipeline::STREAMING));

  // Events, newest first, in pages of two; the pages join up to the whole.
  v1::ListPipelineEventsRequest all_request;
  all_request.set_pipeline_id(id);
  all_request.set_page_size(1000);
  v1::ListPipelineEventsResponse all;
  ASSERT_TRUE(stub_->ListPipelineEvents(Context().get(), all_request, &all).ok());
  ASSERT_GE(all.events_size(), 3);
  EXPECT_TRUE(all.next_page_token().empty());
  EXPECT_EQ(all.events(all.events_size() - 1).kind(), "created");
  std::vector<int64_t> paged;
  std::string token;
  int pages = 0;
  do {
    v1::ListPipelineEventsRequest request;
    request.set_pipeline_id(id);
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListPipelineEventsResponse page;
    ASSERT_TRUE(stub_->ListPipelineEvents(Context().get(), request, &page).ok());
    ASSERT_LE(page.events_size(), 2);
    for (const auto& event : page.events()) paged.push_back(event.id());
    token = page.next_page_token();
    if (!token.empty()) {
      EXPECT_EQ(token, std::to_string(page.events(1).id()));
    }
    ++pages;
  } while (!token.empty() && pages < 100);
  ASSERT_EQ(static_cast<int>(paged.size()), all.events_size());
  for (int i = 0; i < all.events_size(); ++i) EXPECT_EQ(paged[i], all.events(i).id());
  for (size_t i = 1; i < paged.size(); ++i) EXPECT_LT(paged[i], paged[i - 1]);

  v1::DeletePipelineRequest remove;
  remove.set_pipeline_id(id);
  v1::Pipeline deleting;
  ASSERT_TRUE(stub_->DeletePipeline(Context().get(), remove, &deleting).ok());
  EXPECT_EQ(deleting.state(), v1::Pipeline::DELETING);
  ASSERT_TRUE(WaitForGone(id));
}

TEST_F(ServerTest, ValidateReportsEveryCheck) {
  v1::ValidatePipelineRequest request;
  request.set_pipeline_id(Id("check"));
  *request.mutable_spec() = ProtoSpec();
  v1::ValidatePipelineResponse response;
  grpc::Status status = stub_->ValidatePipeline(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.valid());
  ASSERT_GT(response.checks_size(), 5);
  for (const auto& check : response.checks()) EXPECT_TRUE(check.passed()) << check.name();

  request.mutable_spec()->add_tables("nope");
  v1::ValidatePipelineResponse invalid;
  ASSERT_TRUE(stub_->ValidatePipeline(Context().get(), request, &invalid).ok());
  EXPECT_FALSE(invalid.valid());
  bool found = false;
  for (const auto& check : invalid.checks()) {
    if (check.name() == "table.public.nope.exists") {
      found = true;
      EXPECT_FALSE(check.passed());
    }
  }
  EXPECT_TRUE(found);
  // Nothing was created.
  v1::ListPipelinesResponse list;
  ASSERT_TRUE(stub_->ListPipelines(Context().get(), {}, &list).ok());
  EXPECT_EQ(list.pipelines_size(), 0);
}

TEST_F(ServerTest, ErrorsUseTheCanonicalCodes) {
  v1::Pipeline out;
  grpc::Status status = Create("Bad_Id", &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("pipeline_id"));

  v1::PipelineSpec bad_table = ProtoSpec();
  bad_table.add_tables("a.b.c");
  status = Create(Id("bad"), &out, bad_table);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("spec.tables[2]"));

  v1::PipelineSpec bad_url = ProtoSpec();
  bad_url.mutable_sink()->set_fe_url("ftp://nowhere");
  status = Create(Id("bad"), &out, bad_url);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("spec.sink.fe_url"));

  status = Get(Id("missing"), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  v1::PausePipelineRequest pause;
  pause.set_pipeline_id(Id("missing"));
  EXPECT_EQ(stub_->PausePipeline(Context().get(), pause, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListPipelineEventsRequest events;
  events.set_pipeline_id(Id("missing"));
  v1::ListPipelineEventsResponse events_out;
  EXPECT_EQ(stub_->ListPipelineEvents(Context().get(), events, &events_out).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::PipelineSpec missing_table = ProtoSpec();
  missing_table.add_tables("nope");
  status = Create(Id("missing-table"), &out, missing_table);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("table.public.nope.exists"));

  // A closed port: bind one, note it, close it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  v1::PipelineSpec unreachable = ProtoSpec();
  unreachable.mutable_source()->set_dsn(
      absl::StrCat("host=127.0.0.1 port=", ntohs(addr.sin_port),
                   " dbname=x user=u connect_timeout=3 password=", kDsnPassword));
  status = Create(Id("unreachable"), &out, unreachable);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), Not(HasSubstr(kDsnPassword)));

  ASSERT_TRUE(Create(Id("dup"), &out).ok());
  status = Create(Id("dup"), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), Not(HasSubstr(kDsnPassword)));
  EXPECT_THAT(status.error_message(), Not(HasSubstr(ShopWorkload::kPassword)));

  v1::ListPipelineEventsRequest bad_token;
  bad_token.set_pipeline_id(Id("dup"));
  bad_token.set_page_token("abc");
  EXPECT_EQ(stub_->ListPipelineEvents(Context().get(), bad_token, &events_out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Reads the stream until `done` says stop; returns every message read.
std::vector<v1::Pipeline> ReadWatch(grpc::ClientReader<v1::Pipeline>* reader,
                                    const std::function<bool(const v1::Pipeline&)>& done) {
  std::vector<v1::Pipeline> messages;
  v1::Pipeline message;
  while (reader->Read(&message)) {
    messages.push_back(message);
    if (done(message)) break;
  }
  return messages;
}

TEST_F(ServerTest, WatchDeliversChangesAndPeriodicUpdates) {
  const std::string id = Id("watched");
  v1::Pipeline created;
  ASSERT_TRUE(Create(id, &created).ok());
  ASSERT_TRUE(WaitForState(id, v1::Pipeline::STREAMING));

  v1::WatchPipelineRequest request;
  request.set_pipeline_id(id);
  request.mutable_interval()->set_nanos(200000000);
  auto context = Context();
  auto reader = stub_->WatchPipeline(context.get(), request);
  v1::Pipeline first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.state(), v1::Pipeline::STREAMING);
  ExpectRedacted(first);

  // Periodic: with nothing changing, messages keep coming.
  auto periodic =
      ReadWatch(reader.get(), [n = 0](const v1::Pipeline&) mutable { return ++n == 3; });
  ASSERT_EQ(periodic.size(), 3u);
  for (const auto& message : periodic) EXPECT_EQ(message.state(), v1::Pipeline::STREAMING);

  v1::PausePipelineRequest pause;
  pause.set_pipeline_id(id);
  v1::Pipeline paused;
  ASSERT_TRUE(stub_->PausePipeline(Context().get(), pause, &paused).ok());
  auto changes = ReadWatch(reader.get(),
                           [](const v1::Pipeline& p) { return p.state() == v1::Pipeline::PAUSED; });
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.back().state(), v1::Pipeline::PAUSED);
  EXPECT_EQ(changes.back().desired_state(), v1::Pipeline::PAUSED_BY_USER);
  for (const auto& message : changes) ExpectRedacted(message);

  // Deleted while watched: the stream ends with OK.
  v1::DeletePipelineRequest remove;
  remove.set_pipeline_id(id);
  v1::Pipeline deleting;
  ASSERT_TRUE(stub_->DeletePipeline(Context().get(), remove, &deleting).ok());
  ReadWatch(reader.get(), [](const v1::Pipeline&) { return false; });
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServerTest, WatchEndsOnCancelAndOnShutdown) {
  const std::string id = Id("cancel");
  v1::Pipeline created;
  ASSERT_TRUE(Create(id, &created).ok());
  v1::WatchPipelineRequest request;
  request.set_pipeline_id(id);
  auto context = Context();
  auto reader = stub_->WatchPipeline(context.get(), request);
  v1::Pipeline message;
  ASSERT_TRUE(reader->Read(&message));
  context->TryCancel();
  while (reader->Read(&message)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // A watch still open when the server shuts down is ended by the server.
  auto open_context = Context();
  auto open = stub_->WatchPipeline(open_context.get(), request);
  ASSERT_TRUE(open->Read(&message));
  server_->Shutdown(absl::Milliseconds(200));
  while (open->Read(&message)) {
  }
  EXPECT_FALSE(open->Finish().ok());
}

TEST_F(ServerTest, WatchRejectsBadRequests) {
  v1::WatchPipelineRequest request;
  request.set_pipeline_id(Id("none"));
  request.mutable_interval()->set_nanos(10000000);  // 10 ms
  auto context = Context();
  auto reader = stub_->WatchPipeline(context.get(), request);
  v1::Pipeline message;
  EXPECT_FALSE(reader->Read(&message));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("interval"));

  request.clear_interval();
  auto context2 = Context();
  auto missing = stub_->WatchPipeline(context2.get(), request);
  EXPECT_FALSE(missing->Read(&message));
  EXPECT_EQ(missing->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, BearerTokenGuardsThePipelineServiceOnly) {
  StartServer("t0ken");
  v1::ListPipelinesResponse list;
  grpc::Status status = stub_->ListPipelines(Context().get(), {}, &list);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  token_ = "wrong";
  EXPECT_EQ(stub_->ListPipelines(Context().get(), {}, &list).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  token_ = "t0ken";
  EXPECT_TRUE(stub_->ListPipelines(Context().get(), {}, &list).ok());
  v1::Pipeline out;
  EXPECT_EQ(Get(Id("none"), &out).error_code(), grpc::StatusCode::NOT_FOUND);

  token_.clear();
  v1::WatchPipelineRequest watch;
  watch.set_pipeline_id(Id("none"));
  auto context = Context();
  auto reader = stub_->WatchPipeline(context.get(), watch);
  v1::Pipeline message;
  EXPECT_FALSE(reader->Read(&message));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Create(Id("x"), &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Health needs no token.
  std::string request =
      std::string("\x0a", 1) + static_cast<char>(25) + "dbmazz.v1.PipelineService";
  std::string response;
  status = RawUnary(channel_, "/grpc.health.v1.Health/Check", request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(ServerTest, AdminServiceSetsTheLogLevelBehindTheToken) {
  StartServer("t0ken");
  auto admin = v1::AdminService::NewStub(channel_);
  v1::LogLevel level;
  v1::SetLogLevelRequest set;
  set.set_level("debug");
  EXPECT_EQ(admin->SetLogLevel(Context().get(), set, &level).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(admin->GetLogLevel(Context().get(), {}, &level).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  token_ = "t0ken";
  std::string before = logging::LogLevel();
  ASSERT_TRUE(admin->SetLogLevel(Context().get(), set, &level).ok());
  EXPECT_EQ(level.level(), "debug");
  EXPECT_EQ(logging::LogLevel(), "debug");
  ASSERT_TRUE(admin->GetLogLevel(Context().get(), {}, &level).ok());
  EXPECT_EQ(level.level(), "debug");
  set.set_level("chatty");
  grpc::Status bad = admin->SetLogLevel(Context().get(), set, &level);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("level: \"chatty\""));
  EXPECT_EQ(logging::LogLevel(), "debug");
  ASSERT_TRUE(logging::SetLogLevel(before).ok());
}

TEST_F(ServerTest, HealthReportsServing) {
  std::string request =
      std::string("\x0a", 1) + static_cast<char>(25) + "dbmazz.v1.PipelineService";
  std::string response;
  grpc::Status status = RawUnary(channel_, "/grpc.health.v1.Health/Check", request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  google::protobuf::UnknownFieldSet fields;
  ASSERT_TRUE(fields.ParseFromString(response));
  ASSERT_EQ(fields.field_count(), 1);
  EXPECT_EQ(fields.field(0).number(), 1);
  EXPECT_EQ(fields.field(0).varint(), 1u);  // SERVING

  std::string unknown = std::string("\x0a\x03", 2) + "foo";
  status = RawUnary(channel_, "/grpc.health.v1.Health/Check", unknown, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, ReflectionListsThePipelineService) {
  // ServerReflectionRequest{list_services: "*"} (field 7).
  std::string request = std::string("\x3a\x01", 2) + "*";
  std::string response;
  grpc::Status status =
      RawBidiOnce(channel_, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                  request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  google::protobuf::UnknownFieldSet fields;
  ASSERT_TRUE(fields.ParseFromString(response));
  std::vector<std::string> services;
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() != 6) continue;  // list_services_response
    google::protobuf::UnknownFieldSet list;
    ASSERT_TRUE(list.ParseFromString(fields.field(i).length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      ASSERT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      ASSERT_GE(service.field_count(), 1);
      services.push_back(service.field(0).length_delimited());
    }
  }
  EXPECT_THAT(services, ::testing::Contains("dbmazz.v1.PipelineService"));
  EXPECT_THAT(services, ::testing::Contains("dbmazz.v1.AdminService"));
  EXPECT_THAT(services, ::testing::Contains("grpc.health.v1.Health"));
}

}  // namespace
}  // namespace dbmazz::server
