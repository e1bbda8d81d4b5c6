// One pipeline inside the engine: its lifecycle state machine, run in short
// non-blocking turns on the worker pool, never two turns at once.
//
//   idle ──start──▶ running ──pause/shutdown──▶ draining ──▶ idle (PAUSED)
//     ▲               │ error                                  │
//     │ backoff       ▼                                        │
//   wait-retry ◀── transient          permanent ──▶ failed ◀───┘ (resume retries)
//   delete (from any phase): stop, drop slot/publication, remove state rows.
//
// A turn runs when the reactor sees the replication socket ready or the
// wake-up time pass, when a load completes, or when a command arrives.
// Commands (pause, resume, delete, shutdown) only set flags and schedule a
// turn: they return at once, whatever the sink or source is doing.
//
// Ownership: owns its runner; borrows the context's store, pool, reactor and
// dispatcher, which must outlive it. Held by shared_ptr: queued turns keep it
// alive.
// Thread-safety: thread-safe. mu_ guards the commands and the published
// status; the runner is touched only by the (serial) turns.
#ifndef DBMAZZ_ENGINE_RUNTIME_PIPELINE_ACTOR_H_
#define DBMAZZ_ENGINE_RUNTIME_PIPELINE_ACTOR_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "engine/pipeline/pipeline_runner.h"
#include "engine/pipeline/pipeline_spec.h"
#include "engine/runtime/checkpoint_committer.h"
#include "engine/runtime/failure_policy.h"
#include "engine/runtime/pipeline_status.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/worker_pool.h"
#include "engine/sink/load_dispatcher.h"
#include "engine/state/state_store.h"

namespace spdlog {
class logger;
}

namespace dbmazz::runtime {

// What every pipeline of an engine shares. Owned by the engine.
struct EngineContext {
  state::StateStore* store = nullptr;
  WorkerPool* pool = nullptr;
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
  // Turns do nothing once set (engine shutting down).
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
  // `keep_slot`), remove its rows; then context->on_deleted.
  void RequestDelete(bool keep_slot);
  // Drain, checkpoint and close, leaving the desired state as it is.
  void RequestShutdown();
  // Shutdown finished (or nothing was running).
  bool ShutdownComplete() const;

  PipelineStatus Status() const;
  // A sample of the slot (from the slot monitor). A lost slot fails the
  // pipeline on its next turn.
  void OnSlotHealth(const SlotHealth& health);

  uint64_t key() const { return key_; }
  const std::string& id() const { return id_; }
  // The source and slot; immutable, with secrets (never log the DSN).
  const std::string& dsn() const { return dsn_; }
  const std::string& slot_name() const { return slot_name_; }

 private:
  enum class Phase { kIdle, kRunning, kDraining, kWaitRetry, kFailed, kDone };
  struct Commands {
    state::DesiredState desired;
    bool delete_requested;
    bool keep_slot;
    bool shutdown;
    bool retry_now;
    bool slot_lost;
  };

  void RunTurn();
  void Turn(absl::Time now);
  void TurnRunning(const Commands& c, absl::Time now);
  void StartRunner(absl::Time now);
  void StopRunner();
  void Fail(const absl::Status& error, absl::Time now);
  void Delete(bool keep_slot);
  void Publish(PipelineState state, std::string message);
  void PublishStats();
  void Event(std::string_view kind, std::string_view message);

  pipeline::RunnerConfig MakeRunnerConfig();

  const uint64_t key_;
  const std::string id_;
  const std::string dsn_;
  const std::string slot_name_;
  EngineContext* const context_;
  std::shared_ptr<spdlog::logger> log_;

  // Turn-only state (turns are serial).
  state::PipelineRecord record_;
  pipeline::PipelineSpec spec_;  // with secrets: never log or publish it
  std::unique_ptr<pipeline::PipelineRunner> runner_;
  Phase phase_ = Phase::kIdle;
  RetryBackoff backoff_;
  int attempt_ = 0;
  absl::Time next_attempt_ = absl::InfinitePast();
  absl::Time running_since_ = absl::InfiniteFuture();
  absl::Time drain_deadline_ = absl::InfiniteFuture();
  absl::Time delete_deadline_ = absl::InfiniteFuture();
  bool ever_started_ = false;

  mutable absl::Mutex mu_;
  Commands commands_ ABSL_GUARDED_BY(mu_);
  bool queued_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool again_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_complete_ ABSL_GUARDED_BY(mu_) = false;
  PipelineStatus status_ ABSL_GUARDED_BY(mu_);
  // Counters of earlier runners (status_ accumulates across restarts).
  PipelineStatus base_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_PIPELINE_ACTOR_H_
