// dbmazzd's control plane as a third-party tool sees it: the real `buf curl`
// binary (deploy/install_buf.sh; its path in $DBMAZZ_BUF) discovers the API
// through server reflection alone — no .proto files — and calls it with
// proto3 JSON, against a ControlServer over a real Engine with a pipeline
// streaming from real PostgreSQL into the StarRocks emulator.
//
// Without DBMAZZ_BUF the tests skip, unless $CI is set: then they fail, so
// CI cannot pass without running them.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dbmazz/v1/pipeline_service.grpc.pb.h"
#include "engine/pipeline/pipeline_spec.h"
#include "tests/integration/control_plane_harness.h"
#include "tests/integration/shop_workload.h"

extern char** environ;

namespace dbmazz::testing {
namespace {

namespace v1 = ::dbmazz::v1;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

struct BufResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

class BufCurlTest : public ControlPlaneHarness {
 protected:
  void SetUp() override {
    const char* buf = getenv("DBMAZZ_BUF");
    if (buf == nullptr || *buf == '\0') {
      if (getenv("CI") != nullptr) {
        GTEST_FAIL() << "DBMAZZ_BUF is not set under CI; set it to the output of "
                        "deploy/install_buf.sh";
      }
      GTEST_SKIP() << "DBMAZZ_BUF is not set: run with "
                      "DBMAZZ_BUF=$(bash deploy/install_buf.sh | tail -n 1)";
    }
    buf_ = buf;
    ASSERT_EQ(access(buf_.c_str(), X_OK), 0) << "DBMAZZ_BUF=" << buf_ << " is not executable";
    char dir[] = "/tmp/dbmazz-buf-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    ControlPlaneHarness::SetUp();
    if (HasFatalFailure()) return;
    id_ = Id("shop");
    v1::Pipeline created;
    grpc::Status status = Create(id_, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_TRUE(WaitForState(id_, v1::Pipeline::STREAMING));
  }

  void TearDown() override {
    ControlPlaneHarness::TearDown();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  std::string Url(const std::string& method = "") const {
    std::string base = absl::StrCat("http://", server_->address());
    if (method.empty()) return base;
    return absl::StrCat(base, "/", v1::PipelineService::service_full_name(), "/", method);
  }

  // Runs `buf curl --protocol grpc ARGS...`; stdout and stderr apart.
  BufResult Curl(std::vector<std::string> args) {
    args.insert(args.begin(), {buf_, "--timeout", "60s", "curl", "--protocol", "grpc",
                               "--connect-timeout", "10"});
    std::string out_path = dir_ + "/stdout", err_path = dir_ + "/stderr";
    // Everything the child needs is built before fork(): this process has
    // threads (gRPC, the engine).
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage = {"BUF_CACHE_DIR=" + dir_ + "/cache"};
    for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out < 0 || err < 0) _exit(126);
      dup2(out, STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    BufResult result;
    int status = 0;
    EXPECT_GT(pid, 0);
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
    }
    result.out = ReadAll(out_path);
    result.err = ReadAll(err_path);
    return result;
  }

  // Parses stdout as one JSON document; a test failure when it is not.
  static nlohmann::json Json(const BufResult& result) {
    auto json = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(json.is_discarded()) << "not JSON:\n" << result.out << "\n" << result.err;
    return json;
  }

  // The redaction checks of ExpectRedacted(), on proto3 JSON.
  static void ExpectRedactedJson(const nlohmann::json& pipeline) {
    EXPECT_EQ(pipeline["spec"]["sink"]["password"], pipeline::kRedacted) << pipeline.dump(2);
    EXPECT_THAT(pipeline["spec"]["source"]["dsn"].get<std::string>(),
                HasSubstr(pipeline::kRedacted));
    std::string text = pipeline.dump();
    EXPECT_THAT(text, Not(HasSubstr(ShopWorkload::kPassword)));
    EXPECT_THAT(text, Not(HasSubstr(kDsnPassword)));
  }

  std::string buf_;
  std::string dir_;
  std::string id_;
};

TEST_F(BufCurlTest, ReflectionListsTheServicesAndEveryMethod) {
  BufResult services = Curl({"--list-services", Url()});
  ASSERT_EQ(services.exit_code, 0) << services.err;
  std::vector<std::string> names = Lines(services.out);
  EXPECT_THAT(names, Contains(v1::PipelineService::service_full_name()));
  EXPECT_THAT(names, Contains("grpc.health.v1.Health"));

  BufResult methods = Curl({"--list-methods", Url()});
  // Every service can be described, the health service included
  // (proto/grpc/health/v1 puts its descriptor in the pool).
  ASSERT_EQ(methods.exit_code, 0) << methods.err;
  std::vector<std::string> listed = Lines(methods.out);
  EXPECT_THAT(listed, Contains("grpc.health.v1.Health/Check"));
  BufResult health = Curl({"-d", R"({"service":"dbmazz.v1.PipelineService"})",
                           absl::StrCat(Url(), "/grpc.health.v1.Health/Check")});
  ASSERT_EQ(health.exit_code, 0) << health.err;
  EXPECT_THAT(health.out, HasSubstr("SERVING")) << health.out;
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      v1::PipelineService::service_full_name());
  ASSERT_NE(service, nullptr);
  ASSERT_EQ(service->method_count(), 9);
  for (int i = 0; i < service->method_count(); ++i) {
    EXPECT_THAT(listed,
                Contains(absl::StrCat(service->full_name(), "/", service->method(i)->name())));
  }
}

TEST_F(BufCurlTest, GetAndListReturnTheStreamingPipelineRedacted) {
  workload_.Run(0);
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  v1::Pipeline got;
  while (absl::Now() < deadline && (!Get(id_, &got).ok() || got.stats().rows_inserted() == 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(got.stats().rows_inserted(), 0u);

  nlohmann::json request = {{"pipeline_id", id_}};
  BufResult get = Curl({"-d", request.dump(), Url("GetPipeline")});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  nlohmann::json pipeline = Json(get);
  // proto3 JSON: lowerCamelCase names, enums by name, uint64 as strings.
  EXPECT_EQ(pipeline["pipelineId"], id_) << get.out;
  EXPECT_EQ(pipeline["state"], "STREAMING");
  EXPECT_EQ(pipeline["desiredState"], "RUNNING");
  EXPECT_EQ(pipeline["spec"]["tables"], nlohmann::json({"public.orders", "public.items"}));
  ASSERT_TRUE(pipeline["stats"]["rowsInserted"].is_string()) << get.out;
  EXPECT_GE(std::stoull(pipeline["stats"]["rowsInserted"].get<std::string>()),
            got.stats().rows_inserted());
  ExpectRedactedJson(pipeline);

  BufResult list = Curl({"-d", "{}", Url("ListPipelines")});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  nlohmann::json listed = Json(list);
  ASSERT_TRUE(listed["pipelines"].is_array()) << list.out;
  ASSERT_EQ(listed["pipelines"].size(), 1u);
  EXPECT_EQ(listed["pipelines"][0]["pipelineId"], id_);
  EXPECT_EQ(listed["pipelines"][0]["state"], "STREAMING");
  ExpectRedactedJson(listed["pipelines"][0]);
}

TEST_F(BufCurlTest, UnknownPipelineIsNotFound) {
  std::string missing = Id("missing");
  BufResult get =
      Curl({"-d", nlohmann::json({{"pipeline_id", missing}}).dump(), Url("GetPipeline")});
  // buf exits with the gRPC code shifted left by three; the status is JSON
  // on stderr.
  EXPECT_EQ(get.exit_code, static_cast<int>(grpc::StatusCode::NOT_FOUND) << 3) << get.err;
  EXPECT_TRUE(get.out.empty()) << get.out;
  auto error = nlohmann::json::parse(get.err, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(error.is_discarded()) << get.err;
  EXPECT_EQ(error["code"], "not_found");
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr(missing));
}

TEST_F(BufCurlTest, BearerTokenIsSentAsAHeader) {
  StartServer("t0ken");
  nlohmann::json request = {{"pipeline_id", id_}};
  // Reflection needs no token; the PipelineService does.
  BufResult anonymous = Curl({"-d", request.dump(), Url("GetPipeline")});
  EXPECT_EQ(anonymous.exit_code, static_cast<int>(grpc::StatusCode::UNAUTHENTICATED) << 3)
      << anonymous.err;
  BufResult authorized =
      Curl({"-H", "authorization: Bearer t0ken", "-d", request.dump(), Url("GetPipeline")});
  ASSERT_EQ(authorized.exit_code, 0) << authorized.err;
  EXPECT_EQ(Json(authorized)["pipelineId"], id_);
}

}  // namespace
}  // namespace dbmazz::testing
