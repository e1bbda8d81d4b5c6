// How the engine reacts to a pipeline's error: retry with backoff
// (transient) or stop in FAILED (permanent), and how long to back off.
//
// Transient: the source or sink is unreachable or busy (kUnavailable,
// kDeadlineExceeded, kAborted, kResourceExhausted, kCancelled), including a
// PostgreSQL restart, a slot still in use by a dying connection, and a sink
// load that exhausted its own retries; also kInternal/kUnknown, which are
// unexpected and not known to be permanent. Permanent: everything that needs
// a person — credentials, privileges, missing tables or slots, an
// invalidated slot, a rejected row, malformed protocol bytes (kDataLoss).
//
// Thread-safety: pure functions; RetryBackoff is one-thread.
#ifndef DBMAZZ_ENGINE_RUNTIME_FAILURE_POLICY_H_
#define DBMAZZ_ENGINE_RUNTIME_FAILURE_POLICY_H_

#include <cstdint>
#include <random>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace dbmazz::runtime {

[[nodiscard]] bool IsTransientFailure(const absl::Status& status);

// Exponential backoff with full jitter: the delay before attempt n (from 1)
// is uniform in [initial/2, min(max, initial * 2^(n-1))] — never zero, so a
// flapping source is not hammered.
class RetryBackoff {
 public:
  RetryBackoff(absl::Duration initial, absl::Duration max, uint64_t seed)
      : initial_(initial), max_(max), rng_(seed) {}
  [[nodiscard]] absl::Duration Delay(int attempt);

 private:
  absl::Duration initial_;
  absl::Duration max_;
  std::mt19937_64 rng_;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_FAILURE_POLICY_H_
