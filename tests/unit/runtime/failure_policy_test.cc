#include "engine/runtime/failure_policy.h"

#include <gtest/gtest.h>

namespace dbmazz::runtime {
namespace {

TEST(FailurePolicyTest, ClassifiesTransientAndPermanent) {
  EXPECT_TRUE(IsTransientFailure(absl::UnavailableError("connection lost")));
  EXPECT_TRUE(IsTransientFailure(absl::DeadlineExceededError("timeout")));
  EXPECT_TRUE(IsTransientFailure(absl::ResourceExhaustedError("disk full")));
  EXPECT_FALSE(IsTransientFailure(absl::UnauthenticatedError("password")));
  EXPECT_FALSE(IsTransientFailure(absl::PermissionDeniedError("grant")));
  EXPECT_FALSE(IsTransientFailure(absl::NotFoundError("table")));
  EXPECT_FALSE(IsTransientFailure(absl::FailedPreconditionError("slot lost")));
  EXPECT_FALSE(IsTransientFailure(absl::DataLossError("bad bytes")));
  EXPECT_FALSE(IsTransientFailure(absl::InvalidArgumentError("row rejected")));
}

TEST(FailurePolicyTest, BackoffGrowsIsJitteredAndCapped) {
  RetryBackoff backoff(absl::Seconds(1), absl::Seconds(30), 42);
  absl::Duration max_seen;
  bool varied = false;
  absl::Duration previous;
  for (int attempt = 1; attempt <= 12; ++attempt) {
    absl::Duration cap = std::min(absl::Seconds(1) * (1 << (attempt - 1)), absl::Seconds(30));
    for (int i = 0; i < 50; ++i) {
      absl::Duration d = backoff.Delay(attempt);
      EXPECT_GE(d, absl::Milliseconds(500)) << attempt;
      EXPECT_LE(d, cap) << attempt;
      varied |= i > 0 && d != previous;
      previous = d;
      max_seen = std::max(max_seen, d);
    }
  }
  EXPECT_TRUE(varied);
  EXPECT_GT(max_seen, absl::Seconds(15));
}

}  // namespace
}  // namespace dbmazz::runtime
