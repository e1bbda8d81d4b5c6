#include "engine/postgres/pg_error.h"

#include <gtest/gtest.h>

namespace dbmazz::postgres {
namespace {

TEST(PgErrorTest, ClassifiesReplicationSqlStates) {
  EXPECT_EQ(CodeForSqlState("55006"), absl::StatusCode::kUnavailable);         // slot in use
  EXPECT_EQ(CodeForSqlState("42704"), absl::StatusCode::kNotFound);            // slot missing
  EXPECT_EQ(CodeForSqlState("55000"), absl::StatusCode::kFailedPrecondition);  // invalidated
  EXPECT_EQ(CodeForSqlState("28P01"), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeForSqlState("28000"), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeForSqlState("42501"), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeForSqlState("42P01"), absl::StatusCode::kNotFound);
  EXPECT_EQ(CodeForSqlState("42710"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeForSqlState("57P01"), absl::StatusCode::kUnavailable);  // admin shutdown
  EXPECT_EQ(CodeForSqlState("08006"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("53300"), absl::StatusCode::kUnavailable);  // too many connections
  EXPECT_EQ(CodeForSqlState("40001"), absl::StatusCode::kAborted);
  EXPECT_EQ(CodeForSqlState("42601"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeForSqlState("XX000"), absl::StatusCode::kInternal);
  EXPECT_EQ(CodeForSqlState("bad"), absl::StatusCode::kInternal);
}

TEST(PgErrorTest, SqlStateTravelsWithTheStatus) {
  absl::Status s = MakePgStatus(absl::StatusCode::kUnavailable, "slot in use", "55006");
  EXPECT_EQ(SqlStateOf(s), "55006");
  EXPECT_TRUE(IsTransient(s));
  EXPECT_FALSE(SqlStateOf(absl::InternalError("x")).has_value());
  EXPECT_FALSE(IsTransient(MakePgStatus(absl::StatusCode::kNotFound, "gone", "42704")));
  EXPECT_TRUE(IsTransient(absl::DeadlineExceededError("slow")));
}

}  // namespace
}  // namespace dbmazz::postgres
