// How far behind its source a pipeline is, in time: "lag seconds".
//
// Definition: lag = now - C, where C is the latest instant such that every
// transaction the source committed before C is durable in StarRocks (C is
// "now" when nothing is pending, so a caught-up pipeline has lag 0 however
// long the source has been idle). It is computed from two kinds of
// evidence, because neither is enough alone:
//  * while streaming, the sink knows the commit time P of the oldest
//    transaction it received and has not made durable. pgoutput sends
//    transactions in commit order, so everything committed before P was
//    received and is durable: C <= P.
//  * WAL not received yet (paused, retrying, failed, or not read yet) is
//    only visible in the slot samples: a sample taken at Ts with
//    pg_current_wal_lsn() = Ls is "covered" once the pipeline's position
//    (received while streaming, confirmed otherwise) reaches Ls. Until then
//    C is bounded by the time of the last covered sample (or the time the
//    pipeline stopped streaming with nothing pending), and while streaming
//    by the commit time R of the newest transaction received (what is not
//    received yet committed after R).
// So: streaming: C = min(P, uncovered sample ? max(B, R) : now);
//     not streaming: C = uncovered sample ? B : now,
// where B is the caught-up bound. A paused pipeline whose slot has WAL
// beyond its confirmed position counts as behind since it stopped (dbmazz
// cannot tell without decoding whether that WAL holds published changes).
// Commit times are the source's clock: the lag is clamped at 0.
//
// Thread-safety: none (the owner locks). Plain value.
#ifndef DBMAZZ_ENGINE_RUNTIME_LAG_CLOCK_H_
#define DBMAZZ_ENGINE_RUNTIME_LAG_CLOCK_H_

#include "absl/time/time.h"
#include "engine/common/lsn.h"

namespace dbmazz::runtime {

class LagClock {
 public:
  // The pipeline starts "caught up as of `now`" (nothing known to be pending).
  explicit LagClock(absl::Time now) : bound_(now) {}

  // A turn of a streaming pipeline: `oldest_pending` (InfiniteFuture: none)
  // and `last_commit` (InfinitePast: none) are the runner's commit times,
  // `received` the larger of its received and flush LSNs.
  void OnStreaming(absl::Time now, absl::Time oldest_pending, absl::Time last_commit, Lsn received);
  // The runner stopped (pause, error, shutdown) at `now`.
  void OnStopped(absl::Time now);
  // A slot sample (`sample_time`, `server_wal_lsn`) of an existing slot.
  // How far the pipeline got is the larger of this run's `received` (from
  // OnStreaming) and `confirmed` while streaming, else `confirmed` (the
  // larger of the slot's
  // confirmed_flush_lsn and the pipeline's confirmed LSN, which follows the
  // server's keepalives when nothing is in flight).
  void OnSample(absl::Time sample_time, Lsn server_wal_lsn, Lsn confirmed);

  absl::Duration Lag(absl::Time now) const;

 private:
  void OnPosition(Lsn position);

  bool streaming_ = false;
  absl::Time bound_;                               // B
  absl::Time pending_ = absl::InfiniteFuture();    // P
  absl::Time last_commit_ = absl::InfinitePast();  // R
  bool uncovered_ = false;                         // a sample is ahead of the position
  absl::Time uncovered_time_ = absl::InfinitePast();
  Lsn uncovered_lsn_ = kInvalidLsn;
  Lsn position_ = kInvalidLsn;  // the current run's received/flush position
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_LAG_CLOCK_H_
