// Runs the Stream Loads of every pipeline asynchronously on one thread: one
// libcurl multi handle (shared keep-alive connection cache), one easy handle
// per load in flight, the retry policy of LoadOperation (the same one
// StreamLoadClient::Load() follows: deterministic label, backoff with full
// jitter, "Label Already Exists" resolved through get_load_state), with
// timers instead of sleeps. A slow or unreachable StarRocks therefore holds
// no thread: its loads wait in the multi handle while other loads complete.
//
//   auto dispatcher = LoadDispatcher::Create();
//   uint64_t id = (*dispatcher)->Submit(&options, request,
//       [](LoadResult r) { /* dispatcher thread: hand r to the pipeline */ });
//   ...
//   (*dispatcher)->Cancel(id);  // on pause/delete; returns once it is gone
//
// Ownership: the dispatcher owns its thread, the multi handle and the easy
// handles. `options` and the request's `body` are borrowed: they must stay
// valid and unchanged until the completion callback has returned or Cancel()
// has returned.
// Thread-safety: Submit() and Cancel() may be called from any thread
// concurrently. Callbacks run on the dispatcher thread, one at a time, and
// must be short and must not call Cancel() (they may call Submit()).
// Errors: the callback receives the final status of the load — OK once the
// batch is durably applied; otherwise the error StreamLoadClient::Load()
// would return (kCancelled only through Cancel() or destruction is never
// reported: cancelled loads get no callback).
#ifndef DBMAZZ_ENGINE_SINK_LOAD_DISPATCHER_H_
#define DBMAZZ_ENGINE_SINK_LOAD_DISPATCHER_H_

#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/sink/stream_load_client.h"
#include "engine/sink/stream_load_response.h"

namespace dbmazz::sink {

// What one load cost, for metrics.
struct LoadResult {
  absl::Status status;
  int attempts = 0;                 // Stream Load PUTs (first attempt included)
  int label_polls = 0;              // get_load_state requests
  int64_t bytes_sent = 0;           // body bytes handed to libcurl, resends included
  absl::Duration latency;           // Submit() to completion
  AttemptCounts attempt_results{};  // the PUTs by what they came back with
};

class LoadDispatcher {
 public:
  using Callback = absl::AnyInvocable<void(LoadResult)>;

  // Starts the dispatcher thread. Internal if libcurl cannot be initialised.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LoadDispatcher>> Create();

  // Cancels every load still in flight (no callbacks) and joins the thread.
  ~LoadDispatcher();
  LoadDispatcher(const LoadDispatcher&) = delete;
  LoadDispatcher& operator=(const LoadDispatcher&) = delete;

  // Queues a load and returns its id (never 0). An invalid request (see
  // StreamLoadClient::Load) completes through the callback with its error.
  uint64_t Submit(const StreamLoadOptions* options, LoadRequest request, Callback done);

  // Stops the load `id`: after Cancel() returns its callback is not running
  // and will never run, and its borrowed buffers are no longer used. A load
  // that already completed (or an unknown id) is a no-op. Whether StarRocks
  // applied a cancelled load is unknown; a later load with the same label
  // settles it.
  void Cancel(uint64_t id);

  // Loads queued or in flight.
  size_t in_flight() const;

 private:
  class Impl;
  explicit LoadDispatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_LOAD_DISPATCHER_H_
