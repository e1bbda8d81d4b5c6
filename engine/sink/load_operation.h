// The retry policy of one Stream Load, as a pure state machine: it does no
// I/O and reads no clock (the caller passes the time in). The caller performs
// the actions it asks for and reports their outcomes:
//
//   LoadOperation op(options, request, &rng);
//   for (LoadNext next = op.Start(now); next.action != LoadAction::kDone;) {
//     wait until next.at (or cancel: next = op.Cancel(); break;)
//     if (next.action == LoadAction::kSend)
//       next = op.OnSent(<Stream Load PUT of request>, now);
//     else
//       next = op.OnState(<get_load_state of request.label>, now);
//   }
//   absl::Status final = op.status();
//
// The policy (StreamLoadClient::Load() documents it for users):
//   - an empty label or an invalid request: done with that error;
//   - kLoaded: done, OK; kPermanent: done with the error;
//   - kRetryable: resend with the same label after a full-jitter backoff
//     (uniform in [0, min(max_backoff, initial_backoff * 2^retry)]);
//   - kLabelInProgress: poll get_load_state at once, then with a delay that
//     starts at initial_backoff (at least 1 ms) and doubles up to max_backoff,
//     until label_wait_timeout has passed since the answer that said so:
//       VISIBLE/COMMITTED -> done, OK; ABORTED -> resend at once;
//       UNKNOWN -> resend after a backoff; PREPARE/PREPARED or a retryable
//       get_load_state error -> poll again, or Unavailable at the deadline;
//       a permanent get_load_state error -> done with it;
//   - a resend after attempt n (from 1) when n > max_retries: Unavailable
//     "gave up after n attempts; last error: <message>".
// Every final error is prefixed "Stream Load into <db>.<table> (label <L>): ".
//
// Ownership: copies what it needs from `options` and `request`; borrows
// `rng`, which must outlive the operation.
// Thread-safety: thread-compatible.
#ifndef DBMAZZ_ENGINE_SINK_LOAD_OPERATION_H_
#define DBMAZZ_ENGINE_SINK_LOAD_OPERATION_H_

#include <chrono>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/sink/stream_load_request.h"
#include "engine/sink/stream_load_response.h"

namespace dbmazz::sink {

enum class LoadAction {
  kSend,      // One Stream Load PUT of the request (same label every time).
  kGetState,  // One get_load_state GET for the request's label.
  kDone,      // Finished: see status().
};

struct LoadNext {
  LoadAction action = LoadAction::kDone;
  absl::Time at;  // When to do it (meaningless for kDone).
};

class LoadOperation {
 public:
  LoadOperation(const StreamLoadOptions& options, const LoadRequest& request, std::mt19937_64* rng);

  // First action: kSend now, or kDone for an invalid request.
  [[nodiscard]] LoadNext Start(absl::Time now);
  // The outcome of the kSend asked for, completed at `now`.
  [[nodiscard]] LoadNext OnSent(const absl::StatusOr<LoadResponse>& response, absl::Time now);
  // The outcome of the kGetState asked for, completed at `now`.
  [[nodiscard]] LoadNext OnState(const absl::StatusOr<LoadState>& state, absl::Time now);
  // Ends the operation with Cancelled ("cancelled", or "cancelled while
  // backing off; last error: ..." while a resend waits for its backoff).
  // No-op once done.
  LoadNext Cancel();

  // Calling Start twice, or OnSent/OnState when that was not the action
  // asked for, ends the operation with Internal (once done, every call is a
  // no-op returning kDone).

  [[nodiscard]] bool done() const { return state_ == State::kDone; }
  // The final status; valid once done().
  [[nodiscard]] const absl::Status& status() const { return status_; }
  // Stream Load PUTs reported (first attempt included), resends among them,
  // get_load_state answers reported.
  [[nodiscard]] int attempts() const { return attempts_; }
  [[nodiscard]] int retries() const { return retries_; }
  [[nodiscard]] int label_polls() const { return label_polls_; }
  // The PUTs reported, by what they came back with.
  [[nodiscard]] const AttemptCounts& attempt_results() const { return attempt_results_; }

 private:
  enum class State { kNew, kSending, kPolling, kDone };

  // After a failed attempt (last_error_ set): resend (now or after a
  // backoff), or give up past max_retries.
  LoadNext Resend(bool backoff, absl::Time now);
  LoadNext Succeed();
  LoadNext Fail(const absl::Status& error);
  LoadNext Misuse(const char* what);
  absl::Duration Backoff(int retry);

  std::string prefix_;  // "Stream Load into db.table (label L): "
  absl::Status invalid_;
  int max_retries_;
  std::chrono::milliseconds initial_backoff_;
  std::chrono::milliseconds max_backoff_;
  std::chrono::milliseconds label_wait_timeout_;
  std::mt19937_64* rng_;

  State state_ = State::kNew;
  bool backing_off_ = false;  // The pending kSend waits for a backoff.
  absl::Status status_;
  absl::Status last_error_;
  absl::Time label_deadline_;
  std::chrono::milliseconds poll_delay_{0};
  int attempts_ = 0;
  int retries_ = 0;
  int label_polls_ = 0;
  AttemptCounts attempt_results_{};
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_LOAD_OPERATION_H_
