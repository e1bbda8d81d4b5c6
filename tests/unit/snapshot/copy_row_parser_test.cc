#include "engine/snapshot/copy_row_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace dbmazz::snapshot {
namespace {

using pgoutput::ColumnKind;
using ::testing::HasSubstr;

TEST(CopyRowParserTest, SplitsColumnsAndReadsNulls) {
  CopyRowParser parser;
  pgoutput::TupleData row;
  ASSERT_TRUE(parser.Parse("1\tabc\t\\N\t\n", 4, &row).ok());
  ASSERT_EQ(row.columns.size(), 4u);
  EXPECT_EQ(row.columns[0].kind, ColumnKind::kText);
  EXPECT_EQ(row.columns[0].data, "1");
  EXPECT_EQ(row.columns[1].data, "abc");
  EXPECT_EQ(row.columns[2].kind, ColumnKind::kNull);
  EXPECT_EQ(row.columns[3].kind, ColumnKind::kText);  // empty string, not NULL
  EXPECT_EQ(row.columns[3].data, "");
}

TEST(CopyRowParserTest, Unescapes) {
  CopyRowParser parser;
  pgoutput::TupleData row;
  // \\N is a backslash followed by N (the text "\N"), not NULL.
  ASSERT_TRUE(parser.Parse("a\\tb\\nc\\\\d\tx\\\\N\t\\101\\x41\\q\t\\b\\f\\r\\v", 4, &row).ok());
  EXPECT_EQ(row.columns[0].data, "a\tb\nc\\d");
  EXPECT_EQ(row.columns[1].kind, ColumnKind::kText);
  EXPECT_EQ(row.columns[1].data, "x\\N");
  EXPECT_EQ(row.columns[2].data, "AAq");
  EXPECT_EQ(row.columns[3].data, "\b\f\r\v");
}

TEST(CopyRowParserTest, ValuesStayValidUntilNextParse) {
  CopyRowParser parser;
  pgoutput::TupleData row;
  ASSERT_TRUE(parser.Parse("first\\tvalue\tsecond", 2, &row).ok());
  std::string copy0(row.columns[0].data);
  EXPECT_EQ(copy0, "first\tvalue");
  EXPECT_EQ(row.columns[1].data, "second");
}

TEST(CopyRowParserTest, PlainFieldsPointIntoTheRowEscapedOnesIntoTheBuffer) {
  CopyRowParser parser;
  pgoutput::TupleData row;
  std::string input = "plain\tesc\\\\aped\t\\N\tlast\n";
  ASSERT_TRUE(parser.Parse(input, 4, &row).ok());
  const char* begin = input.data();
  const char* end = begin + input.size();
  EXPECT_EQ(row.columns[0].data, "plain");
  EXPECT_EQ(row.columns[0].data.data(), begin);
  EXPECT_EQ(row.columns[1].data, "esc\\aped");
  EXPECT_TRUE(std::less<const char*>()(row.columns[1].data.data(), begin) ||
              !std::less<const char*>()(row.columns[1].data.data(), end));
  EXPECT_EQ(row.columns[2].kind, ColumnKind::kNull);
  EXPECT_EQ(row.columns[3].data, "last");
  EXPECT_EQ(row.columns[3].data.data(), begin + input.find("last"));
  // Two escaped fields share the buffer without overlapping.
  ASSERT_TRUE(parser.Parse("a\\tb\t\\101\\102\tc\\nd", 3, &row).ok());
  EXPECT_EQ(row.columns[0].data, "a\tb");
  EXPECT_EQ(row.columns[1].data, "AB");
  EXPECT_EQ(row.columns[2].data, "c\nd");
}

TEST(CopyRowParserTest, RejectsWrongColumnCountsAndTruncatedEscapes) {
  CopyRowParser parser;
  pgoutput::TupleData row;
  absl::Status s = parser.Parse("1\t2\t3", 2, &row);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("more than the expected 2"));
  s = parser.Parse("1", 2, &row);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("1 columns, expected 2"));
  EXPECT_EQ(parser.Parse("abc\\", 1, &row).code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(parser.Parse("", 0, &row).ok());
  EXPECT_EQ(parser.Parse("x", 0, &row).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dbmazz::snapshot
