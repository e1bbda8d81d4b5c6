// The in-process control plane the gRPC integration tests share: a real
// ControlServer (PipelineService, health, reflection) over a real Engine,
// the ShopWorkload database on the shared PostgreSQL cluster and its own
// StarRocks emulator, plus a channel and stub to call it with.
//
//   class MyTest : public dbmazz::testing::ControlPlaneHarness {};
//   TEST_F(MyTest, X) { v1::Pipeline p; ASSERT_TRUE(Create(Id("shop"), &p).ok()); }
//
// RawUnary()/RawBidiOnce() call services this project has no generated
// stubs for (health, reflection) with raw protobuf bytes.
//
// Ownership: the fixture owns the engine, server, workload and channel; each
// test gets fresh ones (its own database, state folder and emulator).
// Thread-safety: the helpers may be called from several threads once SetUp()
// ran, except StartServer() (test thread only).
// Errors: setup problems are gtest fatal failures (ASSERT_*); the RPC
// helpers return the grpc::Status of the call.
#ifndef DBMAZZ_TESTS_INTEGRATION_CONTROL_PLANE_HARNESS_H_
#define DBMAZZ_TESTS_INTEGRATION_CONTROL_PLANE_HARNESS_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dbmazz/v1/pipeline_service.grpc.pb.h"
#include "engine/runtime/engine.h"
#include "server/control_server.h"
#include "tests/integration/shop_workload.h"

namespace dbmazz::testing {

class ControlPlaneHarness : public ::testing::Test {
 protected:
  // A password put into the DSN of ProtoSpec(); must never come back.
  static constexpr char kDsnPassword[] = "dsn-secret-pw";

  // Sets up the workload (database "cp_<n>"), opens an engine on a fresh
  // state file and starts a server without a token on 127.0.0.1:0.
  void SetUp() override;
  void TearDown() override;
  // Lets a test change the engine's options before SetUp() opens it.
  virtual void AdjustEngineOptions(runtime::EngineOptions& /*options*/) {}

  // (Re)starts the server with `token` (empty: none); new channel and stub.
  void StartServer(std::string token);

  // The proto form of ShopWorkload::Spec(), with a password in the DSN too.
  dbmazz::v1::PipelineSpec ProtoSpec();

  // A context with a 60 s deadline and token_ as bearer token when set.
  std::unique_ptr<grpc::ClientContext> Context();

  grpc::Status Create(const std::string& id, dbmazz::v1::Pipeline* out,
                      std::optional<dbmazz::v1::PipelineSpec> spec = std::nullopt);
  grpc::Status Get(const std::string& id, dbmazz::v1::Pipeline* out);
  // Polls Get() for up to 60 s.
  bool WaitForState(const std::string& id, dbmazz::v1::Pipeline::State state);
  bool WaitForGone(const std::string& id);

  // Both passwords are redacted (sink.password is kRedacted).
  static void ExpectRedacted(const dbmazz::v1::Pipeline& pipeline);

  // `name` made unique to this test ("shop-3").
  std::string Id(std::string_view name) const;

  int n_ = 0;
  std::string db_;
  std::string state_dir_;  // the engine's state file's folder; removed by TearDown()
  std::string token_;
  ShopWorkload workload_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<server::ControlServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<dbmazz::v1::PipelineService::Stub> stub_;
};

// A unary call of `method` ("/pkg.Service/Method") with raw protobuf bytes;
// `response` is set when the call succeeds.
grpc::Status RawUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& request, std::string* response);

// One request and the first response on a bidi stream, raw bytes.
grpc::Status RawBidiOnce(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                         const std::string& request, std::string* response);

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_INTEGRATION_CONTROL_PLANE_HARNESS_H_
