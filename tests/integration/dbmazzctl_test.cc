// The real binaries end to end: dbmazzd (as a process) driven by dbmazzctl
// (as a process) against real PostgreSQL and the emulator: create from a
// spec file, get, list, watch, pause, resume, events, delete — with the data
// checked in the emulator and the exit codes scripts rely on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/pipeline/pipeline_spec.h"
#include "tests/integration/dbmazzd_process.h"
#include "tests/integration/shop_workload.h"
#include "tests/support/pg_environment.h"

namespace dbmazz {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::PgEnvironment;
using testing::ShopWorkload;

using Result = testing::DbmazzdProcess::CtlResult;
using testing::WaitFor;

class DbmazzctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(workload_.SetUp(&PgEnvironment::cluster(), "ctl").ok());
    char dir[] = "/tmp/dbmazzctl-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    ASSERT_TRUE(server_.Start({"--state", dir_ + "/state.db", "--workers", "2"}))
        << "dbmazzd did not start";
  }

  void TearDown() override { StopServer(); }

  void StopServer() {
    int status = server_.Stop();
    if (status == -1) return;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "dbmazzd exit " << status;
  }

  Result Ctl(const std::string& args) { return server_.Ctl(args); }

  std::string WriteSpec() {
    pipeline::PipelineSpec spec = workload_.Spec();
    spec.batching.max_latency = absl::Milliseconds(100);
    std::string path = dir_ + "/pipeline.json";
    std::ofstream(path) << pipeline::SpecToJson(spec, /*redact=*/false);
    return path;
  }

  ShopWorkload workload_;
  std::string dir_;
  testing::DbmazzdProcess server_{DBMAZZ_DBMAZZD, DBMAZZ_DBMAZZCTL};
};

TEST_F(DbmazzctlTest, CreateWatchPauseResumeDelete) {
  std::string spec = WriteSpec();
  Result validate = Ctl(absl::StrCat("validate shop -f ", spec));
  EXPECT_EQ(validate.exit_code, 0) << validate.out;
  EXPECT_THAT(validate.out, HasSubstr("source.wal_level"));

  Result created = Ctl(absl::StrCat("create shop -f ", spec));
  ASSERT_EQ(created.exit_code, 0) << created.out;
  EXPECT_THAT(created.out, Not(HasSubstr(ShopWorkload::kPassword)));
  EXPECT_EQ(Ctl(absl::StrCat("create shop -f ", spec)).exit_code, 5);  // ALREADY_EXISTS

  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(Ctl("get shop").out, "STREAMING"); }));
  workload_.Run(0);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); })) << Ctl("get shop").out;

  Result json = Ctl("-o json get shop");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  EXPECT_THAT(json.out, HasSubstr("\"pipeline_id\": \"shop\""));
  EXPECT_THAT(json.out, HasSubstr("\"rows_inserted\""));
  EXPECT_THAT(json.out, Not(HasSubstr(ShopWorkload::kPassword)));
  Result list = Ctl("list");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, HasSubstr("shop"));

  ASSERT_EQ(Ctl("pause shop").exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(Ctl("get shop").out, "PAUSED"); }));
  workload_.Run(1);  // kept by the slot while paused
  ASSERT_EQ(Ctl("resume shop").exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return workload_.Converged(); }));

  // watch streams until interrupted: bounded here with timeout(1).
  Result watched = Ctl("watch shop --interval 0.2 & sleep 1; kill $!");
  EXPECT_THAT(watched.out, HasSubstr("STREAMING"));

  Result events = Ctl("events shop");
  EXPECT_EQ(events.exit_code, 0);
  EXPECT_THAT(events.out, HasSubstr("paused"));
  EXPECT_THAT(events.out, HasSubstr("created"));

  ASSERT_EQ(Ctl("delete shop").exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return Ctl("get shop").exit_code == 4; }));  // NOT_FOUND
  EXPECT_EQ(Ctl("pause nope").exit_code, 4);
  EXPECT_EQ(Ctl("get Bad_Id").exit_code, 3);  // INVALID_ARGUMENT
}

}  // namespace
}  // namespace dbmazz
