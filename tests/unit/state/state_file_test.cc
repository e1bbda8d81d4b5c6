// The state database file: permissions, locking, corruption, schema
// versions and migrations.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/state/schema.h"
#include "engine/state/sqlite_connection.h"
#include "engine/state/state_store.h"
#include "tests/unit/state/state_test_util.h"

namespace dbmazz::state {
namespace {

using ::dbmazz::state::testing::ExecRaw;
using ::dbmazz::state::testing::FileMode;
using ::dbmazz::state::testing::MakeRecord;
using ::dbmazz::state::testing::QueryInt64;
using ::dbmazz::state::testing::TempDir;
using ::testing::HasSubstr;

// Version 1 of the schema exactly as the first release wrote it. Frozen here
// on purpose: a file written by that release must keep upgrading even if the
// migration code is reorganised.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE pipelines (
  pipeline_id TEXT NOT NULL PRIMARY KEY,
  spec TEXT NOT NULL,
  desired_state TEXT NOT NULL,
  slot_name TEXT NOT NULL UNIQUE,
  publication_name TEXT NOT NULL,
  slot_created_by_us INTEGER NOT NULL DEFAULT 0,
  publication_created_by_us INTEGER NOT NULL DEFAULT 0,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL
) STRICT;
CREATE TABLE checkpoints (
  pipeline_id TEXT NOT NULL PRIMARY KEY
    REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
  lsn INTEGER NOT NULL CHECK (lsn >= 0),
  update_time INTEGER NOT NULL
) STRICT;
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_pipeline ON events(pipeline_id, id);
PRAGMA user_version = 1;
PRAGMA application_id = 1684172154;
)sql";

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }

  absl::StatusOr<std::unique_ptr<StateStore>> Open() { return StateStore::Open(path_); }

  TempDir dir_;
  std::string path_ = dir_.File("state.db");
};

TEST_F(StateFileTest, NewFilesArePrivateWhateverTheUmask) {
  const mode_t old_umask = umask(0);
  absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->CreatePipeline(MakeRecord("p")).ok());
  umask(old_umask);
  EXPECT_EQ(FileMode(path_), 0600);
  // SQLite gives its WAL and shared-memory files the database file's mode.
  EXPECT_EQ(FileMode(path_ + "-wal"), 0600);
  EXPECT_EQ(FileMode(path_ + "-shm"), 0600);
}

TEST_F(StateFileTest, ExistingFilesAreTightenedTo0600) {
  for (const std::string& file : {path_, path_ + "-wal"}) {
    std::ofstream(file).close();  // empty: a new database and no WAL content
    ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  }
  absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(FileMode(path_), 0600);
  EXPECT_EQ(FileMode(path_ + "-wal"), 0600);
}

TEST_F(StateFileTest, SymbolicLinkIsRefused) {
  const std::string target = dir_.File("real.db");
  std::ofstream(target).close();
  ASSERT_EQ(symlink(target.c_str(), path_.c_str()), 0);
  absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("symbolic link"));
}

TEST_F(StateFileTest, OneStoreAtATimePerFile) {
  absl::StatusOr<std::unique_ptr<StateStore>> first = Open();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE((*first)->CreatePipeline(MakeRecord("p"), 7).ok());
  absl::StatusOr<std::unique_ptr<StateStore>> second = Open();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
  // Other tools (sqlite3 .backup, a read-only shell) can still read it, and
  // see the committed rows that are still only in the WAL.
  EXPECT_EQ(QueryInt64(path_, "SELECT lsn FROM checkpoints WHERE pipeline_id = 'p'"), 7);
  first->reset();
  second = Open();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->LoadCheckpoint("p").value_or(0), 7u);
}

TEST_F(StateFileTest, GarbageFileIsDataLoss) {
  {
    std::ofstream garbage(path_, std::ios::binary);
    for (int i = 0; i < 512; ++i) garbage << "this is not a database, just text ";
  }
  absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
  ASSERT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("not a database"));
  EXPECT_THAT(store.status().message(), HasSubstr("backup"));
}

// Overwrites every page after the first (the schema page) with a pattern.
void CorruptPagesAfterFirst(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  ASSERT_GT(st.st_size, 4096);
  std::string junk(st.st_size - 4096, '\xA5');
  ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), 4096), static_cast<ssize_t>(junk.size()));
  close(fd);
}

TEST_F(StateFileTest, CorruptPagesAreDataLossAtOpen) {
  {
    absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreatePipeline(MakeRecord("p"), 1).ok());
  }  // closing checkpoints the WAL into the file and removes it
  ASSERT_NE(access((path_ + "-wal").c_str(), F_OK), 0);
  CorruptPagesAfterFirst(path_);
  absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
  ASSERT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
}

TEST_F(StateFileTest, CorruptPagesAreDataLossOnUseWithoutVerification) {
  {
    absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreatePipeline(MakeRecord("p"), 1).ok());
  }
  CorruptPagesAfterFirst(path_);
  StateStoreOptions options;
  options.verify_on_open = false;
  absl::StatusOr<std::unique_ptr<StateStore>> store = StateStore::Open(path_, options);
  ASSERT_TRUE(store.ok()) << store.status();  // the schema page is intact
  EXPECT_EQ((*store)->ListPipelines().status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(StateFileTest, NewFileGetsTheCurrentSchema) {
  absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->PragmaForTesting("user_version").value_or(""),
            absl::StrCat(CurrentSchemaVersion()));
  EXPECT_EQ((*store)->PragmaForTesting("application_id").value_or(""),
            absl::StrCat(kApplicationId));
  EXPECT_GE(CurrentSchemaVersion(), 2);
}

TEST_F(StateFileTest, VersionOneFileIsUpgradedKeepingItsData) {
  ASSERT_EQ(ExecRaw(path_, kSchemaV1), "");
  ASSERT_EQ(ExecRaw(path_,
                    "INSERT INTO pipelines VALUES ('old', '{}', 'paused', 'slot_old', 'pub_old', "
                    "1, 0, 1000000, 2000000);"
                    "INSERT INTO checkpoints VALUES ('old', 123456, 2000000);"
                    "INSERT INTO events (pipeline_id, time, kind, message) "
                    "VALUES ('old', 3000000, 'paused', 'before the upgrade');"),
            "");
  absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  StateStore& s = **store;
  EXPECT_EQ(s.PragmaForTesting("user_version").value_or(""), absl::StrCat(CurrentSchemaVersion()));
  absl::StatusOr<PipelineRecord> old = s.GetPipeline("old");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->desired_state, DesiredState::kPaused);
  EXPECT_TRUE(old->slot_created_by_us);
  EXPECT_EQ(old->create_time, absl::FromUnixSeconds(1));
  EXPECT_EQ(s.LoadCheckpoint("old").value_or(0), 123456u);
  ASSERT_EQ(s.ListEvents("old", 10)->size(), 1u);
  EXPECT_EQ(s.ListEvents("old", 10)->front().message, "before the upgrade");
  // The tables added by later versions work.
  ASSERT_TRUE(s.UpsertSnapshotTable({.pipeline_id = "old", .table_name = "t"}).ok());
  EXPECT_EQ(s.ListSnapshotTables("old")->size(), 1u);
}

TEST_F(StateFileTest, NewerSchemaVersionIsRefusedAndLeftAlone) {
  const int future = CurrentSchemaVersion() + 1;
  ASSERT_EQ(ExecRaw(path_, absl::StrCat("CREATE TABLE from_the_future (x);"
                                        "PRAGMA application_id = ",
                                        kApplicationId, "; PRAGMA user_version = ", future, ";")),
            "");
  absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(absl::StrCat("schema version ", future)));
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
  EXPECT_EQ(QueryInt64(path_, "PRAGMA user_version"), future);
}

TEST_F(StateFileTest, OtherApplicationsDatabasesAreRefused) {
  ASSERT_EQ(ExecRaw(path_, "CREATE TABLE customers (id INTEGER PRIMARY KEY);"), "");
  absl::StatusOr<std::unique_ptr<StateStore>> store = Open();
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("not a dbmazz state database"));
  EXPECT_EQ(QueryInt64(path_, "SELECT count(*) FROM sqlite_schema"), 1);  // untouched

  const std::string other = dir_.File("other.db");
  ASSERT_EQ(ExecRaw(other, "PRAGMA application_id = 42;"), "");
  store = StateStore::Open(other);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("application_id 42"));
}

TEST(SchemaTest, MigratesOneVersionAtATime) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = SqliteConnection::Open(
      ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY, "");
  ASSERT_TRUE(connection.ok()) << connection.status();
  SqliteConnection& c = **connection;
  ASSERT_TRUE(MigrateSchema(c, 1).ok());
  EXPECT_EQ(c.QueryInt64("PRAGMA user_version").value_or(-1), 1);
  EXPECT_EQ(c.QueryInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'snapshot_tables'")
                .value_or(-1),
            0);
  ASSERT_TRUE(MigrateSchema(c, CurrentSchemaVersion()).ok());
  EXPECT_EQ(c.QueryInt64("PRAGMA user_version").value_or(-1), CurrentSchemaVersion());
  EXPECT_EQ(c.QueryInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'snapshot_chunks'")
                .value_or(-1),
            1);
  // Idempotent, and no unknown target.
  EXPECT_TRUE(MigrateSchema(c, CurrentSchemaVersion()).ok());
  EXPECT_EQ(MigrateSchema(c, CurrentSchemaVersion() + 1).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SchemaTest, FailedStepIsRolledBack) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = SqliteConnection::Open(
      ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY, "");
  ASSERT_TRUE(connection.ok()) << connection.status();
  SqliteConnection& c = **connection;
  ASSERT_TRUE(MigrateSchema(c, 1).ok());
  // A stray table with the name step 2 creates makes step 2 fail.
  ASSERT_TRUE(c.Exec("CREATE TABLE snapshot_chunks (x)").ok());
  absl::Status status = MigrateSchema(c, 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("schema version 2"));
  EXPECT_EQ(c.QueryInt64("PRAGMA user_version").value_or(-1), 1);
  EXPECT_EQ(c.QueryInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'snapshot_tables'")
                .value_or(-1),
            0);  // created earlier in the step, rolled back
  EXPECT_FALSE(c.InTransaction());
}

}  // namespace
}  // namespace dbmazz::state
