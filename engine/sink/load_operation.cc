#include "engine/sink/load_operation.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::sink {

using std::chrono::milliseconds;

LoadOperation::LoadOperation(const StreamLoadOptions& options, const LoadRequest& request,
                             std::mt19937_64* rng)
    : prefix_(absl::StrCat("Stream Load into ", options.database, ".", request.table, " (label ",
                           request.label, "): ")),
      max_retries_(options.max_retries),
      initial_backoff_(options.initial_backoff),
      max_backoff_(options.max_backoff),
      label_wait_timeout_(options.label_wait_timeout),
      rng_(rng) {
  if (request.label.empty()) {
    invalid_ =
        absl::InvalidArgumentError("a label is required: it is what makes retries idempotent");
  } else {
    invalid_ = ValidateLoadRequest(request);
  }
}

LoadNext LoadOperation::Start(absl::Time now) {
  if (state_ != State::kNew) return Misuse("Start() called twice");
  if (!invalid_.ok()) return Fail(invalid_);
  state_ = State::kSending;
  backing_off_ = false;
  return {LoadAction::kSend, now};
}

LoadNext LoadOperation::OnSent(const absl::StatusOr<LoadResponse>& response, absl::Time now) {
  if (state_ != State::kSending) return Misuse("OnSent() without a pending send");
  ++attempts_;
  if (attempts_ > 1) ++retries_;
  ++attempt_results_[static_cast<size_t>(ClassifyAttempt(response))];
  backing_off_ = false;
  Classification c =
      response.ok() ? ClassifyLoadResponse(*response) : ClassifyLoadError(response.status());
  switch (c.outcome) {
    case LoadOutcome::kLoaded:
      return Succeed();
    case LoadOutcome::kPermanent:
      return Fail(c.error);
    case LoadOutcome::kRetryable:
      last_error_ = c.error;
      return Resend(/*backoff=*/true, now);
    case LoadOutcome::kLabelInProgress:
      break;
  }
  // Another attempt of this batch holds the label: wait for it to settle.
  state_ = State::kPolling;
  label_deadline_ = now + absl::FromChrono(label_wait_timeout_);
  poll_delay_ = std::max(initial_backoff_, milliseconds(1));
  return {LoadAction::kGetState, now};
}

LoadNext LoadOperation::OnState(const absl::StatusOr<LoadState>& state, absl::Time now) {
  if (state_ != State::kPolling) return Misuse("OnState() without a pending get_load_state");
  ++label_polls_;
  std::string why;
  if (state.ok()) {
    switch (state->state) {
      case TxnState::kVisible:
      case TxnState::kCommitted:
        return Succeed();
      case TxnState::kAborted:
        // An aborted label is free again at once.
        last_error_ = absl::UnavailableError(absl::StrCat(
            "label was ABORTED", state->reason.empty() ? "" : absl::StrCat(": ", state->reason)));
        return Resend(/*backoff=*/false, now);
      case TxnState::kUnknown:
        // Contradicts "Label Already Exists" (e.g. a lagging follower FE).
        // Resending is safe: the label still guards against a double apply.
        last_error_ =
            absl::UnavailableError("Label Already Exists, but get_load_state answered UNKNOWN");
        return Resend(/*backoff=*/true, now);
      case TxnState::kPrepare:
      case TxnState::kPrepared:
        why = absl::StrCat("label still ", AsAbsl(TxnStateName(state->state)));
        break;
    }
  } else {
    if (ClassifyLoadError(state.status()).outcome == LoadOutcome::kPermanent) {
      return Fail(state.status());
    }
    why = absl::StrCat("get_load_state: ", state.status().message());
  }
  if (now >= label_deadline_) {
    return Fail(absl::UnavailableError(absl::StrCat("Label Already Exists and not settled after ",
                                                    label_wait_timeout_.count(), " ms: ", why)));
  }
  absl::Duration delay = std::min(absl::FromChrono(poll_delay_),
                                  absl::Ceil(label_deadline_ - now, absl::Milliseconds(1)));
  poll_delay_ = std::min(poll_delay_ * 2, std::max(max_backoff_, milliseconds(1)));
  return {LoadAction::kGetState, now + delay};
}

LoadNext LoadOperation::Cancel() {
  if (state_ == State::kDone) return {LoadAction::kDone, absl::InfinitePast()};
  if (state_ == State::kSending && backing_off_) {
    return Fail(absl::CancelledError(
        absl::StrCat("cancelled while backing off; last error: ", last_error_.message())));
  }
  return Fail(absl::CancelledError("cancelled"));
}

LoadNext LoadOperation::Resend(bool backoff, absl::Time now) {
  const int retry = attempts_ - 1;  // Retries done so far.
  if (retry >= max_retries_) {
    return Fail(absl::UnavailableError(absl::StrCat(
        "gave up after ", retry + 1, " attempts; last error: ", last_error_.message())));
  }
  state_ = State::kSending;
  backing_off_ = backoff;
  return {LoadAction::kSend, backoff ? now + Backoff(retry) : now};
}

LoadNext LoadOperation::Succeed() {
  state_ = State::kDone;
  status_ = absl::OkStatus();
  return {LoadAction::kDone, absl::InfinitePast()};
}

LoadNext LoadOperation::Misuse(const char* what) {
  if (state_ == State::kDone) return {LoadAction::kDone, absl::InfinitePast()};
  return Fail(absl::InternalError(what));
}

LoadNext LoadOperation::Fail(const absl::Status& error) {
  state_ = State::kDone;
  status_ = absl::Status(error.code(), absl::StrCat(prefix_, error.message()));
  return {LoadAction::kDone, absl::InfinitePast()};
}

absl::Duration LoadOperation::Backoff(int retry) {
  int64_t cap = initial_backoff_.count();
  const int64_t max = max_backoff_.count();
  for (int i = 0; i < retry && cap < max; ++i) cap *= 2;
  cap = std::min(cap, max);
  if (cap <= 0) return absl::ZeroDuration();
  return absl::Milliseconds(std::uniform_int_distribution<int64_t>(0, cap)(*rng_));
}

}  // namespace dbmazz::sink
