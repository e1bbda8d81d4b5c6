// dbmazzd with TLS on: a client trusting the server's certificate gets
// answers; a plaintext client does not. The certificate is made for the test
// by the openssl command (self-signed, CN and SAN localhost).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "dbmazz/v1/pipeline_service.grpc.pb.h"
#include "engine/runtime/engine.h"
#include "server/control_server.h"

namespace dbmazz::server {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/dbmazz-tls-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::string command = absl::StrCat(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost -keyout ",
        dir_, "/key.pem -out ", dir_, "/cert.pem 2>/dev/null");
    ASSERT_EQ(std::system(command.c_str()), 0) << "openssl failed: " << command;
    runtime::EngineOptions engine_options;
    engine_options.state_path = dir_ + "/state.db";
    auto engine = runtime::Engine::Open(engine_options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    ControlServerOptions options;
    options.listen = "127.0.0.1:0";
    options.tls_cert_pem = ReadFile(dir_ + "/cert.pem");
    options.tls_key_pem = ReadFile(dir_ + "/key.pem");
    auto server = ControlServer::Start(engine_.get(), std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  grpc::Status List(std::shared_ptr<grpc::ChannelCredentials> credentials,
                    const grpc::ChannelArguments& args = {}) {
    auto channel =
        grpc::CreateCustomChannel(absl::StrCat("localhost:", server_->port()), credentials, args);
    auto stub = v1::PipelineService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ListPipelinesResponse response;
    return stub->ListPipelines(&context, v1::ListPipelinesRequest(), &response);
  }

  std::string dir_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ServerTlsTest, TrustedClientsOnly) {
  grpc::SslCredentialsOptions trusted;
  trusted.pem_root_certs = ReadFile(dir_ + "/cert.pem");
  grpc::Status ok = List(grpc::SslCredentials(trusted));
  EXPECT_TRUE(ok.ok()) << ok.error_message();

  grpc::Status plaintext = List(grpc::InsecureChannelCredentials());
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE) << plaintext.error_message();

  // A client that does not trust this certificate (system roots only).
  grpc::Status untrusted = List(grpc::SslCredentials(grpc::SslCredentialsOptions()));
  EXPECT_EQ(untrusted.error_code(), grpc::StatusCode::UNAVAILABLE) << untrusted.error_message();
}

}  // namespace
}  // namespace dbmazz::server
