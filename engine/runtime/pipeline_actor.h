// One pipeline inside the engine: its lifecycle state machine, run in short
// non-blocking turns on the worker pool, never two turns at once.
//
//   [idle ─▶ snapshot-starting* ─▶ snapshotting ─▶] (snapshot not done yet)
//   idle ─▶ starting* ─▶ running ──pause/shutdown──▶ draining ─▶ closing* ─▶ idle (PAUSED)
//    ▲          │ error     │ error                                          │
//    │ backoff  ▼           ▼                                                │
//   wait-retry ◀── transient          permanent ──▶ failed ◀──────────────────┘ (resume retries)
//   delete (from any phase): stop, deleting* (drop slot/publication, remove rows) ─▶ done
//
// The bracketed part runs while the pipeline's initial snapshot is not done
// (engine/snapshot): the copy runs on the snapshot pool; pause, delete,
// shutdown and a lost slot cancel it and wait until its jobs have stopped.
//
// Steps marked * may block on the network (connecting, creating a slot,
// closing a session, dropping a slot): they run on the engine's admin pool,
// and their result is taken by a later turn, so the workers that stream
// never wait for them.
//
// A turn runs when the reactor sees the replication socket ready or the
// wake-up time pass, when a load or a checkpoint commit completes, when a
// blocking step finishes, or when a command arrives. Commands (pause,
// resume, delete, shutdown) only set flags and schedule a turn: they return
// at once, whatever the sink or source is doing.
//
// Ownership: owns its runner; borrows the context's store, pools, reactor,
// dispatcher and committer, which must outlive it. Held by shared_ptr:
// queued turns and jobs keep it alive.
// Thread-safety: thread-safe. mu_ guards the commands, job results and the
// published status; the runner is touched only by the (serial) turns.
#ifndef DBMAZZ_ENGINE_RUNTIME_PIPELINE_ACTOR_H_
#define DBMAZZ_ENGINE_RUNTIME_PIPELINE_ACTOR_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "engine/pipeline/pipeline_runner.h"
#include "engine/pipeline/pipeline_spec.h"
#include "engine/runtime/checkpoint_committer.h"
#include "engine/runtime/failure_policy.h"
#include "engine/runtime/lag_clock.h"
#include "engine/runtime/pipeline_alerts.h"
#include "engine/runtime/pipeline_status.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/worker_pool.h"
#include "engine/sink/load_dispatcher.h"
#include "engine/snapshot/snapshot_copy.h"
#include "engine/state/state_store.h"

namespace spdlog {
class logger;
}

namespace dbmazz::runtime {

// What every pipeline of an engine shares. Owned by the engine.
struct EngineContext {
  state::StateStore* store = nullptr;
  WorkerPool* pool = nullptr;           // turns
  WorkerPool* admin_pool = nullptr;     // blocking steps
  WorkerPool* snapshot_pool = nullptr;  // chunk copies (blocking, cancellable)
  int snapshot_parallelism = 2;         // copy sessions per pipeline
  int64_t snapshot_chunk_rows = 100000;
  Reactor* reactor = nullptr;
  sink::LoadDispatcher* dispatcher = nullptr;
  CheckpointCommitter* committer = nullptr;  // null: runners save checkpoints themselves
  absl::Duration retry_initial = absl::Seconds(1);
  absl::Duration retry_max = absl::Seconds(60);
  // A pipeline that ran this long without error starts its backoff afresh.
  absl::Duration retry_reset_after = absl::Seconds(30);
  absl::Duration connect_timeout = absl::Seconds(10);
  // Longest a pause or shutdown waits for buffered rows to load.
  absl::Duration drain_timeout = absl::Seconds(60);
  uint64_t max_buffered_bytes = 64 << 20;
  // Turns and schedules do nothing once set (engine shutting down).
  std::atomic<bool> stopping{false};
  // Called (from a turn) when a pipeline paused (its slot is worth sampling).
  std::function<void()> on_paused;
  // Called (from a turn) when a pipeline finished deleting itself.
  std::function<void(const std::string& pipeline_id)> on_deleted;
};

class PipelineActor : public std::enable_shared_from_this<PipelineActor> {
 public:
  PipelineActor(uint64_t key, state::PipelineRecord record, pipeline::PipelineSpec spec,
                EngineContext* context);
  ~PipelineActor();

  // Queues a turn unless one is queued; a turn under way runs once more.
  void Schedule();

  // The desired state was stored: act on it. Resuming also retries a FAILED
  // pipeline at once.
  void SetDesiredState(state::DesiredState desired);
  // Stop, drop the slot and publication this pipeline created (unless
  // `keep_slot`), remove its rows; then context->on_deleted. A later request
  // replaces an earlier one still under way.
  void RequestDelete(bool keep_slot);
  // Drain, checkpoint and close, leaving the desired state as it is.
  void RequestShutdown();
  // Shutdown finished (or nothing was running).
  bool ShutdownComplete() const;
  // Engine teardown, once no turn or job can run any more: drops the runner
  // without draining.
  void Abandon();

  // The published status, its lag computed now.
  PipelineStatus Status() const;
  // A sample of the slot (from the slot monitor): updates lag and warnings
  // (recording raised/cleared ones as events). A lost slot fails the
  // pipeline on its next turn.
  void OnSlotHealth(const SlotHealth& health);

  uint64_t key() const { return key_; }
  const std::string& id() const { return id_; }
  // The source and slot; immutable, with secrets (never log the DSN).
  const std::string& dsn() const { return dsn_; }
  const std::string& slot_name() const { return slot_name_; }

 private:
  enum class Phase {
    kIdle,
    kSnapshotStarting,  // job: snapshot::StartSnapshot
    kSnapshotting,
    kStarting,  // job: PipelineRunner::Start
    kRunning,
    kDraining,
    kClosing,  // job: runner Close
    kWaitRetry,
    kFailed,
    kDeleting,    // job: drop slot and publication, delete rows
    kCompleting,  // job: initial_only finished: drop the slot, record it
    kCompleted,
    kDone,
  };
  struct Commands {
    state::DesiredState desired = state::DesiredState::kRunning;
    bool delete_requested = false;
    bool keep_slot = false;
    uint64_t delete_seq = 0;  // which request the delete job serves
    bool shutdown = false;
    bool retry_now = false;
    bool slot_lost = false;
  };
  // Results of blocking jobs, taken by turns.
  struct JobResults {
    bool start_done = false;
    absl::StatusOr<std::unique_ptr<pipeline::PipelineRunner>> started =
        absl::UnknownError("not started");
    bool close_done = false;
    absl::Status closed;
    bool delete_done = false;
    absl::Status deleted;
    bool complete_done = false;
    absl::Status completed;
    Lsn stop_at = kInvalidLsn;  // with catch_up_: the WAL position to stream to
    bool snapshot_started = false;
    absl::StatusOr<std::unique_ptr<snapshot::SnapshotCopy>> snapshot =
        absl::UnknownError("not started");
  };

  void RunTurn();
  void Turn(absl::Time now);
  // Applies the result of a finished blocking step; false when the turn is
  // over (a step still runs, or the pipeline is done).
  bool TakeJobResults();
  void TurnRunning(const Commands& c, absl::Time now);
  void TurnIdle(const Commands& c);
  void StartRunnerJob();
  // Snapshot phases (pipeline_actor_snapshot.cc).
  void StartSnapshotJob();
  bool TakeSnapshotStart();
  void TurnSnapshot(const Commands& c, absl::Time now);
  // Cancels the copy; true once its jobs have stopped (phase idle).
  bool StopSnapshot(absl::Time now);
  void PublishSnapshot(absl::Time now, bool done);
  void StartCompleteJob();
  bool TakeCompleteResult();
  void StartCloseJob();
  void StartDeleteJob(const Commands& c);
  void RunJob(absl::AnyInvocable<void()> job);
  void StopRunner();
  void Fail(const absl::Status& error, absl::Time now);
  void Publish(PipelineState state, std::string message);
  void PublishStats();
  void Event(std::string_view kind, std::string_view message);
  // Health (pipeline_actor_health.cc): lag bytes and warnings from the
  // latest figures; the changes are to be recorded once mu_ is released.
  std::vector<PipelineAlerts::Change> EvaluateHealth(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordAlertChanges(const std::vector<PipelineAlerts::Change>& changes);
  // The runner's figures at the end of a turn (PublishStats).
  std::vector<PipelineAlerts::Change> OnRunnerStats(const pipeline::RunnerStats& stats)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The runner is going away: what it had not made durable stays pending.
  void OnRunnerStopped() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `message` without the spec's passwords (a second line of defence).
  std::string Scrub(std::string message) const;
  pipeline::RunnerConfig MakeRunnerConfig();

  const uint64_t key_;
  const std::string id_;
  const std::string dsn_;
  const std::string slot_name_;
  EngineContext* const context_;
  std::shared_ptr<spdlog::logger> log_;

  // Turn-only state (turns are serial).
  pipeline::PipelineSpec spec_;  // with secrets: never log or publish it
  std::unique_ptr<pipeline::PipelineRunner> runner_;
  std::unique_ptr<snapshot::SnapshotCopy> snapshot_;
  bool snapshot_needed_ = false;  // snapshot mode asks for one and it is not done
  // initial_only: stream from the checkpoint up to the WAL position of the
  // end of the copy (a resumed copy has changes to catch up on), then complete.
  bool catch_up_ = false;
  Lsn stop_at_ = kInvalidLsn;
  bool completing_ = false;        // draining to complete
  bool complete_pending_ = false;  // the completion job is due
  int64_t rate_rows_ = 0;          // rows copied at rate_time_
  absl::Time rate_time_ = absl::InfinitePast();
  Phase phase_ = Phase::kIdle;
  RetryBackoff backoff_;
  int attempt_ = 0;
  absl::Time next_attempt_ = absl::InfinitePast();
  absl::Time running_since_ = absl::InfiniteFuture();
  absl::Time drain_deadline_ = absl::InfiniteFuture();
  bool draining_for_shutdown_ = false;
  bool drain_complete_ = false;
  uint64_t delete_job_seq_ = 0;
  bool ever_started_ = false;

  mutable absl::Mutex mu_;
  Commands commands_ ABSL_GUARDED_BY(mu_);
  JobResults jobs_ ABSL_GUARDED_BY(mu_);
  bool queued_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool again_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_complete_ ABSL_GUARDED_BY(mu_) = false;
  PipelineStatus status_ ABSL_GUARDED_BY(mu_);
  // Counters of earlier runners (status_ accumulates across restarts).
  PipelineStatus base_ ABSL_GUARDED_BY(mu_);
  LagClock lag_clock_ ABSL_GUARDED_BY(mu_);
  PipelineAlerts alerts_ ABSL_GUARDED_BY(mu_);
  absl::Time next_health_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();  // turn-side throttle
  const std::string dsn_password_;
  const std::string sink_password_;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_PIPELINE_ACTOR_H_
