#include "server/status_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dbmazz::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusMappingTest, OkIsOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(StatusMappingTest, EveryCanonicalCodeMapsToTheSameNumber) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "boom");
    grpc::Status mapped = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(mapped.error_code()), code) << status;
    EXPECT_EQ(mapped.error_message(), "boom");
  }
}

TEST(StatusMappingTest, NamedCodes) {
  EXPECT_EQ(ToGrpcStatus(absl::InvalidArgumentError("x")).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("x")).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpcStatus(absl::AlreadyExistsError("x")).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ToGrpcStatus(absl::FailedPreconditionError("x")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ToGrpcStatus(absl::UnavailableError("x")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("x")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ToGrpcCode(static_cast<absl::StatusCode>(99)), grpc::StatusCode::UNKNOWN);
}

TEST(StatusMappingTest, MessageIsKept) {
  grpc::Status mapped =
      ToGrpcStatus(absl::FailedPreconditionError("table.public.orders.exists: no such table"));
  EXPECT_EQ(mapped.error_message(), "table.public.orders.exists: no such table");
}

TEST(StatusMappingTest, ConninfoPasswordsAreScrubbed) {
  grpc::Status mapped =
      ToGrpcStatus(absl::UnavailableError("connect host=db password=hunter2 dbname=x failed"));
  EXPECT_THAT(mapped.error_message(), Not(HasSubstr("hunter2")));
  EXPECT_THAT(mapped.error_message(), HasSubstr("password=******"));
  EXPECT_THAT(mapped.error_message(), HasSubstr("dbname=x failed"));
}

TEST(StatusMappingTest, QuotedAndSslPasswordsAreScrubbed) {
  std::string out = ScrubSecrets("a PASSWORD = 'it''s \\' secret' sslpassword=k3y end");
  EXPECT_THAT(out, Not(HasSubstr("secret")));
  EXPECT_THAT(out, Not(HasSubstr("k3y")));
  EXPECT_THAT(out, HasSubstr("end"));
}

TEST(StatusMappingTest, UriPasswordsAreScrubbed) {
  std::string out = ScrubSecrets("bad postgresql://alice:s3cret@db:5432/shop here");
  EXPECT_THAT(out, Not(HasSubstr("s3cret")));
  EXPECT_THAT(out, HasSubstr("postgresql://alice:******@db:5432/shop here"));
}

TEST(StatusMappingTest, TextWithoutSecretsIsUnchanged) {
  for (const char* text : {"", "password", "no password here", "http://host:8030/api",
                           "passwords must be set", "x:y@z"}) {
    EXPECT_EQ(ScrubSecrets(text), text);
  }
}

}  // namespace
}  // namespace dbmazz::server
