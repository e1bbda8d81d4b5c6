// One WatchPipeline stream: writes the pipeline's status at once, then
// whenever (state, message, desired state, raised warnings) changes and at least every
// `interval`, polled by a WatchHub tick (100 ms granularity). One write in
// flight at a time: a status produced while a write is outstanding replaces
// the pending one (the client always gets the newest).
//
// Ends: NOT_FOUND when the pipeline does not exist at the start; OK when it
// disappears later (only a deletion removes a pipeline: it was deleted while
// watched, and the last message sent may show DELETING); CANCELLED when the
// client goes away.
//
// Ownership: gRPC holds the reactor until OnDone; the hub holds a shared
// reference until then too (Start() registers, OnDone() unregisters and
// releases the self reference). Thread-safety: gRPC callbacks and Tick() may
// run on different threads; all state is under mu_.
#ifndef DBMAZZ_SERVER_WATCH_REACTOR_H_
#define DBMAZZ_SERVER_WATCH_REACTOR_H_

#include <grpcpp/support/server_callback.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dbmazz/v1/pipeline_service.pb.h"
#include "engine/runtime/engine.h"
#include "server/watch_hub.h"

namespace dbmazz::server {

class WatchReactor : public grpc::ServerWriteReactor<dbmazz::v1::Pipeline>,
                     public WatchHub::Watch,
                     public std::enable_shared_from_this<WatchReactor> {
 public:
  // `engine` and `hub` must outlive the RPC (the server is shut down first).
  static WatchReactor* Start(runtime::Engine* engine, WatchHub* hub, std::string pipeline_id,
                             absl::Duration interval);

  WatchReactor(runtime::Engine* engine, WatchHub* hub, std::string pipeline_id,
               absl::Duration interval);

  void Tick(absl::Time now) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Polls the engine; writes or queues a status when due, finishes when the
  // pipeline is gone.
  void PollLocked(absl::Time now, bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteLocked(dbmazz::v1::Pipeline pipeline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  runtime::Engine* const engine_;
  WatchHub* const hub_;
  const std::string pipeline_id_;
  const absl::Duration interval_;

  absl::Mutex mu_;
  std::shared_ptr<WatchReactor> self_ ABSL_GUARDED_BY(mu_);
  dbmazz::v1::Pipeline in_flight_ ABSL_GUARDED_BY(mu_);
  std::optional<dbmazz::v1::Pipeline> pending_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool seen_any_ ABSL_GUARDED_BY(mu_) = false;
  int last_state_ ABSL_GUARDED_BY(mu_) = -1;
  int last_desired_ ABSL_GUARDED_BY(mu_) = -1;
  std::string last_message_ ABSL_GUARDED_BY(mu_);
  std::string last_warnings_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sent_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace dbmazz::server

#endif  // DBMAZZ_SERVER_WATCH_REACTOR_H_
