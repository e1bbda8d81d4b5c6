// dbmazzd's logs, from the real binary: JSON lines that parse and name
// their pipeline, no password anywhere in a debug-level run that includes
// an error path (a wrong sink password), and the level changed at runtime
// through AdminService (dbmazzctl log-level) and through SIGUSR1/SIGUSR2.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/pipeline/pipeline_spec.h"
#include "tests/integration/dbmazzd_process.h"
#include "tests/integration/shop_workload.h"
#include "tests/support/pg_environment.h"

namespace dbmazz {
namespace {

using ::testing::HasSubstr;
using testing::PgEnvironment;
using testing::ShopWorkload;

constexpr char kDsnPassword[] = "Dsn-Pw-7f3a9c";
constexpr char kWrongSinkPassword[] = "Wrong-Sink-Pw-91c2e";

using Result = testing::DbmazzdProcess::CtlResult;
using testing::WaitFor;

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    ASSERT_TRUE(workload_.SetUp(&PgEnvironment::cluster(), absl::StrCat("logs_", counter++)).ok());
    char dir[] = "/tmp/dbmazz-logs-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }

  void TearDown() override {
    StopServer();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void StartServer(const std::string& level) {
    log_path_ = dir_ + "/dbmazzd.log";
    ASSERT_TRUE(server_.Start({"--state", dir_ + "/state.db", "--workers", "2", "--log-format",
                               "json", "--log-level", level, "--slot-sample-interval", "0.2"},
                              log_path_))
        << "dbmazzd did not start: " << Log();
  }

  void StopServer() {
    int status = server_.Stop();
    if (status == -1) return;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "dbmazzd exit " << status;
  }

  Result Ctl(const std::string& args) { return server_.Ctl(args); }

  // A spec file whose DSN carries kDsnPassword (PostgreSQL trusts local
  // connections, so it is sent and ignored) and the given sink password.
  std::string WriteSpec(const std::string& name, const std::string& sink_password) {
    pipeline::PipelineSpec spec = workload_.Spec();
    spec.source.dsn = absl::StrCat(spec.source.dsn, " password=", kDsnPassword);
    spec.sink.password = sink_password;
    spec.sink.max_retries = 0;
    spec.batching.max_latency = absl::Milliseconds(100);
    std::string path = absl::StrCat(dir_, "/", name, ".json");
    std::ofstream(path) << pipeline::SpecToJson(spec, /*redact=*/false);
    return path;
  }

  std::string Log() {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::vector<nlohmann::json> LogLines(size_t from = 0) {
    std::vector<nlohmann::json> lines;
    std::string text = Log();
    if (from > text.size()) from = text.size();
    for (absl::string_view line : absl::StrSplit(text.substr(from), '\n', absl::SkipEmpty())) {
      EXPECT_TRUE(nlohmann::json::accept(line)) << "not JSON: " << line;
      if (nlohmann::json::accept(line)) lines.push_back(nlohmann::json::parse(line));
    }
    return lines;
  }

  int CountDebug(size_t from) {
    int n = 0;
    for (const auto& line : LogLines(from)) n += line.value("level", "") == "debug";
    return n;
  }

  ShopWorkload workload_;
  std::string dir_;
  std::string log_path_;
  testing::DbmazzdProcess server_{DBMAZZ_DBMAZZD, DBMAZZ_DBMAZZCTL};
};

TEST_F(LoggingTest, JsonLinesNamePipelinesAndNeverCarryPasswords) {
  StartServer("debug");
  ASSERT_EQ(
      Ctl(absl::StrCat("create good -f ", WriteSpec("good", ShopWorkload::kPassword))).exit_code,
      0);
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(Ctl("get good").out, "STREAMING"); }));
  workload_.Run(0);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Ctl("get good").out;
  // The error path: StarRocks refuses the wrong password.
  Result bad = Ctl(absl::StrCat("create bad -f ", WriteSpec("bad", kWrongSinkPassword)));
  ASSERT_EQ(bad.exit_code, 0) << bad.out;
  workload_.Run(1);
  ASSERT_TRUE(WaitFor([&] {
    std::string out = Ctl("get bad").out;
    return absl::StrContains(out, "FAILED") || absl::StrContains(out, "RETRYING");
  })) << Ctl("get bad").out;
  std::string got = Ctl("get bad").out;
  EXPECT_THAT(got, HasSubstr("last error:"));
  ASSERT_EQ(Ctl("pause good").exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(Ctl("get good").out, "PAUSED"); }));
  Result events = Ctl("events bad");
  StopServer();

  std::string log = Log();
  for (const char* secret : {kDsnPassword, kWrongSinkPassword, ShopWorkload::kPassword}) {
    EXPECT_THAT(log, Not(HasSubstr(secret))) << secret;
    EXPECT_THAT(got, Not(HasSubstr(secret))) << secret;
    EXPECT_THAT(events.out, Not(HasSubstr(secret))) << secret;
  }
  int good = 0, bad_lines = 0, debug = 0, errors = 0;
  for (const nlohmann::json& line : LogLines()) {
    EXPECT_TRUE(line.contains("time") && line.contains("level") && line.contains("logger") &&
                line.contains("message"))
        << line.dump();
    std::string pipeline = line.value("pipeline", "");
    if (line.value("logger", "") == "pipeline") {
      EXPECT_FALSE(pipeline.empty()) << line.dump();
    }
    good += pipeline == "good";
    bad_lines += pipeline == "bad";
    debug += line.value("level", "") == "debug";
    errors += pipeline == "bad" &&
              (line.value("level", "") == "error" || line.value("level", "") == "warning");
  }
  EXPECT_GT(good, 2) << log;
  EXPECT_GT(bad_lines, 1) << log;
  EXPECT_GT(debug, 0) << log;
  EXPECT_GT(errors, 0) << log;  // the refused load is logged
}

TEST_F(LoggingTest, LevelChangesAtRuntimeThroughTheApiAndSignals) {
  StartServer("info");
  ASSERT_EQ(Ctl(absl::StrCat("create lv -f ", WriteSpec("lv", ShopWorkload::kPassword))).exit_code,
            0);
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(Ctl("get lv").out, "STREAMING"); }));
  Result level = Ctl("log-level");
  EXPECT_EQ(level.exit_code, 0);
  EXPECT_EQ(level.out, "info\n");
  std::this_thread::sleep_for(std::chrono::seconds(1));  // five slot samples
  EXPECT_EQ(CountDebug(0), 0) << Log();

  // The API: debug lines (slot samples every 200 ms) appear only after.
  size_t mark = Log().size();
  level = Ctl("log-level debug");
  EXPECT_EQ(level.exit_code, 0) << level.out;
  EXPECT_EQ(level.out, "debug\n");
  ASSERT_TRUE(WaitFor([&] { return CountDebug(mark) > 0; }, absl::Seconds(10))) << Log();
  EXPECT_EQ(Ctl("log-level info").out, "info\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  mark = Log().size();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(CountDebug(mark), 0);
  Result wrong = Ctl("log-level loud");
  EXPECT_EQ(wrong.exit_code, 3);  // INVALID_ARGUMENT
  EXPECT_THAT(wrong.out, HasSubstr("level:"));

  // Signals: SIGUSR1 one step more verbose, SIGUSR2 back to --log-level.
  kill(server_.pid(), SIGUSR1);
  ASSERT_TRUE(WaitFor([&] { return Ctl("log-level").out == "debug\n"; }, absl::Seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return CountDebug(mark) > 0; }, absl::Seconds(10))) << Log();
  kill(server_.pid(), SIGUSR1);
  ASSERT_TRUE(WaitFor([&] { return Ctl("log-level").out == "trace\n"; }, absl::Seconds(5)));
  kill(server_.pid(), SIGUSR2);
  ASSERT_TRUE(WaitFor([&] { return Ctl("log-level").out == "info\n"; }, absl::Seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  mark = Log().size();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(CountDebug(mark), 0);
}

}  // namespace
}  // namespace dbmazz
