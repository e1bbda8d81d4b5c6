// "Durable on return": a committed checkpoint survives the process being
// killed at any moment, and every write is fsynced before the call returns.
//
// The SIGKILL test covers process crashes (the page cache survives them).
// Power loss is covered by what the second group checks: each commit calls
// fsync through the VFS (synchronous=FULL) before returning.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/state/state_store.h"
#include "tests/unit/state/state_test_util.h"

namespace dbmazz::state {
namespace {

using ::dbmazz::state::testing::MakeRecord;
using ::dbmazz::state::testing::TempDir;

// ---- Crash: SIGKILL a writer at a random moment ----

constexpr Lsn kStep = 16;

// What the child reports after each successful save: both checkpoints as
// committed. 16 bytes, so each write to the pipe is atomic.
struct Committed {
  uint64_t a = 0;
  uint64_t b = 0;
};

// The child: saves checkpoints forever (single and batched), reporting each
// commit once the call has returned OK. Never returns.
[[noreturn]] void RunWriter(const std::string& path, int report_fd) {
  absl::StatusOr<std::unique_ptr<StateStore>> store = StateStore::Open(path);
  if (!store.ok()) _exit(3);
  absl::StatusOr<Lsn> a = (*store)->LoadCheckpoint("a");
  absl::StatusOr<Lsn> b = (*store)->LoadCheckpoint("b");
  if (!a.ok() || !b.ok()) _exit(4);
  Committed committed{*a, *b};
  for (int i = 0; i < 1000000; ++i) {
    absl::Status status;
    if (i % 3 == 2) {
      std::vector<CheckpointUpdate> batch = {{"a", committed.a + kStep},
                                             {"b", committed.b + kStep}};
      status = (*store)->SaveCheckpoints(batch);
      if (status.ok()) committed = {committed.a + kStep, committed.b + kStep};
    } else {
      status = (*store)->SaveCheckpoint("a", committed.a + kStep);
      if (status.ok()) committed.a += kStep;
    }
    if (!status.ok()) _exit(5);
    if (write(report_fd, &committed, sizeof(committed)) != sizeof(committed)) _exit(6);
  }
  _exit(7);
}

TEST(StateCrashTest, CommittedCheckpointsSurviveSigkill) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.File("state.db");
  {
    absl::StatusOr<std::unique_ptr<StateStore>> store = StateStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreatePipeline(MakeRecord("a"), 1000).ok());
    ASSERT_TRUE((*store)->CreatePipeline(MakeRecord("b"), 5000).ok());
  }  // closed: the child takes the file lock
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);
  Committed last{1000, 5000};
  int total_reports = 0;
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunWriter(path, fds[1]);
    }
    close(fds[1]);
    // Kill after a random number of commits (0: possibly while it opens the
    // file) plus a random delay, i.e. anywhere inside a save.
    const int kill_after = std::uniform_int_distribution<int>(0, 150)(rng);
    int reports = 0;
    bool killed = false;
    while (true) {
      if (!killed && reports >= kill_after) {
        usleep(std::uniform_int_distribution<int>(0, 4000)(rng));
        ASSERT_EQ(kill(pid, SIGKILL), 0);
        killed = true;
      }
      Committed report;
      ssize_t n = read(fds[0], &report, sizeof(report));
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) break;  // the child is gone: everything it reported was read
      ASSERT_EQ(n, static_cast<ssize_t>(sizeof(report)));
      EXPECT_GE(report.a, last.a);
      last = report;
      ++reports;
    }
    close(fds[0]);
    int wait_status = 0;
    ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
        << "the writer exited by itself with status " << wait_status;
    total_reports += reports;

    absl::StatusOr<std::unique_ptr<StateStore>> store = StateStore::Open(path);  // quick_check
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<Lsn> a = (*store)->LoadCheckpoint("a");
    absl::StatusOr<Lsn> b = (*store)->LoadCheckpoint("b");
    ASSERT_TRUE(a.ok() && b.ok());
    // Everything reported as committed is there; at most the one save that
    // was in flight when the kill landed went further.
    EXPECT_GE(*a, last.a);
    EXPECT_GE(*b, last.b);
    EXPECT_LE(*a, last.a + kStep);
    EXPECT_LE(*b, last.b + kStep);
    last = {*a, *b};  // the next round continues from what is stored
  }
  EXPECT_GT(total_reports, 0);
}

// ---- fsync: a VFS that counts xSync calls ----

constexpr char kCountingVfs[] = "dbmazz_sync_counting";
std::atomic<int> g_syncs{0};
sqlite3_vfs* g_base_vfs = nullptr;
sqlite3_vfs g_counting_vfs;

// The default VFS uses different method tables for the database file and for
// its WAL/journal; each gets a counting copy.
struct PatchedMethods {
  const sqlite3_io_methods* base = nullptr;
  sqlite3_io_methods counting;
};
constexpr int kMaxMethodTables = 8;
absl::Mutex g_patched_mu;
PatchedMethods g_patched[kMaxMethodTables] ABSL_GUARDED_BY(g_patched_mu);

int CountingSync(sqlite3_file* file, int flags) {
  g_syncs.fetch_add(1);
  const sqlite3_io_methods* base = nullptr;
  {
    absl::MutexLock lock(&g_patched_mu);
    for (PatchedMethods& patched : g_patched) {
      if (file->pMethods == &patched.counting) base = patched.base;
    }
  }
  return base != nullptr ? base->xSync(file, flags) : SQLITE_INTERNAL;
}

// Opens with the default VFS, then swaps in a copy of the file's method table
// whose xSync counts; the file object itself stays the default VFS's.
int CountingOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags,
                 int* out_flags) {
  int rc = g_base_vfs->xOpen(g_base_vfs, name, file, flags, out_flags);
  if (rc != SQLITE_OK || file->pMethods == nullptr) return rc;
  absl::MutexLock lock(&g_patched_mu);
  for (PatchedMethods& patched : g_patched) {
    if (patched.base == nullptr) {
      patched.base = file->pMethods;
      patched.counting = *file->pMethods;
      patched.counting.xSync = CountingSync;
    }
    if (patched.base == file->pMethods) {
      file->pMethods = &patched.counting;
      return rc;
    }
  }
  return rc;  // table full: not counted (never happens with the unix VFS)
}

bool RegisterCountingVfs() {
  static const bool registered = [] {
    g_base_vfs = sqlite3_vfs_find(nullptr);
    if (g_base_vfs == nullptr) return false;
    g_counting_vfs = *g_base_vfs;
    g_counting_vfs.zName = kCountingVfs;
    g_counting_vfs.pNext = nullptr;
    g_counting_vfs.xOpen = CountingOpen;
    return sqlite3_vfs_register(&g_counting_vfs, /*makeDflt=*/0) == SQLITE_OK;
  }();
  return registered;
}

class StateSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    ASSERT_TRUE(RegisterCountingVfs());
    StateStoreOptions options;
    options.vfs = kCountingVfs;
    absl::StatusOr<std::unique_ptr<StateStore>> store =
        StateStore::Open(dir_.File("state.db"), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(store_->CreatePipeline(MakeRecord(absl::StrCat("p", i)), 100).ok());
    }
  }

  // fsyncs done by `action`, which must succeed.
  int SyncsDuring(const std::function<absl::Status()>& action) {
    const int before = g_syncs.load();
    absl::Status status = action();
    EXPECT_TRUE(status.ok()) << status;
    return g_syncs.load() - before;
  }

  TempDir dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(StateSyncTest, EveryWriteIsFsyncedBeforeItReturns) {
  std::vector<CheckpointUpdate> one = {{"p1", 300}};
  EXPECT_GE(SyncsDuring([&] { return store_->SaveCheckpoint("p0", 200); }), 1);
  EXPECT_GE(SyncsDuring([&] { return store_->SaveCheckpoints(one); }), 1);
  EXPECT_GE(SyncsDuring([&] { return store_->AppendEvent("p0", "k", "m"); }), 1);
  EXPECT_GE(SyncsDuring([&] { return store_->SetDesiredState("p0", DesiredState::kPaused); }), 1);
  EXPECT_GE(SyncsDuring([&] { return store_->CreatePipeline(MakeRecord("new")); }), 1);
  EXPECT_GE(SyncsDuring([&] { return store_->DeletePipeline("new"); }), 1);
  // Reads do not sync (so the counter is not simply moving on its own).
  EXPECT_EQ(SyncsDuring([&] { return store_->LoadCheckpoint("p0").status(); }), 0);
  EXPECT_EQ(SyncsDuring([&] { return store_->ListPipelines().status(); }), 0);
}

TEST_F(StateSyncTest, BatchOfPipelinesIsOneCommit) {
  std::vector<CheckpointUpdate> batch;
  for (int i = 0; i < 8; ++i) batch.push_back({absl::StrCat("p", i), 1000});
  const int single = SyncsDuring([&] { return store_->SaveCheckpoint("p0", 500); });
  const int batched = SyncsDuring([&] { return store_->SaveCheckpoints(batch); });
  EXPECT_GE(batched, 1);
  EXPECT_LE(batched, single);  // one transaction, not one per pipeline
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(store_->LoadCheckpoint(absl::StrCat("p", i)).value_or(0), 1000u);
  }
}

}  // namespace
}  // namespace dbmazz::state
