// The CDC engine: every pipeline of a dbmazzd process, their lifecycle and
// their durable state. No gRPC here; server/ adapts these calls.
//
//   auto engine = Engine::Open({.state_path = "/var/lib/dbmazz/state.db"});
//   auto status = (*engine)->Create("orders", spec);   // validated, then started
//   (*engine)->Pause("orders"); (*engine)->Resume("orders");
//   (*engine)->Delete("orders", /*keep_slot=*/false);
//
// Open() resumes every pipeline whose desired state is running from its
// stored checkpoint. Pipelines run on a fixed worker pool (no thread per
// pipeline); one reactor thread watches every replication socket and timer;
// one dispatcher thread drives every Stream Load (docs/architecture.md).
//
// Calls return promptly: they validate, update SQLite and hand the change to
// the pipeline, which acts on its next turn. Only Create() and Validate()
// talk to the source and the sink (bounded by the spec's timeouts), because
// a spec is checked against the live systems before anything is created.
//
// Ownership: owns the state store, pool, reactor, dispatcher and pipelines.
// Thread-safety: thread-safe; any number of callers.
// Errors: kInvalidArgument (bad id or spec, naming the field), kNotFound
// (unknown pipeline), kAlreadyExists (id, slot or publication taken),
// kFailedPrecondition (a live check failed, naming it; or the wrong state),
// kUnavailable (source or sink unreachable during validation), plus the
// state store's errors.
#ifndef DBMAZZ_ENGINE_RUNTIME_ENGINE_H_
#define DBMAZZ_ENGINE_RUNTIME_ENGINE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/pipeline/pipeline_spec.h"
#include "engine/pipeline/spec_validator.h"
#include "engine/runtime/pipeline_actor.h"
#include "engine/runtime/pipeline_status.h"
#include "engine/runtime/slot_monitor.h"

namespace dbmazz::runtime {

struct EngineOptions {
  std::string state_path;  // SQLite file; created 0600 if missing
  int worker_threads = 0;  // 0: one per hardware thread
  // Threads for steps that may block on the network (connecting, creating
  // or dropping slots, closing sessions), kept off the streaming workers.
  int admin_threads = 4;
  // Threads copying snapshot chunks (all pipelines), and each pipeline's
  // copy sessions and target rows per chunk.
  int snapshot_threads = 2;
  int snapshot_parallelism = 2;
  int64_t snapshot_chunk_rows = 100000;
  absl::Duration retry_initial = absl::Seconds(1);
  absl::Duration retry_max = absl::Seconds(60);
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration drain_timeout = absl::Seconds(60);
  uint64_t max_buffered_bytes_per_pipeline = 64 << 20;
  // How often the replication slots are sampled (lag, retained WAL).
  absl::Duration slot_sample_interval = absl::Seconds(10);
  // Create() probes the sink's FE (sink.reachable); off in some tests.
  bool check_sink_on_create = true;
};

class Engine {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options);
  // Drains and checkpoints every running pipeline (bounded by drain_timeout),
  // closes their sessions and stops the threads. Desired states are kept.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Fills defaults, validates the spec statically and against the live
  // source (and sink), stores it and starts the pipeline (desired running).
  [[nodiscard]] absl::StatusOr<PipelineStatus> Create(std::string_view pipeline_id,
                                                      pipeline::PipelineSpec spec);
  // Every check Create() runs, as results (nothing is created).
  [[nodiscard]] absl::StatusOr<std::vector<pipeline::CheckResult>> Validate(
      std::string_view pipeline_id, pipeline::PipelineSpec spec);

  [[nodiscard]] absl::StatusOr<PipelineStatus> Get(std::string_view pipeline_id) const;
  [[nodiscard]] std::vector<PipelineStatus> List() const;

  // Idempotent; persisted. kFailedPrecondition while deleting.
  [[nodiscard]] absl::StatusOr<PipelineStatus> Pause(std::string_view pipeline_id);
  // Idempotent; persisted; retries a FAILED pipeline at once.
  [[nodiscard]] absl::StatusOr<PipelineStatus> Resume(std::string_view pipeline_id);
  // Starts the deletion and returns the pipeline in DELETING; it disappears
  // from Get/List when done (or turns FAILED with the reason if the slot
  // could not be dropped). Idempotent while deleting.
  [[nodiscard]] absl::StatusOr<PipelineStatus> Delete(std::string_view pipeline_id, bool keep_slot);

  // The pipeline's events, newest first.
  [[nodiscard]] absl::StatusOr<std::vector<state::EventRecord>> Events(std::string_view pipeline_id,
                                                                       int limit,
                                                                       int64_t before_id = 0);

  state::StateStore& store() { return *store_; }
  int worker_threads() const { return pool_->size(); }

 private:
  Engine(EngineOptions options, std::unique_ptr<state::StateStore> store);
  [[nodiscard]] absl::Status Start();
  [[nodiscard]] absl::StatusOr<std::vector<pipeline::CheckResult>> CheckLive(
      std::string_view pipeline_id, const pipeline::PipelineSpec& spec);
  std::shared_ptr<PipelineActor> Find(std::string_view pipeline_id) const;
  [[nodiscard]] absl::StatusOr<PipelineStatus> SetDesired(std::string_view pipeline_id,
                                                          state::DesiredState desired);
  std::shared_ptr<PipelineActor> AddActor(state::PipelineRecord record,
                                          pipeline::PipelineSpec spec);
  void Fire(uint64_t key);
  std::shared_ptr<PipelineActor> FindKey(uint64_t key) const;

  const EngineOptions options_;
  std::unique_ptr<state::StateStore> store_;
  EngineContext context_;
  std::unique_ptr<CheckpointCommitter> committer_;
  std::unique_ptr<sink::LoadDispatcher> dispatcher_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<WorkerPool> admin_pool_;
  std::unique_ptr<WorkerPool> snapshot_pool_;
  std::unique_ptr<SlotMonitor> slot_monitor_;

  // Serializes Create/Delete against each other (name checks, then insert).
  absl::Mutex admin_mu_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<PipelineActor>> by_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::shared_ptr<PipelineActor>> by_key_ ABSL_GUARDED_BY(mu_);
  uint64_t next_key_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_ENGINE_H_
