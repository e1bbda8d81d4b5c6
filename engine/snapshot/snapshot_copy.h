// Runs a pipeline's initial copy once StartSnapshot() has opened the
// sessions: each free session takes the next chunk not yet done and copies
// it on a snapshot worker (CopyChunk); a chunk that lands is recorded in
// the state store at once, so a later attempt skips it. Advance() never
// blocks: the engine calls it on a pipeline turn when a chunk finishes or to
// refresh the progress.
//
// Failure: the first error cancels the other chunks; Advance() reports it
// once every chunk job has stopped (nothing of this object is used by a job
// after that). Cancel() (pause, delete, shutdown) does the same and reports
// kCancelled.
//
// Ownership: owns the sessions (lent to jobs while they run) and the copy's
// shared state; borrows the store, the dispatcher and the load options,
// which must outlive every job (the engine drains its pools first).
// Thread-safety: Advance/Cancel/Progress from one thread at a time (the
// pipeline's turns); jobs run on `run_job`'s threads.
#ifndef DBMAZZ_ENGINE_SNAPSHOT_SNAPSHOT_COPY_H_
#define DBMAZZ_ENGINE_SNAPSHOT_SNAPSHOT_COPY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "engine/sink/load_dispatcher.h"
#include "engine/sink/starrocks_sink.h"
#include "engine/snapshot/snapshot_setup.h"
#include "engine/state/state_store.h"

namespace dbmazz::snapshot {

struct SnapshotCopyConfig {
  std::string pipeline_id;
  sink::SinkOptions sink;
  sink::StreamLoadOptions stream_load;
  sink::LoadDispatcher* dispatcher = nullptr;
  state::StateStore* store = nullptr;
  // Runs a (blocking, cancellable) chunk job on a snapshot worker.
  std::function<void(absl::AnyInvocable<void()>)> run_job;
  // Called from a job's thread when it ends (schedule a turn). May be empty.
  std::function<void()> wake;
  // Set when the whole engine stops: jobs end as if cancelled. May be null.
  const std::atomic<bool>* stopping = nullptr;
};

struct TableProgress {
  std::string table;  // schema.table
  int64_t rows_copied = 0;
  int64_t rows_estimate = 0;
  int chunks_done = 0;
  int chunks_total = 0;
};

struct SnapshotProgress {
  int64_t epoch = 0;
  std::vector<TableProgress> tables;
  int64_t rows_copied = 0;  // all tables, this attempt included
  int chunks_done = 0;
  int chunks_total = 0;
};

class SnapshotCopy {
 public:
  enum class Outcome { kRunning, kDone };

  // kInvalidArgument when the sink options do not validate.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SnapshotCopy>> Create(
      SnapshotCopyConfig config, SnapshotStart start);
  // Cancels what runs; jobs still running keep the shared state alive.
  ~SnapshotCopy();

  // Takes finished chunks and starts new ones. kDone once every chunk has
  // landed (the snapshot is then marked done in the store).
  [[nodiscard]] absl::StatusOr<Outcome> Advance();
  // Stops every chunk (within ~100 ms); Advance() then reports kCancelled.
  void Cancel();
  // A chunk job still runs.
  bool Busy() const;
  SnapshotProgress Progress() const;
  Lsn checkpoint() const { return checkpoint_; }
  // Every chunk was copied under the slot's own exported snapshot: the copy
  // is exactly the source at checkpoint(), with no change to catch up on.
  bool exact() const { return exact_; }

 private:
  struct Shared;
  struct ChunkRef {
    size_t table = 0;
    size_t chunk = 0;
  };
  SnapshotCopy(SnapshotCopyConfig config, SnapshotStart start);
  void StartChunk(std::unique_ptr<postgres::PgConnection> session, ChunkRef ref);

  SnapshotCopyConfig config_;
  Lsn checkpoint_;
  int64_t epoch_;
  bool exact_;
  std::shared_ptr<Shared> shared_;
  std::vector<ChunkRef> pending_;
  std::vector<std::unique_ptr<postgres::PgConnection>> idle_sessions_;
  int running_ = 0;
  absl::Status error_;
  bool finished_ = false;
};

}  // namespace dbmazz::snapshot

#endif  // DBMAZZ_ENGINE_SNAPSHOT_SNAPSHOT_COPY_H_
