#include "engine/runtime/failure_policy.h"

#include <algorithm>

namespace dbmazz::runtime {

bool IsTransientFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

absl::Duration RetryBackoff::Delay(int attempt) {
  absl::Duration cap = initial_;
  for (int i = 1; i < attempt && cap < max_; ++i) cap *= 2;
  cap = std::min(cap, max_);
  absl::Duration floor = std::min(initial_ / 2, cap);
  int64_t lo = absl::ToInt64Microseconds(floor);
  int64_t hi = absl::ToInt64Microseconds(cap);
  if (hi <= lo) return cap;
  return absl::Microseconds(std::uniform_int_distribution<int64_t>(lo, hi)(rng_));
}

}  // namespace dbmazz::runtime
