// Unit tests of the emulator's building blocks (no sockets).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/starrocks_emulator/basic_auth.h"
#include "tests/support/starrocks_emulator/column_type.h"
#include "tests/support/starrocks_emulator/json_row_reader.h"
#include "tests/support/starrocks_emulator/label_registry.h"
#include "tests/support/starrocks_emulator/load_options.h"
#include "tests/support/starrocks_emulator/load_response.h"
#include "tests/support/starrocks_emulator/row_codec.h"
#include "tests/support/starrocks_emulator/schema.h"
#include "tests/support/starrocks_emulator/value_converter.h"
#include "tests/support/starrocks_emulator/value_text.h"

namespace dbmazz::starrocks_emulator {
namespace {

TEST(ColumnTypeTest, ParsesStarRocksSpellings) {
  struct Case {
    const char* text;
    const char* canonical;
  };
  for (const Case& c : std::vector<Case>{{"bigint", "BIGINT"},
                                         {" Decimal( 10 , 2 ) ", "DECIMAL(10,2)"},
                                         {"DECIMAL", "DECIMAL(10,0)"},
                                         {"varchar(64)", "VARCHAR(64)"},
                                         {"VARCHAR", "VARCHAR(1)"},
                                         {"string", "STRING"},
                                         {"ARRAY<ARRAY<INT>>", "ARRAY<ARRAY<INT>>"},
                                         {"datetime", "DATETIME"},
                                         {"largeint", "LARGEINT"}}) {
    auto t = ParseColumnType(c.text);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status();
    EXPECT_EQ(t->ToString(), c.canonical);
  }
  for (const char* bad : {"", "INT(3)", "DECIMAL(39,0)", "DECIMAL(5,6)", "VARCHAR(0)", "ARRAY<>",
                          "ARRAY<INT", "FOO", "CHAR(256)", "VARCHAR(x)"}) {
    EXPECT_FALSE(ParseColumnType(bad).ok()) << bad;
  }
}

TEST(ValueTextTest, Decimals) {
  EXPECT_EQ(ParseDecimal("1.005", 10, 2), "1.01");
  EXPECT_EQ(ParseDecimal("-1.005", 10, 2), "-1.01");
  EXPECT_EQ(ParseDecimal("1.004", 10, 2), "1.00");
  EXPECT_EQ(ParseDecimal("12", 4, 2), "12.00");
  EXPECT_EQ(ParseDecimal("123", 4, 2), std::nullopt);
  EXPECT_EQ(ParseDecimal("99.995", 4, 2), std::nullopt);
  EXPECT_EQ(ParseDecimal("1.5e2", 5, 1), "150.0");
  EXPECT_EQ(ParseDecimal("-0.001", 5, 2), "0.00");
  EXPECT_EQ(ParseDecimal(".5", 3, 0), "1");
  EXPECT_EQ(ParseDecimal("abc", 10, 2), std::nullopt);
  EXPECT_EQ(ParseDecimal("1.2.3", 10, 2), std::nullopt);
  EXPECT_EQ(ParseDecimal("", 10, 2), std::nullopt);
}

TEST(ValueTextTest, DatesAndTimes) {
  EXPECT_EQ(ParseDate("2024-02-29"), "2024-02-29");
  EXPECT_EQ(ParseDate("2024-2-9"), "2024-02-09");
  EXPECT_EQ(ParseDate("20240229"), "2024-02-29");
  EXPECT_EQ(ParseDate("2024-02-29 10:11:12"), "2024-02-29");
  EXPECT_EQ(ParseDate("2023-02-29"), std::nullopt);
  EXPECT_EQ(ParseDate("2024-13-01"), std::nullopt);
  EXPECT_EQ(ParseDate("2024-01-01x"), std::nullopt);
  EXPECT_EQ(ParseDatetime("2024-01-02T03:04:05"), "2024-01-02 03:04:05");
  EXPECT_EQ(ParseDatetime("2024-01-02 03:04:05.123"), "2024-01-02 03:04:05.123000");
  EXPECT_EQ(ParseDatetime("2024-01-02"), "2024-01-02 00:00:00");
  EXPECT_EQ(ParseDatetime("20240102030405"), "2024-01-02 03:04:05");
  EXPECT_EQ(ParseDatetime("2024-01-02 24:00:00"), std::nullopt);
}

TEST(ValueTextTest, CompareCanonical) {
  auto big = *ParseColumnType("BIGINT");
  auto dec = *ParseColumnType("DECIMAL(10,2)");
  auto str = *ParseColumnType("STRING");
  EXPECT_LT(CompareCanonical(big, "-10", "2"), 0);
  EXPECT_GT(CompareCanonical(big, "10", "9"), 0);
  EXPECT_LT(CompareCanonical(dec, "-1.50", "-1.25"), 0);
  EXPECT_GT(CompareCanonical(dec, "10.00", "9.99"), 0);
  EXPECT_EQ(CompareCanonical(dec, "0.00", "-0.00"), 0);
  EXPECT_LT(CompareCanonical(str, "10", "9"), 0);
}

RawValue Str(std::string s) {
  RawValue v;
  v.kind = RawKind::kString;
  v.text = std::move(s);
  return v;
}

RawValue Int(int64_t n) {
  RawValue v;
  v.kind = RawKind::kInt;
  v.int_value = n;
  return v;
}

TEST(ValueConverterTest, IntegersFollowStarRocksRules) {
  auto tiny = *ParseColumnType("TINYINT");
  std::string out;
  EXPECT_TRUE(ConvertValue(tiny, "c", Int(127), &out).ok());
  EXPECT_EQ(out, "127");
  out.clear();
  absl::Status st = ConvertValue(tiny, "c", Int(128), &out);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "Value is overflow. column=c, value=128");
  st = ConvertValue(tiny, "c", Str("abc"), &out);
  EXPECT_EQ(st.message(), "Unable to cast string value to BIGINT. value=abc, column=c");
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(ConvertValue(tiny, "c", Str(" 7 "), &out).ok());
  EXPECT_EQ(out, "7");
  RawValue b;
  b.kind = RawKind::kBool;
  EXPECT_FALSE(ConvertValue(tiny, "c", b, &out).ok());
}

TEST(ValueConverterTest, StringsAndLengths) {
  auto v3 = *ParseColumnType("VARCHAR(3)");
  std::string out;
  EXPECT_TRUE(ConvertValue(v3, "c", Str("abc"), &out).ok());
  EXPECT_FALSE(ConvertValue(v3, "c", Str("abcd"), &out).ok());
  EXPECT_FALSE(ConvertValue(v3, "c", Str("\xc3\xa9\xc3\xa9"), &out).ok());  // 4 bytes.
  out.clear();
  RawValue t;
  t.kind = RawKind::kBool;
  t.boolean = true;
  EXPECT_TRUE(ConvertValue(v3, "c", t, &out).ok());
  EXPECT_EQ(out, "1");
}

TEST(ValueConverterTest, Defaults) {
  std::string out;
  EXPECT_TRUE(ConvertDefault(*ParseColumnType("DECIMAL(5,2)"), "c", "1.5", &out).ok());
  EXPECT_EQ(out, "1.50");
  out.clear();
  EXPECT_FALSE(ConvertDefault(*ParseColumnType("INT"), "c", "x", &out).ok());
}

std::vector<std::string> ReadNames(const char* body, bool strip, absl::Status* st) {
  JsonRowReader reader({"id", "name"});
  std::vector<std::string> rows;
  *st = reader.Read(body, strip,
                    [&](const JsonRowReader::Row& row) { rows.push_back(reader.RowToJson(row)); });
  return rows;
}

TEST(JsonRowReaderTest, ShapesAndKeys) {
  absl::Status st;
  auto rows =
      ReadNames(R"([{"ID":1,"x":{"deep":[1,{"a":2}]},"Name":"n"},{"id":2,"id":3}])", true, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], R"({"id":1,"name":"n"})");
  EXPECT_EQ(rows[1], R"({"id":2})");  // First duplicate wins.

  rows = ReadNames(R"({"id":1,"name":{"b":1,"a":[2]}})", false, &st);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(rows[0], R"({"id":1,"name":{"b":1,"a":[2]}})");  // Nested: compact, in order.

  rows = ReadNames(R"(  [] )", true, &st);
  EXPECT_TRUE(st.ok());
  EXPECT_TRUE(rows.empty());
  rows = ReadNames(R"([{"id":"a\"}b"}] trailing)", true, &st);
  EXPECT_FALSE(st.ok());
}

TEST(RowCodecTest, RoundTrips) {
  std::string row;
  AppendCell(&row, "42");
  AppendNullCell(&row);
  AppendCell(&row, "");
  AppendCell(&row, std::string(300, 'x'));
  std::vector<CellView> cells;
  ASSERT_TRUE(DecodeRow(row, 4, &cells));
  EXPECT_EQ(cells[0], "42");
  EXPECT_FALSE(cells[1].has_value());
  EXPECT_EQ(cells[2], "");
  EXPECT_EQ(cells[3]->size(), 300u);
  EXPECT_EQ(EncodeRow(cells), row);
  EXPECT_EQ(PrefixLength(row, 2), 4u);
  EXPECT_FALSE(DecodeRow(row, 3, &cells));                                  // Trailing bytes.
  EXPECT_FALSE(DecodeRow(std::string_view(row).substr(0, 10), 4, &cells));  // Truncated.
}

TEST(SchemaTest, ParsesAndRejects) {
  auto schema = ParseSchema(R"({"databases":[{"name":"d","tables":[{"name":"t","keys":"duplicate",
      "columns":[{"name":"a","type":"INT"},{"name":"b","type":"DATE","default":"2024-1-2"}]}]}]})");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->users.size(), 1u);
  EXPECT_EQ(schema->users[0].name, "root");
  ASSERT_EQ(schema->tables.size(), 1u);
  EXPECT_EQ(schema->tables[0].model, KeyModel::kDuplicate);
  EXPECT_EQ(schema->tables[0].columns[1].default_value, "2024-01-02");

  for (const char* bad : {
           "databases: [{name: d, tables: [{name: t, columns: []}]}]",
           "databases: [{name: d, tables: [{name: t, columns: [{name: a, type: INT}, "
           "{name: A, type: INT}]}]}]",
           "databases: [{name: d, tables: [{name: t, key_columns: [b], columns: [{name: a, "
           "type: INT}, {name: b, type: INT}]}]}]",
           "databases: [{name: d, tables: [{name: t, columns: [{name: j, type: JSON}]}]}]",
           "databases: [{name: d, tables: [{name: t, keys: unique, columns: [{name: a, type: "
           "INT}]}]}]",
           "databases: [{name: d, tables: [{name: t, columns: [{name: a, type: INT, default: "
           "x}]}]}]",
           "[1, 2",
       }) {
    EXPECT_FALSE(ParseSchema(bad).ok()) << bad;
  }
}

TEST(BasicAuthTest, PasswordsMayContainColons) {
  auto creds = ParseBasicAuth(MakeBasicAuth("u", "a:b:c"));
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->user, "u");
  EXPECT_EQ(creds->password, "a:b:c");
  EXPECT_FALSE(ParseBasicAuth("Bearer x").has_value());
  EXPECT_FALSE(ParseBasicAuth("Basic !!!").has_value());
  EXPECT_FALSE(ParseBasicAuth("Basic dXNlcg==").has_value());  // "user", no colon.
}

TEST(LoadOptionsTest, Labels) {
  EXPECT_TRUE(IsValidLabel("a-b_C9"));
  EXPECT_FALSE(IsValidLabel(""));
  EXPECT_FALSE(IsValidLabel("a:b"));
  EXPECT_FALSE(IsValidLabel(std::string(129, 'x')));
}

TEST(LabelRegistryTest, ReuseRules) {
  LabelRegistry labels;
  std::string status;
  EXPECT_TRUE(labels.Begin("d", "l", 1, &status));
  EXPECT_FALSE(labels.Begin("d", "l", 2, &status));
  EXPECT_EQ(status, "RUNNING");
  EXPECT_TRUE(labels.Begin("other", "l", 3, &status));
  labels.Set("d", "l", TxnState::kAborted);
  EXPECT_TRUE(labels.Begin("d", "l", 4, &status));
  labels.Set("d", "l", TxnState::kVisible);
  EXPECT_FALSE(labels.Begin("d", "l", 5, &status));
  EXPECT_EQ(status, "FINISHED");
  EXPECT_EQ(labels.Lookup("d", "l").txn_id, 4);
  EXPECT_EQ(labels.Lookup("d", "nope").state, TxnState::kUnknown);
}

TEST(LoadResponseTest, LabelAlreadyExistsShape) {
  LoadResult r;
  r.label.assign(1, 'x');
  r.status = LoadStatus::kLabelAlreadyExists;
  r.existing_job_status = std::string("RUNNING");
  r.message.assign(1, 'm');
  std::string json = RenderStreamLoadResult(r);
  EXPECT_LT(json.find("\"Status\": \"Label Already Exists\""),
            json.find("\"ExistingJobStatus\": \"RUNNING\""));
  EXPECT_LT(json.find("\"ExistingJobStatus\""), json.find("\"Message\": \"m\""));
  EXPECT_EQ(
      RenderLoadState("ABORTED", "why"),
      R"({"state":"ABORTED","reason":"why","status":"OK","code":"0","msg":"Success","message":"OK"})");
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
