// Crash safety of the engine: a process running it is SIGKILLed at random
// points while a mixed workload writes, ten times, and restarted each time;
// at the end StarRocks (the emulator) must equal PostgreSQL row for row.
// Nothing may be lost; replays are harmless because every row is a
// primary-key upsert or delete applied in commit order with stable labels.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/pipeline/pipeline_spec.h"
#include "engine/state/state_store.h"
#include "tests/integration/shop_workload.h"
#include "tests/support/pg_environment.h"

namespace dbmazz {
namespace {

using testing::PgEnvironment;
using testing::ShopWorkload;

pid_t SpawnHost(const std::string& state, const std::string& spec_file,
                const char* chunk_rows = nullptr) {
  pid_t pid = fork();
  if (pid == 0) {
    if (chunk_rows != nullptr) setenv("DBMAZZ_SNAPSHOT_CHUNK_ROWS", chunk_rows, 1);
    execl(DBMAZZ_ENGINE_HOST, DBMAZZ_ENGINE_HOST, state.c_str(), "shop", spec_file.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// A last host runs until both sides are equal (at most `timeout`), then
// stops gracefully (exit 0).
void RunToConvergence(const std::string& state, const std::string& spec_file,
                      const char* chunk_rows, ShopWorkload& workload, absl::Duration timeout,
                      int rounds) {
  pid_t host = SpawnHost(state, spec_file, chunk_rows);
  ASSERT_GT(host, 0);
  absl::Time deadline = absl::Now() + timeout;
  bool converged = false;
  while (!(converged = workload.Converged()) && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string difference = converged ? "" : workload.Difference();
  ASSERT_EQ(kill(host, SIGTERM), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(host, &wstatus, 0), host);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  ASSERT_TRUE(converged) << rounds << " rounds written\n" << difference;
}

TEST(EngineCrashTest, TenKillsUnderLoadLoseNothing) {
  ShopWorkload workload;
  ASSERT_TRUE(workload.SetUp(&PgEnvironment::cluster(), "crash").ok());
  char dir[] = "/tmp/dbmazz-crash-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string state = absl::StrCat(dir, "/state.db");
  std::string spec_file = absl::StrCat(dir, "/spec.json");

  pipeline::PipelineSpec spec = workload.Spec();
  spec.batching.max_rows = 100;
  spec.batching.max_latency = absl::Milliseconds(50);
  std::ofstream(spec_file) << pipeline::SpecToJson(spec, /*redact=*/false);

  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> kill_after_ms(200, 1500);
  int round = 0;
  for (int kills = 0; kills < 10; ++kills) {
    pid_t host = SpawnHost(state, spec_file);
    ASSERT_GT(host, 0);
    if (kills == 0) {
      // Let the (empty) snapshot and the slot exist before the first kill.
      absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (true) {
        auto rows = PgEnvironment::cluster().Query(
            "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'dbmazz_shop'", "crash");
        if (rows.ok() && !rows->empty()) break;
        ASSERT_LT(absl::Now(), deadline) << "the host never created its slot";
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    absl::Time kill_at = absl::Now() + absl::Milliseconds(kill_after_ms(rng));
    while (absl::Now() < kill_at) workload.Run(round++);
    ASSERT_EQ(kill(host, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(host, &wstatus, 0), host);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the host exited early with " << WEXITSTATUS(wstatus);
  }
  workload.Run(round++);
  RunToConvergence(state, spec_file, nullptr, workload, absl::Seconds(120), round);
}

// Kills during the initial copy of 260,000 rows in ~130 chunks (mid-chunk and
// between chunks), with writes going on: each restart resumes the snapshot
// under a new PostgreSQL snapshot and streams from the original consistent
// point; the end result must still be equal.
TEST(EngineCrashTest, KillsMidSnapshotLoseNothing) {
  ShopWorkload workload;
  ASSERT_TRUE(workload.SetUp(&PgEnvironment::cluster(), "crash_snapshot").ok());
  workload.Sql(
      "INSERT INTO orders SELECT 10000000 + i, 'c' || i, i % 1000, 'old', "
      "CASE WHEN i % 500 = 0 THEN repeat(md5(i::text), 300) ELSE 'n' || i END "
      "FROM generate_series(1, 200000) i");
  workload.Sql(
      "INSERT INTO items SELECT 10000000 + i, l, 's' || l, l FROM generate_series(1, 20000) i, "
      "generate_series(1, 3) l");
  workload.Sql("ANALYZE orders; ANALYZE items");
  char dir[] = "/tmp/dbmazz-crash-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string state = absl::StrCat(dir, "/state.db");
  std::string spec_file = absl::StrCat(dir, "/spec.json");
  pipeline::PipelineSpec spec = workload.Spec();
  spec.source.slot_name = "dbmazz_crash_snapshot";
  spec.source.publication_name = "dbmazz_crash_snapshot";
  std::ofstream(spec_file) << pipeline::SpecToJson(spec, /*redact=*/false);

  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> kill_after_ms(150, 700);
  int round = 0;
  for (int kills = 0; kills < 6; ++kills) {
    pid_t host = SpawnHost(state, spec_file, "2000");
    ASSERT_GT(host, 0);
    absl::Time kill_at = absl::Now() + absl::Milliseconds(kill_after_ms(rng));
    while (absl::Now() < kill_at) workload.Run(round++);
    ASSERT_EQ(kill(host, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(host, &wstatus, 0), host);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the host exited early with " << WEXITSTATUS(wstatus);
  }
  workload.Run(round++);
  RunToConvergence(state, spec_file, "2000", workload, absl::Seconds(180), round);
  if (::testing::Test::HasFatalFailure()) return;
  // The kills really interrupted the copy: it took more than one attempt.
  // (How many depends on how fast this machine copies 260,000 rows: the
  // kills come 150-700 ms after each start.)
  auto store = state::StateStore::Open(state);
  ASSERT_TRUE(store.ok()) << store.status();
  auto snapshot = (*store)->GetSnapshot("shop");
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value());
  EXPECT_EQ((*snapshot)->phase, state::SnapshotPhase::kDone);
  EXPECT_GE((*snapshot)->epoch, 2);
}

}  // namespace
}  // namespace dbmazz
