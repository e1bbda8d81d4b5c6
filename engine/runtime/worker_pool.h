// A fixed set of worker threads running queued tasks in FIFO order. The
// engine runs every pipeline's steps here; a pipeline never owns a thread.
//
// Ownership: owns its threads. Tasks are moved in and destroyed after they
// run (or unrun, at shutdown).
// Thread-safety: thread-safe. Tasks must not block without a bound.
#ifndef DBMAZZ_ENGINE_RUNTIME_WORKER_POOL_H_
#define DBMAZZ_ENGINE_RUNTIME_WORKER_POOL_H_

#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace dbmazz::runtime {

class WorkerPool {
 public:
  // `threads` <= 0 means one per hardware thread.
  explicit WorkerPool(int threads);
  // Shutdown().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`. After Shutdown() started, the task is dropped.
  void Submit(absl::AnyInvocable<void()> task);

  // Runs the tasks already queued, then joins the threads. Idempotent; the
  // pool object stays usable (Submit drops tasks).
  void Shutdown();

  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
  std::once_flag joined_;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_WORKER_POOL_H_
