#include "engine/pipeline/dsn_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dbmazz::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(DsnInfoTest, CheckDsnNeedsADatabase) {
  EXPECT_TRUE(CheckDsn("f", "dbname=shop").ok());
  EXPECT_TRUE(CheckDsn("f", "postgres://u@h/shop").ok());
  EXPECT_EQ(CheckDsn("f", "host=h").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckDsn("f", "host=h dbname=''").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(CheckDsn("f", std::string("dbname=a\0b", 10)).message(), HasSubstr("NUL"));
}

TEST(DsnInfoTest, MaskKeepsEverythingButSecrets) {
  std::string masked =
      MaskDsnSecrets("host=db dbname=shop password='it\\'s' sslpassword=keypass", "******");
  EXPECT_THAT(masked, HasSubstr("host='db'"));
  EXPECT_THAT(masked, HasSubstr("dbname='shop'"));
  EXPECT_THAT(masked, HasSubstr("password='******'"));
  EXPECT_THAT(masked, HasSubstr("sslpassword='******'"));
  EXPECT_THAT(masked, Not(HasSubstr("keypass")));
  std::string uri = MaskDsnSecrets("postgresql://app:hunter2@db:5433/shop", "******");
  EXPECT_THAT(uri, Not(HasSubstr("hunter2")));
  EXPECT_THAT(uri, HasSubstr("port='5433'"));
  EXPECT_EQ(MaskDsnSecrets("host='oops password=x", "******"), "<unparseable DSN>");
}

TEST(DsnInfoTest, PasswordAndScrub) {
  EXPECT_EQ(DsnPassword("host=db password=abc dbname=x"), "abc");
  EXPECT_EQ(DsnPassword("postgresql://u:p%40ss@h/db"), "p@ss");
  EXPECT_EQ(DsnPassword("host=db"), "");
  EXPECT_EQ(DsnPassword("host='bad"), "");
  EXPECT_EQ(ScrubSecret("a abcd b abcd", "abcd"), "a ****** b ******");
  EXPECT_EQ(ScrubSecret("unchanged", ""), "unchanged");
  EXPECT_EQ(ScrubSecret("port 127.0.0.1", "1"), "port 127.0.0.1");
}

}  // namespace
}  // namespace dbmazz::pipeline
