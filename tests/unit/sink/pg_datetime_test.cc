#include "engine/sink/pg_datetime.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dbmazz::sink {
namespace {

class PgDatetimeTest : public testing::Test {
 protected:
  std::string Date(std::string_view text) { return Check(AppendPgDate(text, &out_, &stats_)); }
  std::string Ts(std::string_view text) {
    return Check(AppendPgTimestamp(text, /*with_time_zone=*/false, &out_, &stats_));
  }
  std::string Tstz(std::string_view text) {
    return Check(AppendPgTimestamp(text, /*with_time_zone=*/true, &out_, &stats_));
  }

  EncodeStats stats_;

 private:
  std::string Check(const absl::Status& st) {
    std::string result = st.ok() ? out_ : "ERROR";
    if (st.ok()) {
      EXPECT_TRUE(nlohmann::json::accept(out_)) << out_;
    }
    out_.clear();
    return result;
  }
  std::string out_;
};

TEST_F(PgDatetimeTest, DatesInRange) {
  EXPECT_EQ(Date("0001-01-01"), "\"0001-01-01\"");
  EXPECT_EQ(Date("9999-12-31"), "\"9999-12-31\"");
  EXPECT_EQ(Date("2024-02-29"), "\"2024-02-29\"");
  EXPECT_EQ(Date("2000-02-29"), "\"2000-02-29\"");
  EXPECT_EQ(stats_.warnings, 0u);
}

TEST_F(PgDatetimeTest, DatesOutOfStarRocksRangeAreNullWithWarning) {
  EXPECT_EQ(Date("0044-03-15 BC"), "null");
  EXPECT_EQ(Date("0001-02-29 BC"), "null");  // 1 BC is a leap year: valid, but BC
  EXPECT_EQ(Date("infinity"), "null");
  EXPECT_EQ(Date("-infinity"), "null");
  EXPECT_EQ(Date("10000-01-01"), "null");
  EXPECT_EQ(Date("5874897-12-31"), "null");
  EXPECT_EQ(stats_.warnings, 6u);
  EXPECT_EQ(stats_.datetime_out_of_range, 6u);
}

TEST_F(PgDatetimeTest, MalformedDatesAreErrors) {
  for (const char* bad : {"", "2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31",
                          "2024-1-01", "24-01-01", "2024/01/01", "2024-01-01 ", "2024-01-01 AD",
                          "0000-01-01", "Infinity", "2024-01-01 00:00:00"}) {
    EXPECT_EQ(Date(bad), "ERROR") << bad;
  }
}

TEST_F(PgDatetimeTest, Timestamps) {
  EXPECT_EQ(Ts("2024-03-01 12:34:56.123456"), "\"2024-03-01 12:34:56.123456\"");
  EXPECT_EQ(Ts("2024-03-01 12:34:56.5"), "\"2024-03-01 12:34:56.500000\"");
  EXPECT_EQ(Ts("2024-03-01 12:34:56.000001"), "\"2024-03-01 12:34:56.000001\"");
  EXPECT_EQ(Ts("2024-03-01 00:00:00"), "\"2024-03-01 00:00:00\"");
  EXPECT_EQ(Ts("0001-01-01 00:00:00"), "\"0001-01-01 00:00:00\"");
  EXPECT_EQ(Ts("9999-12-31 23:59:59.999999"), "\"9999-12-31 23:59:59.999999\"");
  EXPECT_EQ(stats_.warnings, 0u);
  EXPECT_EQ(Ts("0044-03-15 12:00:00.5 BC"), "null");
  EXPECT_EQ(Ts("294276-12-31 23:59:59"), "null");
  EXPECT_EQ(Ts("infinity"), "null");
  EXPECT_EQ(Ts("-infinity"), "null");
  EXPECT_EQ(stats_.datetime_out_of_range, 4u);
  for (const char* bad :
       {"2024-03-01", "2024-03-01T12:34:56", "2024-03-01 24:00:00", "2024-03-01 12:60:00",
        "2024-03-01 12:00:60", "2024-03-01 12:00:00.", "2024-03-01 12:00:00.1234567",
        "2024-03-01 12:00:00+00", "2024-03-01 1:00:00"}) {
    EXPECT_EQ(Ts(bad), "ERROR") << bad;
  }
}

TEST_F(PgDatetimeTest, TimestamptzConvertsToUtc) {
  // The replication session runs with TimeZone=UTC, so this is the usual form.
  EXPECT_EQ(Tstz("2024-03-01 12:34:56.123456+00"), "\"2024-03-01 12:34:56.123456\"");
  EXPECT_EQ(Tstz("2024-03-01 12:34:56+00"), "\"2024-03-01 12:34:56\"");
  // Whole-hour, half-hour and second offsets.
  EXPECT_EQ(Tstz("2024-03-01 12:34:56.1+05:30"), "\"2024-03-01 07:04:56.100000\"");
  EXPECT_EQ(Tstz("2024-03-01 12:00:00-03"), "\"2024-03-01 15:00:00\"");
  EXPECT_EQ(Tstz("2024-03-01 12:00:00+05:45"), "\"2024-03-01 06:15:00\"");
  EXPECT_EQ(Tstz("1800-01-01 05:53:28+05:53:28"), "\"1800-01-01 00:00:00\"");
  // Crossing midnight and the year, both directions.
  EXPECT_EQ(Tstz("2023-12-31 20:30:00-03:30"), "\"2024-01-01 00:00:00\"");
  EXPECT_EQ(Tstz("2024-01-01 02:00:00+05"), "\"2023-12-31 21:00:00\"");
  EXPECT_EQ(Tstz("2024-01-01 00:29:59.999999+00:30"), "\"2023-12-31 23:59:59.999999\"");
  // Leap days.
  EXPECT_EQ(Tstz("2024-02-29 23:30:00-01"), "\"2024-03-01 00:30:00\"");
  EXPECT_EQ(Tstz("2023-02-28 23:30:00-01"), "\"2023-03-01 00:30:00\"");
  EXPECT_EQ(Tstz("2024-03-01 00:30:00+01"), "\"2024-02-29 23:30:00\"");
  EXPECT_EQ(Tstz("2100-03-01 00:30:00+01"), "\"2100-02-28 23:30:00\"");
  EXPECT_EQ(stats_.warnings, 0u);
  // Conversions leaving StarRocks' range.
  EXPECT_EQ(Tstz("9999-12-31 23:00:00-02"), "null");
  EXPECT_EQ(Tstz("0044-03-15 12:00:00+00 BC"), "null");
  EXPECT_EQ(Tstz("infinity"), "null");
  EXPECT_EQ(stats_.datetime_out_of_range, 3u);
  // Year 0 (1 BC) after conversion is still inside StarRocks' 0000-9999.
  EXPECT_EQ(Tstz("0001-01-01 00:30:00+01"), "\"0000-12-31 23:30:00\"");
}

TEST_F(PgDatetimeTest, MalformedTimestamptz) {
  for (const char* bad :
       {"2024-03-01 12:34:56", "2024-03-01 12:34:56+5", "2024-03-01 12:34:56+05:3",
        "2024-03-01 12:34:56+05:30:", "2024-03-01 12:34:56 +00", "2024-03-01 12:34:56+24",
        "2024-03-01 12:34:56+05:60", "2024-03-01 12:34:56Z", "2024-03-01 12:34:56+00 AD",
        "2024-03-01 12:34:56+00BC"}) {
    EXPECT_EQ(Tstz(bad), "ERROR") << bad;
  }
}

TEST(CivilDaysTest, KnownDaysAndRoundTrip) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 1, 1), 10957);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(0, 3, 1), -719468);
  for (int64_t d = -800000; d <= 3000000; d += 13) {
    int64_t y = 0;
    int m = 0;
    int day = 0;
    CivilFromDays(d, &y, &m, &day);
    ASSERT_EQ(DaysFromCivil(y, m, day), d) << y << "-" << m << "-" << day;
    ASSERT_GE(m, 1);
    ASSERT_LE(m, 12);
    ASSERT_GE(day, 1);
    ASSERT_LE(day, 31);
  }
}

}  // namespace
}  // namespace dbmazz::sink
