#include "engine/state/schema.h"

#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/state/sqlite_transaction.h"

namespace dbmazz::state {
namespace {

// Version 1: pipelines, their checkpoints and their event log.
constexpr std::string_view kMigration1 = R"sql(
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
)sql";

// Version 2: initial-snapshot progress, per table and per key-range chunk.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE snapshot_tables (
  pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
  table_name TEXT NOT NULL,
  state TEXT NOT NULL,
  rows_copied INTEGER NOT NULL DEFAULT 0,
  update_time INTEGER NOT NULL,
  PRIMARY KEY (pipeline_id, table_name)
) STRICT;
CREATE TABLE snapshot_chunks (
  pipeline_id TEXT NOT NULL,
  table_name TEXT NOT NULL,
  chunk_id INTEGER NOT NULL,
  lower_bound TEXT,
  upper_bound TEXT,
  done INTEGER NOT NULL DEFAULT 0,
  rows_copied INTEGER NOT NULL DEFAULT 0,
  update_time INTEGER NOT NULL,
  PRIMARY KEY (pipeline_id, table_name, chunk_id),
  FOREIGN KEY (pipeline_id, table_name)
    REFERENCES snapshot_tables(pipeline_id, table_name) ON DELETE CASCADE
) STRICT;
)sql";

// Version 3: the snapshot of a pipeline as a whole (state and attempt
// number), and how each table is split into chunks.
constexpr std::string_view kMigration3 = R"sql(
CREATE TABLE snapshots (
  pipeline_id TEXT NOT NULL PRIMARY KEY
    REFERENCES pipelines(pipeline_id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  epoch INTEGER NOT NULL CHECK (epoch >= 0),
  start_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL
) STRICT;
ALTER TABLE snapshot_tables ADD COLUMN chunking TEXT NOT NULL DEFAULT '';
ALTER TABLE snapshot_tables ADD COLUMN rows_estimate INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 4: a requested delete is recorded, so that a restart finishes it
// instead of bringing the pipeline back (0 none, 1 drop what dbmazz created,
// 2 keep the slot and publication).
constexpr std::string_view kMigration4 = R"sql(
ALTER TABLE pipelines ADD COLUMN delete_intent INTEGER NOT NULL DEFAULT 0
  CHECK (delete_intent IN (0, 1, 2));
)sql";

constexpr std::array<std::string_view, 4> kMigrations = {kMigration1, kMigration2, kMigration3,
                                                         kMigration4};

}  // namespace

std::span<const std::string_view> Migrations() { return kMigrations; }

int CurrentSchemaVersion() { return static_cast<int>(kMigrations.size()); }

absl::Status MigrateSchema(SqliteConnection& connection, int target_version) {
  if (target_version < 0 || target_version > CurrentSchemaVersion()) {
    return absl::InvalidArgumentError(absl::StrCat("no schema version ", target_version,
                                                   " (newest is ", CurrentSchemaVersion(), ")"));
  }
  absl::StatusOr<int64_t> application_id = connection.QueryInt64("PRAGMA application_id");
  if (!application_id.ok()) return application_id.status();
  if (*application_id != 0 && *application_id != kApplicationId) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", connection.path(), "' is not a dbmazz state database (application_id ",
                     *application_id, ")"));
  }
  absl::StatusOr<int64_t> version = connection.QueryInt64("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > CurrentSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state database '", connection.path(), "' has schema version ", *version,
        ", newer than the newest this dbmazzd knows (", CurrentSchemaVersion(),
        "); it was written by a newer dbmazzd: run that version, or restore a backup taken "
        "before the upgrade"));
  }
  if (*version < 0) {
    return absl::FailedPreconditionError(absl::StrCat("state database '", connection.path(),
                                                      "' has invalid schema version ", *version));
  }
  if (*version == 0) {
    absl::StatusOr<int64_t> objects = connection.QueryInt64("SELECT count(*) FROM sqlite_schema");
    if (!objects.ok()) return objects.status();
    if (*objects != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("'", connection.path(),
                       "' already holds tables but no dbmazz schema version; it is not a dbmazz "
                       "state database"));
    }
  }
  for (int next = static_cast<int>(*version) + 1; next <= target_version; ++next) {
    absl::StatusOr<Transaction> transaction = Transaction::Begin(connection);
    if (!transaction.ok()) return transaction.status();
    std::string sql(kMigrations[next - 1]);
    absl::StrAppend(&sql, "PRAGMA user_version = ", next, ";");
    absl::StrAppend(&sql, "PRAGMA application_id = ", kApplicationId, ";");
    absl::Status status = connection.Exec(sql);
    if (status.ok()) status = transaction->Commit();
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("migrating state database '", connection.path(),
                                       "' to schema version ", next, ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::state
