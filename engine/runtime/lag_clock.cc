#include "engine/runtime/lag_clock.h"

#include <algorithm>

namespace dbmazz::runtime {

void LagClock::OnStreaming(absl::Time now, absl::Time oldest_pending, absl::Time last_commit,
                           Lsn received) {
  if (!streaming_) {
    streaming_ = true;
    last_commit_ = absl::InfinitePast();  // only commits received by this run count
  }
  pending_ = oldest_pending;
  if (last_commit != absl::InfinitePast()) last_commit_ = std::max(last_commit_, last_commit);
  if (received != kInvalidLsn) position_ = std::max(position_, received);
  OnPosition(received);
  if (!uncovered_ && pending_ == absl::InfiniteFuture()) bound_ = std::max(bound_, now);
}

void LagClock::OnStopped(absl::Time now) {
  if (!streaming_) return;
  // What was pending stays pending; otherwise the pipeline was caught up
  // with everything it had received.
  if (pending_ != absl::InfiniteFuture()) {
    // Everything committed before P is durable (commit order), nothing at or
    // after P is known to be: C = P until a later run gets past what this
    // one had received.
    bound_ = std::min(pending_, now);
    if (!uncovered_ && position_ != kInvalidLsn) {
      uncovered_ = true;
      uncovered_lsn_ = position_;
      uncovered_time_ = last_commit_ != absl::InfinitePast() ? std::min(last_commit_, now) : bound_;
    }
  } else if (uncovered_) {
    bound_ = std::max(bound_, std::min(last_commit_, now));
  } else {
    bound_ = std::max(bound_, now);
  }
  streaming_ = false;
  pending_ = absl::InfiniteFuture();
  position_ = kInvalidLsn;  // the next run's position counts from its own reads
}

void LagClock::OnSample(absl::Time sample_time, Lsn server_wal_lsn, Lsn confirmed) {
  if (server_wal_lsn == kInvalidLsn) return;
  // While streaming, this run's own reads count too (not an older run's:
  // those may be ahead of what this one has made durable again).
  Lsn position =
      streaming_ && position_ != kInvalidLsn ? std::max(position_, confirmed) : confirmed;
  if (position != kInvalidLsn && position >= server_wal_lsn) {
    // Covered; but what is still pending keeps C at or before P.
    bound_ = std::max(bound_, std::min(sample_time, pending_));
    uncovered_ = false;
    return;
  }
  // Keep the newest uncovered sample (covering it covers the older ones).
  uncovered_ = true;
  uncovered_time_ = sample_time;
  uncovered_lsn_ = server_wal_lsn;
}

void LagClock::OnPosition(Lsn position) {
  if (uncovered_ && position != kInvalidLsn && position >= uncovered_lsn_) {
    bound_ = std::max(bound_, uncovered_time_);
    uncovered_ = false;
  }
}

absl::Duration LagClock::Lag(absl::Time now) const {
  absl::Time caught_up = now;
  if (streaming_) {
    if (uncovered_) caught_up = std::max(bound_, std::min(last_commit_, now));
    caught_up = std::min(caught_up, pending_);
  } else if (uncovered_) {
    caught_up = bound_;
  }
  return std::max(absl::ZeroDuration(), now - caught_up);
}

}  // namespace dbmazz::runtime
