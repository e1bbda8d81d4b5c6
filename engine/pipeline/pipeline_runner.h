// Runs one pipeline in bounded steps on the caller's thread: replication
// stream → StarRocks sink → checkpoint in SQLite → flush LSN to PostgreSQL.
// The engine schedules Step() calls on its worker pool; tests call it directly.
//
// The acknowledgement order is the one that makes the pipeline lossless:
//   1. the sink reports a commit LSN whose rows are all loaded,
//   2. that LSN is committed to the state store (durable on return),
//   3. only then is it confirmed to PostgreSQL as flushed.
// On start the stream resumes from the stored checkpoint, skipping
// transactions already applied.
//
// Source setup: the publication is created if missing (or extended with
// missing tables); the slot is created if missing — but only the first time:
// if the state store says this pipeline created its slot and the slot is gone,
// Start() fails with kFailedPrecondition and never recreates it, because that
// would silently skip every change made since.
//
// Ownership: owns the stream, sink and loader; borrows the state store.
// Thread-safety: one thread at a time.
// Errors: those of the replication stream, the sink and the state store.
#ifndef DBMAZZ_ENGINE_PIPELINE_PIPELINE_RUNNER_H_
#define DBMAZZ_ENGINE_PIPELINE_PIPELINE_RUNNER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/postgres/identifiers.h"
#include "engine/replication/replication_stream.h"
#include "engine/sink/starrocks_sink.h"
#include "engine/sink/stream_load_batch_loader.h"
#include "engine/state/state_store.h"

namespace dbmazz::pipeline {

struct RunnerConfig {
  std::string pipeline_id;
  std::string dsn;
  std::string slot_name;
  std::string publication_name;
  std::vector<postgres::TableName> tables;
  sink::SinkOptions sink;
  sink::StreamLoadOptions stream_load;
  absl::Duration connect_timeout = absl::Seconds(10);
};

class PipelineRunner {
 public:
  // Prepares the source and starts streaming from the stored checkpoint. The
  // pipeline's record must exist in `store`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PipelineRunner>> Start(
      RunnerConfig config, state::StateStore* store);
  ~PipelineRunner();

  // Waits at most `max_wait` for changes, applies what arrived, loads batches
  // that are due, checkpoints and confirms. Returns the first error.
  [[nodiscard]] absl::Status Step(absl::Duration max_wait);

  // Loads everything buffered, checkpoints, confirms and closes the
  // replication connection (pause and shutdown).
  [[nodiscard]] absl::Status Stop();

  Lsn checkpoint() const { return checkpoint_; }
  const sink::SinkStats& sink_stats() const { return sink_->stats(); }
  const replication::ReplicationStream& stream() const { return *stream_; }

 private:
  class Handler;
  PipelineRunner(RunnerConfig config, state::StateStore* store, Lsn checkpoint);
  absl::Status Checkpoint();

  RunnerConfig config_;
  state::StateStore* store_;
  Lsn checkpoint_;
  std::unique_ptr<sink::StreamLoadBatchLoader> loader_;
  std::unique_ptr<sink::StarRocksSink> sink_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<replication::ReplicationStream> stream_;
};

}  // namespace dbmazz::pipeline

#endif  // DBMAZZ_ENGINE_PIPELINE_PIPELINE_RUNNER_H_
