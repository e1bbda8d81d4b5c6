#include "engine/state/state_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/state/sqlite_connection.h"
#include "engine/state/sqlite_error.h"
#include "engine/state/sqlite_statement.h"
#include "engine/state/sqlite_transaction.h"
#include "engine/state/state_database.h"
#include "engine/state/state_file_lock.h"
#include "engine/state/store_errors.h"

namespace dbmazz::state {
namespace {

constexpr std::string_view kSelectPipelineColumns =
    "SELECT pipeline_id, spec, desired_state, slot_name, publication_name, slot_created_by_us, "
    "publication_created_by_us, create_time, update_time, delete_intent FROM pipelines ";

absl::StatusOr<PipelineRecord> ReadPipeline(const Statement& stmt) {
  PipelineRecord record;
  record.pipeline_id = stmt.ColumnText(0);
  record.spec = stmt.ColumnText(1);
  absl::StatusOr<DesiredState> state = ParseDesiredState(stmt.ColumnText(2));
  if (!state.ok()) {
    return absl::DataLossError(absl::StrCat("pipeline '", record.pipeline_id,
                                            "' in the state database: ", state.status().message()));
  }
  record.desired_state = *state;
  record.slot_name = stmt.ColumnText(3);
  record.publication_name = stmt.ColumnText(4);
  record.slot_created_by_us = stmt.ColumnBool(5);
  record.publication_created_by_us = stmt.ColumnBool(6);
  record.create_time = absl::FromUnixMicros(stmt.ColumnInt64(7));
  record.update_time = absl::FromUnixMicros(stmt.ColumnInt64(8));
  switch (stmt.ColumnInt64(9)) {
    case 1:
      record.delete_intent = DeleteIntent::kDrop;
      break;
    case 2:
      record.delete_intent = DeleteIntent::kKeepSlot;
      break;
    default:  // 0 (the CHECK constraint allows nothing else)
      record.delete_intent = DeleteIntent::kNone;
  }
  return record;
}

}  // namespace

StateStore::StateStore(std::string path, StateStoreOptions options,
                       std::unique_ptr<StateFileLock> lock,
                       std::unique_ptr<SqliteConnection> connection)
    : path_(std::move(path)),
      options_(std::move(options)),
      lock_(std::move(lock)),
      connection_(std::move(connection)) {}

StateStore::~StateStore() {
  absl::MutexLock lock(&mu_);
  connection_.reset();  // close SQLite before lock_ releases the file
}

absl::StatusOr<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path,
                                                             StateStoreOptions options) {
  return OpenInternal(path, std::move(options), /*in_memory=*/false);
}

absl::StatusOr<std::unique_ptr<StateStore>> StateStore::OpenInMemory(StateStoreOptions options) {
  return OpenInternal(":memory:", std::move(options), /*in_memory=*/true);
}

absl::StatusOr<std::unique_ptr<StateStore>> StateStore::OpenInternal(const std::string& path,
                                                                     StateStoreOptions options,
                                                                     bool in_memory) {
  if (options.max_events_per_pipeline < 1) {
    return absl::InvalidArgumentError("max_events_per_pipeline must be at least 1");
  }
  if (!in_memory && path.empty()) return absl::InvalidArgumentError("state path is empty");
  StateDatabaseOptions database_options;
  database_options.in_memory = in_memory;
  database_options.vfs = options.vfs;
  database_options.busy_timeout = options.busy_timeout;
  database_options.verify = options.verify_on_open;
  absl::StatusOr<StateDatabase> database = OpenStateDatabase(path, database_options);
  if (!database.ok()) return database.status();
  return std::unique_ptr<StateStore>(new StateStore(
      path, std::move(options), std::move(database->lock), std::move(database->connection)));
}

int64_t StateStore::NowMicros() const {
  return absl::ToUnixMicros(options_.clock ? options_.clock() : absl::Now());
}

absl::Status StateStore::CheckPipelineExists(std::string_view pipeline_id) {
  absl::StatusOr<Statement> stmt =
      connection_->Prepare("SELECT 1 FROM pipelines WHERE pipeline_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? absl::OkStatus() : UnknownPipeline(pipeline_id);
}

absl::Status StateStore::UpdatePipelineRow(std::string_view sql, std::string_view pipeline_id,
                                           const std::function<void(Statement&)>& bind) {
  absl::StatusOr<Statement> stmt = connection_->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  bind(*stmt);
  absl::Status status = stmt->Run();
  if (!status.ok()) return status;
  return connection_->Changes() > 0 ? absl::OkStatus() : UnknownPipeline(pipeline_id);
}

// ---- Pipelines ----

absl::Status StateStore::CreatePipeline(const PipelineRecord& record, Lsn initial_checkpoint) {
  for (absl::Status status : {RequireNonEmpty(record.pipeline_id, "pipeline id"),
                              RequireNonEmpty(record.slot_name, "slot name"),
                              RequireNonEmpty(record.publication_name, "publication name"),
                              CheckLsn(initial_checkpoint)}) {
    if (!status.ok()) return status;
  }
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Transaction> transaction = Transaction::Begin(*connection_);
  if (!transaction.ok()) return transaction.status();
  {
    absl::StatusOr<Statement> insert = connection_->Prepare(
        "INSERT INTO pipelines (pipeline_id, spec, desired_state, slot_name, publication_name, "
        "slot_created_by_us, publication_created_by_us, create_time, update_time) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, record.pipeline_id);
    insert->BindText(2, record.spec);
    insert->BindText(3, DesiredStateName(record.desired_state));
    insert->BindText(4, record.slot_name);
    insert->BindText(5, record.publication_name);
    insert->BindBool(6, record.slot_created_by_us);
    insert->BindBool(7, record.publication_created_by_us);
    insert->BindInt64(8, now);
    absl::Status status = insert->Run();
    if (!status.ok()) {
      if (!IsConstraintError(insert->last_error_code())) return status;
      if (CheckPipelineExists(record.pipeline_id).ok()) {
        return absl::AlreadyExistsError(
            absl::StrCat("pipeline '", record.pipeline_id, "' already exists"));
      }
      absl::StatusOr<Statement> owner =
          connection_->Prepare("SELECT pipeline_id FROM pipelines WHERE slot_name = ?1");
      if (!owner.ok()) return owner.status();
      owner->BindText(1, record.slot_name);
      absl::StatusOr<bool> row = owner->Step();
      if (!row.ok()) return row.status();
      if (!*row) return status;
      return absl::AlreadyExistsError(absl::StrCat("replication slot '", record.slot_name,
                                                   "' is already used by pipeline '",
                                                   owner->ColumnText(0), "'"));
    }
  }
  absl::Status status = SaveCheckpointLocked(record.pipeline_id, initial_checkpoint, now);
  if (!status.ok()) return status;
  return transaction->Commit();
}

absl::StatusOr<PipelineRecord> StateStore::GetPipeline(std::string_view pipeline_id) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Statement> stmt =
      connection_->Prepare(absl::StrCat(AsAbsl(kSelectPipelineColumns), "WHERE pipeline_id = ?1"));
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return UnknownPipeline(pipeline_id);
  return ReadPipeline(*stmt);
}

absl::StatusOr<std::vector<PipelineRecord>> StateStore::ListPipelines() {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Statement> stmt =
      connection_->Prepare(absl::StrCat(AsAbsl(kSelectPipelineColumns), "ORDER BY pipeline_id"));
  if (!stmt.ok()) return stmt.status();
  std::vector<PipelineRecord> records;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return records;
    absl::StatusOr<PipelineRecord> record = ReadPipeline(*stmt);
    if (!record.ok()) return record.status();
    records.push_back(*std::move(record));
  }
}

absl::Status StateStore::SetDesiredState(std::string_view pipeline_id, DesiredState state) {
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  return UpdatePipelineRow(
      "UPDATE pipelines SET desired_state = ?2, update_time = ?3 WHERE pipeline_id = ?1",
      pipeline_id, [&](Statement& stmt) {
        stmt.BindText(2, DesiredStateName(state));
        stmt.BindInt64(3, now);
      });
}

absl::Status StateStore::SetDeleteIntent(std::string_view pipeline_id, DeleteIntent intent) {
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  return UpdatePipelineRow(
      "UPDATE pipelines SET delete_intent = ?2, update_time = ?3 WHERE pipeline_id = ?1",
      pipeline_id, [&](Statement& stmt) {
        stmt.BindInt64(2, intent == DeleteIntent::kDrop       ? 1
                          : intent == DeleteIntent::kKeepSlot ? 2
                                                              : 0);
        stmt.BindInt64(3, now);
      });
}

absl::Status StateStore::UpdateSpec(std::string_view pipeline_id, std::string_view spec) {
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  return UpdatePipelineRow(
      "UPDATE pipelines SET spec = ?2, update_time = ?3 WHERE pipeline_id = ?1", pipeline_id,
      [&](Statement& stmt) {
        stmt.BindText(2, spec);
        stmt.BindInt64(3, now);
      });
}

absl::Status StateStore::SetCreatedByUs(std::string_view pipeline_id, bool slot_created_by_us,
                                        bool publication_created_by_us) {
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  return UpdatePipelineRow(
      "UPDATE pipelines SET slot_created_by_us = ?2, publication_created_by_us = ?3, "
      "update_time = ?4 WHERE pipeline_id = ?1",
      pipeline_id, [&](Statement& stmt) {
        stmt.BindBool(2, slot_created_by_us);
        stmt.BindBool(3, publication_created_by_us);
        stmt.BindInt64(4, now);
      });
}

absl::Status StateStore::DeletePipeline(std::string_view pipeline_id) {
  absl::MutexLock lock(&mu_);
  // ON DELETE CASCADE removes the checkpoint, events and snapshot progress.
  return UpdatePipelineRow("DELETE FROM pipelines WHERE pipeline_id = ?1", pipeline_id,
                           [](Statement&) {});
}

// ---- Checkpoints ----

absl::Status StateStore::SaveCheckpointLocked(std::string_view pipeline_id, Lsn lsn, int64_t now) {
  // Inserts the row if missing; otherwise only moves it forward.
  absl::StatusOr<Statement> stmt = connection_->Prepare(
      "INSERT INTO checkpoints (pipeline_id, lsn, update_time) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (pipeline_id) DO UPDATE SET lsn = excluded.lsn, "
      "update_time = excluded.update_time WHERE excluded.lsn > checkpoints.lsn");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  stmt->BindInt64(2, static_cast<int64_t>(lsn));
  stmt->BindInt64(3, now);
  absl::Status status = stmt->Run();
  if (!status.ok()) return WriteError(*stmt, status, UnknownPipeline(pipeline_id));
  return absl::OkStatus();
}

absl::Status StateStore::SaveCheckpoint(std::string_view pipeline_id, Lsn lsn) {
  absl::Status status = CheckLsn(lsn);
  if (!status.ok()) return status;
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  // One statement in autocommit mode: committed (and, with synchronous=FULL,
  // fsynced) when it returns.
  return SaveCheckpointLocked(pipeline_id, lsn, now);
}

absl::Status StateStore::SaveCheckpoints(std::span<const CheckpointUpdate> updates) {
  for (const CheckpointUpdate& update : updates) {
    absl::Status status = CheckLsn(update.lsn);
    if (!status.ok()) return status;
  }
  if (updates.empty()) return absl::OkStatus();
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Transaction> transaction = Transaction::Begin(*connection_);
  if (!transaction.ok()) return transaction.status();
  for (const CheckpointUpdate& update : updates) {
    absl::Status status = SaveCheckpointLocked(update.pipeline_id, update.lsn, now);
    if (!status.ok()) return status;
  }
  return transaction->Commit();
}

absl::StatusOr<Lsn> StateStore::LoadCheckpoint(std::string_view pipeline_id) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Statement> stmt =
      connection_->Prepare("SELECT lsn FROM checkpoints WHERE pipeline_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return UnknownPipeline(pipeline_id);
  return static_cast<Lsn>(stmt->ColumnInt64(0));
}

// ---- Events ----

absl::Status StateStore::AppendEvent(std::string_view pipeline_id, std::string_view kind,
                                     std::string_view message) {
  absl::Status status = RequireNonEmpty(kind, "event kind");
  if (!status.ok()) return status;
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Transaction> transaction = Transaction::Begin(*connection_);
  if (!transaction.ok()) return transaction.status();
  {
    absl::StatusOr<Statement> insert = connection_->Prepare(
        "INSERT INTO events (pipeline_id, time, kind, message) VALUES (?1, ?2, ?3, ?4)");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, pipeline_id);
    insert->BindInt64(2, now);
    insert->BindText(3, kind);
    insert->BindText(4, message);
    status = insert->Run();
    if (!status.ok()) return WriteError(*insert, status, UnknownPipeline(pipeline_id));
  }
  {
    // Everything at or below the (max+1)-th newest id goes; uses events_by_pipeline.
    absl::StatusOr<Statement> prune = connection_->Prepare(
        "DELETE FROM events WHERE pipeline_id = ?1 AND id <= (SELECT id FROM events "
        "WHERE pipeline_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    if (!prune.ok()) return prune.status();
    prune->BindText(1, pipeline_id);
    prune->BindInt64(2, options_.max_events_per_pipeline);
    status = prune->Run();
    if (!status.ok()) return status;
  }
  return transaction->Commit();
}

absl::StatusOr<std::vector<EventRecord>> StateStore::ListEvents(std::string_view pipeline_id,
                                                                int limit, int64_t before_id) {
  if (limit <= 0) return absl::InvalidArgumentError("event limit must be positive");
  if (before_id < 0) return absl::InvalidArgumentError("before_id must not be negative");
  absl::MutexLock lock(&mu_);
  absl::Status status = CheckPipelineExists(pipeline_id);
  if (!status.ok()) return status;
  absl::StatusOr<Statement> stmt = connection_->Prepare(
      "SELECT id, time, kind, message FROM events WHERE pipeline_id = ?1 AND id < ?2 "
      "ORDER BY id DESC LIMIT ?3");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  stmt->BindInt64(2, before_id == 0 ? std::numeric_limits<int64_t>::max() : before_id);
  stmt->BindInt64(3, limit);
  std::vector<EventRecord> events;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return events;
    EventRecord& event = events.emplace_back();
    event.id = stmt->ColumnInt64(0);
    event.pipeline_id = std::string(pipeline_id);
    event.time = absl::FromUnixMicros(stmt->ColumnInt64(1));
    event.kind = stmt->ColumnText(2);
    event.message = stmt->ColumnText(3);
  }
}

// ---- Maintenance ----

absl::Status StateStore::BackupTo(const std::string& path) {
  absl::Status status = RequireNonEmpty(path, "backup path");
  if (!status.ok()) return status;
  // Create it 0600 first: VACUUM INTO accepts an empty file and keeps its mode.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat("backup file '", path, "' already exists"));
    }
    return absl::InternalError(
        absl::StrCat("creating backup file '", path, "': ", std::strerror(errno)));
  }
  close(fd);
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<Statement> stmt = connection_->Prepare("VACUUM INTO ?1");
    if (stmt.ok()) {
      stmt->BindText(1, path);
      status = stmt->Run();
    } else {
      status = stmt.status();
    }
  }
  if (status.ok()) {
    // Make the copy durable too before reporting success.
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
      status = absl::InternalError(
          absl::StrCat("syncing backup file '", path, "': ", std::strerror(errno)));
    }
    if (fd >= 0) close(fd);
  }
  if (!status.ok()) {
    unlink(path.c_str());
    return Annotate(status, absl::StrCat("backing up the state database to '", path, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StateStore::PragmaForTesting(std::string_view name) {
  if (name.empty() ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("not a pragma name: '", AsAbsl(name), "'"));
  }
  absl::MutexLock lock(&mu_);
  return connection_->QueryText(absl::StrCat("PRAGMA ", AsAbsl(name)));
}

}  // namespace dbmazz::state
