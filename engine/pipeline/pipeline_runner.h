// Runs one pipeline without blocking: replication stream → StarRocks sink →
// checkpoint in SQLite → flush LSN to PostgreSQL. The engine calls Advance()
// on a worker whenever the replication socket is readable, a load finished or
// the wake-up time it asked for arrived; tests call the blocking Step().
//
// The acknowledgement order is the one that makes the pipeline lossless:
//   1. the sink reports a commit LSN whose rows are all loaded,
//   2. that LSN is committed to the state store (durable on return),
//   3. only then is it confirmed to PostgreSQL as flushed.
// On start the stream resumes from the stored checkpoint, skipping
// transactions already applied.
//
// Loads run on a LoadDispatcher (no thread waits for StarRocks); their
// completions are queued by the dispatcher thread and applied by the next
// Advance(). Backpressure: while the sink holds more than its
// max_buffered_bytes the runner stops reading (PostgreSQL buffers the WAL)
// but keeps sending status updates, so wal_sender_timeout never fires.
//
// Source setup: the publication is created if missing (or extended with
// missing tables); the slot is created if missing — but only the first time:
// if the state store says this pipeline created its slot and the slot is gone,
// Start() fails with kFailedPrecondition and never recreates it, because that
// would silently skip every change made since.
//
// Ownership: owns the stream, sink and its loads; borrows the state store
// and the dispatcher (a private dispatcher is made when none is given).
// Destruction cancels the loads in flight (nothing more is acknowledged).
// Thread-safety: one thread at a time, except that the dispatcher thread
// queues completions (internally synchronized) and calls `wake`.
// Errors: those of the replication stream, the sink, the loads and the state
// store; Start() blocks for at most the connect and start timeouts.
#ifndef DBMAZZ_ENGINE_PIPELINE_PIPELINE_RUNNER_H_
#define DBMAZZ_ENGINE_PIPELINE_PIPELINE_RUNNER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/common/histogram.h"
#include "engine/postgres/identifiers.h"
#include "engine/replication/replication_stream.h"
#include "engine/sink/load_dispatcher.h"
#include "engine/sink/starrocks_sink.h"
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
  // Shared by every pipeline of the engine; null: the runner makes its own.
  sink::LoadDispatcher* dispatcher = nullptr;
  // Called from the dispatcher thread when a load ends (the engine schedules
  // the pipeline). May be empty.
  std::function<void()> wake;
  // Commits a checkpoint elsewhere (the engine's group commit) and calls
  // `done` from any thread once it is durable. Empty: the runner saves it
  // in the state store itself, synchronously.
  std::function<void(Lsn lsn, absl::AnyInvocable<void(absl::Status)> done)> commit_checkpoint;
  // Messages handled per Advance() before yielding the worker.
  int max_messages_per_step = 20000;
};

// What the runner waits for after Advance().
struct RunnerWants {
  bool read = false;   // the replication socket becoming readable
  bool write = false;  // ... writable (unsent status update)
  bool again = false;  // more is buffered: call Advance() again soon
  // Few messages came in: wait a little (0.5 ms) before reading again so that
  // one wake-up handles many messages, rather than waking per message.
  bool coalesce = false;
  absl::Time wake_at = absl::InfiniteFuture();  // call Advance() by then
};

// Seconds from Submit() to completion of a load (the load duration
// histogram's buckets).
inline constexpr double kLoadSecondsBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                 1,     2.5,  5,     10,   30,  60,   120};

// Counters for status and metrics; a snapshot.
struct RunnerStats {
  sink::SinkStats sink;
  uint64_t bytes_received = 0;
  Lsn received_lsn = kInvalidLsn;
  Lsn flush_lsn = kInvalidLsn;
  uint64_t loads_started = 0;
  uint64_t load_attempts = 0;
  uint64_t load_failures = 0;
  uint64_t loads_completed = 0;
  absl::Duration load_time;  // summed over completed loads (Submit to completion)
  Histogram load_seconds{kLoadSecondsBuckets};  // per completed load, same span
  sink::AttemptCounts load_requests{};          // Stream Load PUTs by result
  uint64_t label_polls = 0;                     // get_load_state requests
  // Commit time of the newest transaction loaded (InfinitePast: none yet).
  absl::Time durable_commit_time = absl::InfinitePast();
  uint64_t buffered_bytes = 0;
  int loads_in_flight = 0;
  bool backpressured = false;
  // Commit time (source clock) of the oldest transaction received but not yet
  // durable in StarRocks; InfiniteFuture when there is none.
  absl::Time oldest_pending_commit_time = absl::InfiniteFuture();
  // Commit time of the newest transaction received; InfinitePast before one.
  absl::Time last_commit_time = absl::InfinitePast();
};

class PipelineRunner {
 public:
  // Prepares the source and starts streaming from the stored checkpoint. The
  // pipeline's record must exist in `store`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PipelineRunner>> Start(
      RunnerConfig config, state::StateStore* store);
  ~PipelineRunner();

  // Applies finished loads, reads what has arrived (unless draining or
  // backpressured), starts the loads that are due, checkpoints and confirms.
  // Never waits. Returns the first error; the runner is then unusable.
  [[nodiscard]] absl::StatusOr<RunnerWants> Advance(absl::Time now);

  // Stops reading and sends everything buffered; Drained() turns true once
  // it is loaded and checkpointed. Keep calling Advance() meanwhile.
  void BeginDrain();
  // Reading resumes (a resume arrived while a pause was draining).
  void EndDrain() { draining_ = false; }
  bool Drained() const;
  // Ends the replication session cleanly (after Drained(), for a pause).
  [[nodiscard]] absl::Status Close();

  // Blocking helpers for tests and tools: Advance(), then wait at most
  // `max_wait` for what it asked for.
  [[nodiscard]] absl::Status Step(absl::Duration max_wait);
  // BeginDrain(), Step() until Drained() (at most `timeout`), Close().
  [[nodiscard]] absl::Status Stop(absl::Duration timeout = absl::Minutes(2));

  Lsn checkpoint() const { return checkpoint_; }
  const sink::SinkStats& sink_stats() const { return sink_->stats(); }
  RunnerStats stats() const;
  const replication::ReplicationStream& stream() const { return *stream_; }
  int socket() const { return stream_->socket(); }

 private:
  class Handler;
  struct Completion {
    uint32_t table_key;
    sink::LoadResult result;
  };
  struct InFlight {
    uint32_t table_key;
    uint64_t load_id;
  };
  struct CommitResult {
    Lsn lsn;
    absl::Status status;
  };
  // Where other threads leave results. Shared with their callbacks, so a
  // result arriving after the runner is gone finds it closed.
  struct Mailbox {
    absl::Mutex mu;
    std::vector<Completion> loads ABSL_GUARDED_BY(mu);
    std::vector<CommitResult> commits ABSL_GUARDED_BY(mu);
    bool closed ABSL_GUARDED_BY(mu) = false;
    std::function<void()> wake;  // called with mu held, unless closed
  };
  PipelineRunner(RunnerConfig config, state::StateStore* store, Lsn checkpoint);
  absl::Status Checkpoint(absl::Time now);
  absl::Status ApplyCompletions();
  void StartLoads(absl::Time now);
  void CancelLoads();

  RunnerConfig config_;
  state::StateStore* store_;
  Lsn checkpoint_;
  sink::StreamLoadOptions load_options_;
  std::unique_ptr<sink::LoadDispatcher> own_dispatcher_;
  sink::LoadDispatcher* dispatcher_ = nullptr;
  std::unique_ptr<sink::StarRocksSink> sink_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<replication::ReplicationStream> stream_;
  std::vector<InFlight> in_flight_;
  bool draining_ = false;
  bool closed_ = false;
  uint64_t loads_started_ = 0;
  uint64_t load_attempts_ = 0;
  uint64_t load_failures_ = 0;
  uint64_t loads_completed_ = 0;
  absl::Duration load_time_;
  Histogram load_seconds_{kLoadSecondsBuckets};
  sink::AttemptCounts load_requests_{};
  uint64_t label_polls_ = 0;

  Lsn committing_ = kInvalidLsn;  // a checkpoint handed to commit_checkpoint
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
};

}  // namespace dbmazz::pipeline

#endif  // DBMAZZ_ENGINE_PIPELINE_PIPELINE_RUNNER_H_
