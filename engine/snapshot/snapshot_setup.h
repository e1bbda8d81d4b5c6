// Starts (or resumes) a pipeline's initial snapshot: makes sure the
// publication and slot exist, opens the copy sessions under one PostgreSQL
// snapshot, and plans the chunks (or loads the plan of an earlier attempt).
//
// First attempt: the slot is created with an exported snapshot; every copy
// session imports it (BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION
// SNAPSHOT) before the replication connection is closed, so the copy sees
// exactly the rows committed before the slot's consistent point, and the
// stream later starts at that point. The plan and the consistent point
// (the pipeline's first checkpoint) are saved in one SQLite transaction.
//
// Later attempts (after a crash, pause or error) cannot get that snapshot
// back: the first session exports a fresh one for the others, the remaining
// chunks are copied under it, and the stream still starts from the original
// checkpoint. Every change after the checkpoint is then applied again over
// rows that may already include it; rows are upserts by key, so the target
// converges to the source (docs/snapshot.md). Tables chunked by block range
// are copied again from the start, since a row can move between blocks.
// Each attempt has a new epoch (labels never repeat across attempts).
//
// Ownership: the result owns the sessions. Thread-safety: a blocking call for
// an admin thread; each step has the connect timeout or a statement timeout.
// Errors: libpq errors (pg_error.h), the slot errors of PipelineRunner
// (a slot the pipeline had that vanished, a lost slot: kFailedPrecondition),
// state store errors.
#ifndef DBMAZZ_ENGINE_SNAPSHOT_SNAPSHOT_SETUP_H_
#define DBMAZZ_ENGINE_SNAPSHOT_SNAPSHOT_SETUP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/postgres/identifiers.h"
#include "engine/postgres/pg_connection.h"
#include "engine/snapshot/chunk_planner.h"
#include "engine/snapshot/snapshot_table.h"
#include "engine/state/state_store.h"

namespace dbmazz::snapshot {

struct SnapshotConfig {
  std::string pipeline_id;
  std::string dsn;
  std::string slot_name;
  std::string publication_name;
  std::vector<postgres::TableName> tables;
  int parallelism = 2;          // copy sessions
  int64_t chunk_rows = 100000;  // target rows per chunk
  absl::Duration connect_timeout = absl::Seconds(10);
};

// One table of the snapshot, with its chunks' progress.
struct TableWork {
  SnapshotTable table;
  Chunking chunking = Chunking::kWhole;
  state::SnapshotTableProgress progress;
  std::vector<state::SnapshotChunkProgress> chunks;
};

struct SnapshotStart {
  int64_t epoch = 0;
  Lsn checkpoint = kInvalidLsn;  // where streaming starts after the copy
  bool exported = false;         // the slot's own snapshot (first attempt)
  std::vector<TableWork> tables;
  // Open transactions sharing one snapshot; at least one.
  std::vector<std::unique_ptr<postgres::PgConnection>> sessions;
};

[[nodiscard]] absl::StatusOr<SnapshotStart> StartSnapshot(const SnapshotConfig& config,
                                                          state::StateStore& store);

}  // namespace dbmazz::snapshot

#endif  // DBMAZZ_ENGINE_SNAPSHOT_SNAPSHOT_SETUP_H_
