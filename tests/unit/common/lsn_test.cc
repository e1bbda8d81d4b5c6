#include "engine/common/lsn.h"

#include <gtest/gtest.h>

namespace dbmazz {
namespace {

TEST(LsnTest, FormatsLikePostgres) {
  EXPECT_EQ(FormatLsn(0), "0/0");
  EXPECT_EQ(FormatLsn(0x16B374D848ull), "16/B374D848");
  EXPECT_EQ(FormatLsn(~0ull), "FFFFFFFF/FFFFFFFF");
}

TEST(LsnTest, ParsesWhatItFormats) {
  for (Lsn lsn : {Lsn{0}, Lsn{1}, Lsn{0x16B374D848ull}, ~Lsn{0}}) {
    auto parsed = ParseLsn(FormatLsn(lsn));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, lsn);
  }
  auto lower = ParseLsn("16/b374d848");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*lower, 0x16B374D848ull);
}

TEST(LsnTest, RejectsMalformed) {
  for (const char* bad :
       {"", "/", "1/", "/1", "1", "1/2/3", "g/0", "123456789/0", "1 /2", "-1/0"}) {
    EXPECT_FALSE(ParseLsn(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace dbmazz
