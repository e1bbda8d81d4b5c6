// StateStore: the snapshot section (snapshots, snapshot_tables,
// snapshot_chunks). The rest of the class is in state_store.cc.
#include "absl/strings/str_cat.h"
#include "engine/state/sqlite_connection.h"
#include "engine/state/sqlite_statement.h"
#include "engine/state/sqlite_transaction.h"
#include "engine/state/state_store.h"
#include "engine/state/store_errors.h"

namespace dbmazz::state {
namespace {

absl::Status CheckTable(const SnapshotTableProgress& table) {
  absl::Status status = RequireNonEmpty(table.table_name, "snapshot table name");
  if (status.ok() && (table.rows_copied < 0 || table.rows_estimate < 0)) {
    status = absl::InvalidArgumentError("row counts must not be negative");
  }
  return status;
}

absl::Status CheckChunk(const SnapshotChunkProgress& chunk) {
  if (chunk.rows_copied < 0) return absl::InvalidArgumentError("rows_copied must not be negative");
  return absl::OkStatus();
}

// Removes the pipeline's rows of `table` (chunks go with their tables: ON
// DELETE CASCADE).
absl::Status DeleteSnapshotRows(SqliteConnection& connection, std::string_view table,
                                std::string_view pipeline_id) {
  absl::StatusOr<Statement> stmt =
      connection.Prepare(absl::StrCat("DELETE FROM ", AsAbsl(table), " WHERE pipeline_id = ?1"));
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  return stmt->Run();
}

}  // namespace

absl::Status StateStore::UpsertSnapshotTableLocked(const SnapshotTableProgress& table,
                                                   int64_t now) {
  // ON CONFLICT DO UPDATE, not INSERT OR REPLACE: a replace would delete the
  // row and cascade to the table's chunks.
  absl::StatusOr<Statement> stmt = connection_->Prepare(
      "INSERT INTO snapshot_tables (pipeline_id, table_name, state, rows_copied, chunking, "
      "rows_estimate, update_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (pipeline_id, table_name) DO UPDATE SET "
      "state = excluded.state, rows_copied = excluded.rows_copied, chunking = excluded.chunking, "
      "rows_estimate = excluded.rows_estimate, update_time = excluded.update_time");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, table.pipeline_id);
  stmt->BindText(2, table.table_name);
  stmt->BindText(3, SnapshotTableStateName(table.state));
  stmt->BindInt64(4, table.rows_copied);
  stmt->BindText(5, table.chunking);
  stmt->BindInt64(6, table.rows_estimate);
  stmt->BindInt64(7, now);
  absl::Status status = stmt->Run();
  if (!status.ok()) return WriteError(*stmt, status, UnknownPipeline(table.pipeline_id));
  return absl::OkStatus();
}

absl::Status StateStore::UpsertSnapshotChunkLocked(const SnapshotChunkProgress& chunk,
                                                   int64_t now) {
  absl::StatusOr<Statement> stmt = connection_->Prepare(
      "INSERT INTO snapshot_chunks (pipeline_id, table_name, chunk_id, lower_bound, "
      "upper_bound, done, rows_copied, update_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT (pipeline_id, table_name, chunk_id) DO UPDATE SET "
      "lower_bound = excluded.lower_bound, upper_bound = excluded.upper_bound, "
      "done = excluded.done, rows_copied = excluded.rows_copied, "
      "update_time = excluded.update_time");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, chunk.pipeline_id);
  stmt->BindText(2, chunk.table_name);
  stmt->BindInt64(3, chunk.chunk_id);
  stmt->BindOptionalText(4, chunk.lower_bound);
  stmt->BindOptionalText(5, chunk.upper_bound);
  stmt->BindBool(6, chunk.done);
  stmt->BindInt64(7, chunk.rows_copied);
  stmt->BindInt64(8, now);
  absl::Status status = stmt->Run();
  if (!status.ok()) {
    return WriteError(*stmt, status,
                      absl::NotFoundError(absl::StrCat(
                          "no snapshot progress for table '", chunk.table_name, "' of pipeline '",
                          chunk.pipeline_id, "' (upsert the table first)")));
  }
  return absl::OkStatus();
}

absl::Status StateStore::UpsertSnapshotTable(const SnapshotTableProgress& table) {
  if (absl::Status status = CheckTable(table); !status.ok()) return status;
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  return UpsertSnapshotTableLocked(table, now);
}

absl::Status StateStore::UpsertSnapshotChunks(std::span<const SnapshotChunkProgress> chunks) {
  for (const SnapshotChunkProgress& chunk : chunks) {
    if (absl::Status status = CheckChunk(chunk); !status.ok()) return status;
  }
  if (chunks.empty()) return absl::OkStatus();
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Transaction> transaction = Transaction::Begin(*connection_);
  if (!transaction.ok()) return transaction.status();
  for (const SnapshotChunkProgress& chunk : chunks) {
    if (absl::Status status = UpsertSnapshotChunkLocked(chunk, now); !status.ok()) return status;
  }
  return transaction->Commit();
}

absl::StatusOr<std::vector<SnapshotTableProgress>> StateStore::ListSnapshotTables(
    std::string_view pipeline_id) {
  absl::MutexLock lock(&mu_);
  absl::Status status = CheckPipelineExists(pipeline_id);
  if (!status.ok()) return status;
  absl::StatusOr<Statement> stmt = connection_->Prepare(
      "SELECT table_name, state, rows_copied, chunking, rows_estimate, update_time "
      "FROM snapshot_tables WHERE pipeline_id = ?1 ORDER BY table_name");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  std::vector<SnapshotTableProgress> tables;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return tables;
    SnapshotTableProgress& table = tables.emplace_back();
    table.pipeline_id = std::string(pipeline_id);
    table.table_name = stmt->ColumnText(0);
    absl::StatusOr<SnapshotTableState> state = ParseSnapshotTableState(stmt->ColumnText(1));
    if (!state.ok()) {
      return absl::DataLossError(
          absl::StrCat("snapshot table '", table.table_name,
                       "' in the state database: ", state.status().message()));
    }
    table.state = *state;
    table.rows_copied = stmt->ColumnInt64(2);
    table.chunking = stmt->ColumnText(3);
    table.rows_estimate = stmt->ColumnInt64(4);
    table.update_time = absl::FromUnixMicros(stmt->ColumnInt64(5));
  }
}

absl::StatusOr<std::vector<SnapshotChunkProgress>> StateStore::ListSnapshotChunks(
    std::string_view pipeline_id, std::string_view table_name) {
  absl::MutexLock lock(&mu_);
  absl::Status status = CheckPipelineExists(pipeline_id);
  if (!status.ok()) return status;
  absl::StatusOr<Statement> stmt = connection_->Prepare(
      "SELECT chunk_id, lower_bound, upper_bound, done, rows_copied, update_time "
      "FROM snapshot_chunks WHERE pipeline_id = ?1 AND table_name = ?2 ORDER BY chunk_id");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  stmt->BindText(2, table_name);
  std::vector<SnapshotChunkProgress> chunks;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return chunks;
    SnapshotChunkProgress& chunk = chunks.emplace_back();
    chunk.pipeline_id = std::string(pipeline_id);
    chunk.table_name = std::string(table_name);
    chunk.chunk_id = stmt->ColumnInt64(0);
    chunk.lower_bound = stmt->ColumnOptionalText(1);
    chunk.upper_bound = stmt->ColumnOptionalText(2);
    chunk.done = stmt->ColumnBool(3);
    chunk.rows_copied = stmt->ColumnInt64(4);
    chunk.update_time = absl::FromUnixMicros(stmt->ColumnInt64(5));
  }
}

absl::Status StateStore::ClearSnapshotProgress(std::string_view pipeline_id) {
  absl::MutexLock lock(&mu_);
  absl::Status status = CheckPipelineExists(pipeline_id);
  if (!status.ok()) return status;
  absl::StatusOr<Transaction> transaction = Transaction::Begin(*connection_);
  if (!transaction.ok()) return transaction.status();
  status = DeleteSnapshotRows(*connection_, "snapshot_tables", pipeline_id);
  if (status.ok()) status = DeleteSnapshotRows(*connection_, "snapshots", pipeline_id);
  if (!status.ok()) return status;
  return transaction->Commit();
}

absl::StatusOr<std::optional<SnapshotRecord>> StateStore::GetSnapshot(
    std::string_view pipeline_id) {
  absl::MutexLock lock(&mu_);
  absl::Status status = CheckPipelineExists(pipeline_id);
  if (!status.ok()) return status;
  absl::StatusOr<Statement> stmt = connection_->Prepare(
      "SELECT state, epoch, start_time, update_time FROM snapshots WHERE pipeline_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<SnapshotRecord>();
  SnapshotRecord record;
  record.pipeline_id = std::string(pipeline_id);
  std::string phase = stmt->ColumnText(0);
  if (phase == "copying") {
    record.phase = SnapshotPhase::kCopying;
  } else if (phase == "done") {
    record.phase = SnapshotPhase::kDone;
  } else if (phase == "completed") {
    record.phase = SnapshotPhase::kCompleted;
  } else {
    return absl::DataLossError(absl::StrCat("snapshot of pipeline '", AsAbsl(pipeline_id),
                                            "' has unknown state '", phase, "'"));
  }
  record.epoch = stmt->ColumnInt64(1);
  record.start_time = absl::FromUnixMicros(stmt->ColumnInt64(2));
  record.update_time = absl::FromUnixMicros(stmt->ColumnInt64(3));
  return std::optional<SnapshotRecord>(std::move(record));
}

absl::StatusOr<int64_t> StateStore::BeginSnapshotAttempt(std::string_view pipeline_id) {
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Statement> stmt = connection_->Prepare(
      "INSERT INTO snapshots (pipeline_id, state, epoch, start_time, update_time) "
      "VALUES (?1, 'copying', 1, ?2, ?2) ON CONFLICT (pipeline_id) DO UPDATE SET "
      "epoch = snapshots.epoch + 1, update_time = excluded.update_time RETURNING epoch");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  stmt->BindInt64(2, now);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return WriteError(*stmt, row.status(), UnknownPipeline(pipeline_id));
  if (!*row) return absl::InternalError("INSERT ... RETURNING returned no row");
  int64_t epoch = stmt->ColumnInt64(0);
  // Finish the statement so the autocommit transaction commits now.
  if (absl::StatusOr<bool> more = stmt->Step(); !more.ok()) return more.status();
  return epoch;
}

absl::Status StateStore::SaveSnapshotPlan(std::string_view pipeline_id, Lsn checkpoint,
                                          std::span<const SnapshotTableProgress> tables,
                                          std::span<const SnapshotChunkProgress> chunks) {
  if (absl::Status status = CheckLsn(checkpoint); !status.ok()) return status;
  for (const SnapshotTableProgress& table : tables) {
    if (absl::Status status = CheckTable(table); !status.ok()) return status;
  }
  for (const SnapshotChunkProgress& chunk : chunks) {
    if (absl::Status status = CheckChunk(chunk); !status.ok()) return status;
  }
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  absl::Status status = CheckPipelineExists(pipeline_id);
  if (!status.ok()) return status;
  absl::StatusOr<Transaction> transaction = Transaction::Begin(*connection_);
  if (!transaction.ok()) return transaction.status();
  status = DeleteSnapshotRows(*connection_, "snapshot_tables", pipeline_id);
  if (status.ok() && checkpoint != kInvalidLsn) {
    status = SaveCheckpointLocked(pipeline_id, checkpoint, now);
  }
  for (const SnapshotTableProgress& table : tables) {
    if (status.ok()) status = UpsertSnapshotTableLocked(table, now);
  }
  for (const SnapshotChunkProgress& chunk : chunks) {
    if (status.ok()) status = UpsertSnapshotChunkLocked(chunk, now);
  }
  if (!status.ok()) return status;
  return transaction->Commit();
}

absl::Status StateStore::SaveChunkDone(const SnapshotChunkProgress& chunk,
                                       const SnapshotTableProgress& table) {
  if (absl::Status status = CheckChunk(chunk); !status.ok()) return status;
  if (absl::Status status = CheckTable(table); !status.ok()) return status;
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Transaction> transaction = Transaction::Begin(*connection_);
  if (!transaction.ok()) return transaction.status();
  absl::Status status = UpsertSnapshotTableLocked(table, now);
  if (status.ok()) status = UpsertSnapshotChunkLocked(chunk, now);
  if (!status.ok()) return status;
  return transaction->Commit();
}

absl::Status StateStore::FinishSnapshot(std::string_view pipeline_id, SnapshotPhase phase) {
  const int64_t now = NowMicros();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Statement> stmt = connection_->Prepare(
      "UPDATE snapshots SET state = ?3, update_time = ?2 WHERE pipeline_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, pipeline_id);
  stmt->BindInt64(2, now);
  stmt->BindText(3, phase == SnapshotPhase::kCompleted ? "completed"
                    : phase == SnapshotPhase::kDone    ? "done"
                                                       : "copying");
  if (absl::Status status = stmt->Run(); !status.ok()) return status;
  if (connection_->Changes() == 0) {
    return absl::NotFoundError(
        absl::StrCat("pipeline '", AsAbsl(pipeline_id), "' has no snapshot to finish"));
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::state
