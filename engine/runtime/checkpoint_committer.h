// Group commit of checkpoints: pipelines hand their new checkpoint LSN here
// instead of writing SQLite themselves; one thread commits everything that
// is pending in ONE transaction (one fsync), then tells each pipeline. With
// many pipelines loading at once this turns hundreds of fsyncs a second into
// a few, and keeps the fsync off the worker threads.
//
// Ownership: owns its thread; borrows the state store.
// Thread-safety: thread-safe. Callbacks run on the committer thread and must
// be short (they may call Submit(), which only queues).
// Errors: the callback gets the state store's error for its update; an update
// for a pipeline deleted meanwhile gets kNotFound and does not fail the others.
#ifndef DBMAZZ_ENGINE_RUNTIME_CHECKPOINT_COMMITTER_H_
#define DBMAZZ_ENGINE_RUNTIME_CHECKPOINT_COMMITTER_H_

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "engine/common/lsn.h"
#include "engine/state/state_store.h"

namespace dbmazz::runtime {

class CheckpointCommitter {
 public:
  using Callback = absl::AnyInvocable<void(absl::Status)>;

  explicit CheckpointCommitter(state::StateStore* store);
  // Commits what is pending, then joins.
  ~CheckpointCommitter();
  CheckpointCommitter(const CheckpointCommitter&) = delete;
  CheckpointCommitter& operator=(const CheckpointCommitter&) = delete;

  // Queues `lsn` as `pipeline_id`'s checkpoint; `done` runs once it is
  // durable (OK) or failed.
  void Submit(std::string pipeline_id, Lsn lsn, Callback done);

  // Transactions committed so far (for tests and metrics).
  uint64_t commits() const;

 private:
  struct Pending {
    std::string pipeline_id;
    Lsn lsn;
    Callback done;
  };
  void Run();

  state::StateStore* store_;
  mutable absl::Mutex mu_;
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_CHECKPOINT_COMMITTER_H_
