// dbmazzd's durable state: pipelines, their checkpoints, event logs and
// initial-snapshot progress, in one SQLite database (docs/state.md).
//
// Durability: the database runs in WAL mode with synchronous=FULL, so every
// call that changes something has committed its transaction to stable
// storage (fsync of the WAL) by the time it returns OK. The engine relies on
// this order: sink acknowledged → SaveCheckpoint(s) returned OK → flush LSN
// confirmed to PostgreSQL.
//
// File safety: Open() creates the file with mode 0600, tightens an existing
// one (and its -wal/-shm) to 0600, refuses symbolic links and non-regular
// files, and holds an exclusive flock on it so one file serves one StateStore
// at a time (see state_file_lock.h). The spec JSON holds secrets; this class
// never logs, and no error message contains a spec.
//
// Ownership: owns the SQLite connection and the file lock.
// Thread-safety: thread-safe. One connection behind a mutex: calls from any
// number of threads are serialized (each is one short transaction).
//
// Errors (every method):
//   kInvalidArgument   — empty ids/names, an LSN above INT64_MAX, a bad limit;
//   kNotFound          — an unknown pipeline id (or snapshot table, for chunks);
//   kAlreadyExists     — a duplicate pipeline id or slot name;
//   kDataLoss          — the file is corrupt or not a SQLite database
//                        (SQLITE_CORRUPT / SQLITE_NOTADB), or holds a value
//                        this build cannot read;
//   kUnavailable       — the database is locked by another connection (busy
//                        timeout expired); retryable;
//   kResourceExhausted — disk full;
//   kInternal          — any other SQLite failure, with SQLite's message.
// A failed call changes nothing (its transaction is rolled back).
#ifndef DBMAZZ_ENGINE_STATE_STATE_STORE_H_
#define DBMAZZ_ENGINE_STATE_STATE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/common/lsn.h"
#include "engine/state/records.h"

namespace dbmazz::state {

class SqliteConnection;
class StateFileLock;
class Statement;

struct StateStoreOptions {
  // Events kept per pipeline; older ones are pruned when one is appended.
  int max_events_per_pipeline = 1000;
  // How long a statement waits for a lock held by another connection (e.g. a
  // running `sqlite3 .backup`) before failing with kUnavailable.
  absl::Duration busy_timeout = absl::Seconds(5);
  // Run PRAGMA quick_check on open, so a damaged file is reported at startup
  // (kDataLoss) rather than on some later write. Linear in the file size,
  // which is small (megabytes).
  bool verify_on_open = true;
  // SQLite VFS name; empty is SQLite's default. Tests wrap the default VFS to
  // observe fsyncs.
  std::string vfs;
  // Source of create/update/event times; null means absl::Now.
  std::function<absl::Time()> clock;
};

class StateStore {
 public:
  // Opens (creating if needed) the database at `path` and migrates its schema
  // to the newest version. Besides the errors above: kFailedPrecondition if
  // the file is locked by another StateStore/process, is a symlink or not a
  // regular file, is another application's database, or has a schema version
  // newer than this build knows; kPermissionDenied if it cannot be opened or
  // restricted to 0600.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StateStore>> Open(
      const std::string& path, StateStoreOptions options = {});
  // A private in-memory database (journal_mode=memory, no file), for tests.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StateStore>> OpenInMemory(
      StateStoreOptions options = {});

  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // ---- Pipelines ----

  // Inserts the pipeline and its checkpoint (`initial_checkpoint`, usually the
  // slot's consistent point) in one transaction. create_time/update_time of
  // `record` are ignored and set to now. kAlreadyExists if the id or the
  // slot name is taken.
  [[nodiscard]] absl::Status CreatePipeline(const PipelineRecord& record,
                                            Lsn initial_checkpoint = kInvalidLsn);
  [[nodiscard]] absl::StatusOr<PipelineRecord> GetPipeline(std::string_view pipeline_id);
  // Every pipeline, ordered by id.
  [[nodiscard]] absl::StatusOr<std::vector<PipelineRecord>> ListPipelines();
  [[nodiscard]] absl::Status SetDesiredState(std::string_view pipeline_id, DesiredState state);
  // Records (or clears, with kNone) a requested delete, so that it survives a
  // restart. NotFound for an unknown pipeline.
  [[nodiscard]] absl::Status SetDeleteIntent(std::string_view pipeline_id, DeleteIntent intent);
  // Replaces the spec JSON (e.g. a rotated password or changed table list).
  [[nodiscard]] absl::Status UpdateSpec(std::string_view pipeline_id, std::string_view spec);
  // Records whether dbmazz created the slot and the publication.
  [[nodiscard]] absl::Status SetCreatedByUs(std::string_view pipeline_id, bool slot_created_by_us,
                                            bool publication_created_by_us);
  // Deletes the pipeline with its checkpoint, events and snapshot progress.
  [[nodiscard]] absl::Status DeletePipeline(std::string_view pipeline_id);

  // ---- Checkpoints ----

  // Stores `lsn` as the pipeline's checkpoint and makes it durable before
  // returning. Checkpoints never move backwards: an `lsn` lower than (or
  // equal to) the stored one is ignored and OK is returned, since after a
  // restart the engine may acknowledge positions it had already saved.
  [[nodiscard]] absl::Status SaveCheckpoint(std::string_view pipeline_id, Lsn lsn);
  // SaveCheckpoint for several pipelines in ONE transaction and one fsync
  // (the engine's flush cycle). All or nothing: an unknown id fails the whole
  // batch with kNotFound and nothing is saved. Repeated ids keep the highest.
  [[nodiscard]] absl::Status SaveCheckpoints(std::span<const CheckpointUpdate> updates);
  [[nodiscard]] absl::StatusOr<Lsn> LoadCheckpoint(std::string_view pipeline_id);

  // ---- Events ----

  // Appends an event and prunes the pipeline's events beyond
  // max_events_per_pipeline (oldest first), in one transaction.
  [[nodiscard]] absl::Status AppendEvent(std::string_view pipeline_id, std::string_view kind,
                                         std::string_view message);
  // Up to `limit` (> 0) events, newest first, with id < `before_id` when it is
  // non-zero (pass the last id of a page to get the next page).
  [[nodiscard]] absl::StatusOr<std::vector<EventRecord>> ListEvents(std::string_view pipeline_id,
                                                                    int limit,
                                                                    int64_t before_id = 0);

  // ---- Snapshot progress ----

  // Inserts or replaces one table's progress (update_time set to now).
  // kNotFound if the pipeline does not exist.
  [[nodiscard]] absl::Status UpsertSnapshotTable(const SnapshotTableProgress& table);
  // Inserts or replaces chunks, all in one transaction (e.g. "chunk done" and
  // the next chunk's bounds). kNotFound if a chunk's table has no
  // snapshot_tables row (UpsertSnapshotTable first).
  [[nodiscard]] absl::Status UpsertSnapshotChunks(std::span<const SnapshotChunkProgress> chunks);
  // Tables of a pipeline ordered by name; chunks of a table ordered by id.
  [[nodiscard]] absl::StatusOr<std::vector<SnapshotTableProgress>> ListSnapshotTables(
      std::string_view pipeline_id);
  [[nodiscard]] absl::StatusOr<std::vector<SnapshotChunkProgress>> ListSnapshotChunks(
      std::string_view pipeline_id, std::string_view table_name);
  // Removes all snapshot progress of the pipeline (tables, chunks and the
  // snapshot row).
  [[nodiscard]] absl::Status ClearSnapshotProgress(std::string_view pipeline_id);

  // The pipeline's snapshot row; nullopt before the first attempt.
  [[nodiscard]] absl::StatusOr<std::optional<SnapshotRecord>> GetSnapshot(
      std::string_view pipeline_id);
  // Starts a new attempt: inserts the row (phase copying, epoch 1) or
  // increments its epoch, durably; returns the new epoch. kNotFound for an
  // unknown pipeline.
  [[nodiscard]] absl::StatusOr<int64_t> BeginSnapshotAttempt(std::string_view pipeline_id);
  // In ONE transaction: the checkpoint the stream will start from (only
  // moved forward, as SaveCheckpoint), and the plan — every table and chunk,
  // replacing any earlier progress of the pipeline.
  [[nodiscard]] absl::Status SaveSnapshotPlan(std::string_view pipeline_id, Lsn checkpoint,
                                              std::span<const SnapshotTableProgress> tables,
                                              std::span<const SnapshotChunkProgress> chunks);
  // A chunk landed: its row and its table's row, in one transaction.
  [[nodiscard]] absl::Status SaveChunkDone(const SnapshotChunkProgress& chunk,
                                           const SnapshotTableProgress& table);
  // Moves the snapshot to kDone (or kCompleted); kNotFound without a
  // snapshot row.
  [[nodiscard]] absl::Status FinishSnapshot(std::string_view pipeline_id,
                                            SnapshotPhase phase = SnapshotPhase::kDone);

  // ---- Maintenance ----

  // Writes a consistent copy of the whole database to `path` (VACUUM INTO),
  // created with mode 0600 and fsynced, while the store stays usable (other
  // calls wait for it). kAlreadyExists if `path` exists.
  [[nodiscard]] absl::Status BackupTo(const std::string& path);

  // The value of `PRAGMA <name>` on the store's connection (e.g. "synchronous"
  // gives "2" for FULL). `name` must be a bare identifier ([a-z_]+), else
  // kInvalidArgument. For tests and diagnostics.
  [[nodiscard]] absl::StatusOr<std::string> PragmaForTesting(std::string_view name);

  // The database path (":memory:" for OpenInMemory).
  const std::string& path() const { return path_; }

 private:
  StateStore(std::string path, StateStoreOptions options, std::unique_ptr<StateFileLock> lock,
             std::unique_ptr<SqliteConnection> connection);
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StateStore>> OpenInternal(
      const std::string& path, StateStoreOptions options, bool in_memory);

  int64_t NowMicros() const;
  // kNotFound unless the pipeline exists.
  [[nodiscard]] absl::Status CheckPipelineExists(std::string_view pipeline_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs an UPDATE/DELETE keyed by ?1 = pipeline_id in its own transaction;
  // kNotFound when it changed no row. `bind` binds parameters ?2...
  [[nodiscard]] absl::Status UpdatePipelineRow(std::string_view sql, std::string_view pipeline_id,
                                               const std::function<void(Statement&)>& bind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  [[nodiscard]] absl::Status SaveCheckpointLocked(std::string_view pipeline_id, Lsn lsn,
                                                  int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  [[nodiscard]] absl::Status UpsertSnapshotTableLocked(const SnapshotTableProgress& table,
                                                       int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  [[nodiscard]] absl::Status UpsertSnapshotChunkLocked(const SnapshotChunkProgress& chunk,
                                                       int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const StateStoreOptions options_;
  absl::Mutex mu_;
  // Declared before connection_ so it is released after SQLite closes.
  std::unique_ptr<StateFileLock> lock_;
  std::unique_ptr<SqliteConnection> connection_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_STATE_STORE_H_
