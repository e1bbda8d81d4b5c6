// ConvertBody: the rows, counts and error lines of an array body must be what
// the general reader gives for the same objects, also when the one-pass fast
// path reads (and converts) the first rows before it meets a row only the
// general reader handles and everything starts over.
#include "tests/support/starrocks_emulator/row_converter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dbmazz::starrocks_emulator {
namespace {

TableSpec Spec() {
  auto schema = ParseSchema(R"yaml(
databases:
  - name: d
    tables:
      - name: t
        key_columns: [id]
        columns:
          - {name: id, type: BIGINT, not_null: true}
          - {name: name, type: "VARCHAR(8)"}
          - {name: doc, type: JSON}
)yaml");
  EXPECT_TRUE(schema.ok()) << schema.status();
  return schema->tables[0];
}

struct Result {
  std::string status;
  std::vector<std::string> ops;  // "+row" or "-row".
  int64_t total_rows = 0;
  int64_t filtered_rows = 0;
  std::vector<std::string> error_lines;
};

Result Convert(const TableSpec& spec, const std::string& body, bool strip_outer_array) {
  LoadOptions options;
  options.format = "json";
  options.strip_outer_array = strip_outer_array;
  auto plan = MakeLoadPlan(spec, options);
  EXPECT_TRUE(plan.ok()) << plan.status();
  Result result;
  auto converted = ConvertBody(*plan, body);
  result.status = converted.status().ToString();
  if (!converted.ok()) return result;
  for (size_t i = 0; i < converted->ops.size(); ++i) {
    RowBatch::Op op = converted->ops[i];
    result.ops.push_back(std::string(op.is_delete ? "-" : "+").append(op.row));
  }
  result.total_rows = converted->total_rows;
  result.filtered_rows = converted->filtered_rows;
  result.error_lines = converted->error_lines;
  return result;
}

// The objects as one array (fast path first) and as a stream of objects (the
// general reader only).
void ExpectSameAsGeneral(const TableSpec& spec, const std::vector<std::string>& objects,
                         const Result& expected_shape) {
  Result array = Convert(spec, absl::StrCat("[", absl::StrJoin(objects, ","), "]"), true);
  Result stream = Convert(spec, absl::StrJoin(objects, "\n"), false);
  EXPECT_EQ(array.status, stream.status);
  EXPECT_EQ(array.ops, stream.ops);
  EXPECT_EQ(array.total_rows, stream.total_rows);
  EXPECT_EQ(array.filtered_rows, stream.filtered_rows);
  EXPECT_EQ(array.error_lines, stream.error_lines);
  EXPECT_EQ(array.ops.size(), expected_shape.ops.size());
  EXPECT_EQ(array.total_rows, expected_shape.total_rows);
  EXPECT_EQ(array.filtered_rows, expected_shape.filtered_rows);
  EXPECT_EQ(array.error_lines.size(), expected_shape.error_lines.size());
}

const std::vector<std::string> kFlatRows = {
    R"({"id":1,"name":"a","doc":"x"})",
    R"({"id":null,"name":"b"})",                  // Filtered: NULL key.
    R"({"id":3,"name":"a name far too long"})",   // Too long: NULL.
    R"({"id":4,"__op":7})",                       // Filtered: bad __op.
    R"({"id":"5","name":"five","doc":[1,"x"]})",  // Nested: general reader.
    R"({"id":1,"__op":1})",                       // Delete.
    R"({"id":6,"name":"z","doc":{"b":1,"a":2}})",
};

Result Shape(size_t ops, int64_t total, int64_t filtered) {
  Result shape;
  shape.ops.resize(ops);
  shape.total_rows = total;
  shape.filtered_rows = filtered;
  shape.error_lines.resize(static_cast<size_t>(filtered));
  return shape;
}

TEST(RowConverterTest, RestartAfterFlatRowsGivesTheGeneralReadersResult) {
  TableSpec spec = Spec();
  // The nested value comes after four flat rows (two of them filtered).
  ExpectSameAsGeneral(spec, kFlatRows, Shape(5, 7, 2));
  Result array = Convert(spec, absl::StrCat("[", absl::StrJoin(kFlatRows, ","), "]"), true);
  ASSERT_EQ(array.error_lines.size(), 2u);
  EXPECT_EQ(array.error_lines[0],
            R"(Error: NULL value in non-nullable column 'id'. Row: {"id":null,"name":"b"})");
  EXPECT_EQ(array.error_lines[1],
            "Error: Invalid __op value 7, it must be 0 (upsert) or 1 (delete). Row: "
            R"({"id":4,"__op":7})");
}

TEST(RowConverterTest, FlatBodiesMatchTheGeneralReader) {
  TableSpec spec = Spec();
  std::vector<std::string> flat = {kFlatRows[0], kFlatRows[1], kFlatRows[2], kFlatRows[3],
                                   kFlatRows[5]};
  ExpectSameAsGeneral(spec, flat, Shape(3, 5, 2));
  ExpectSameAsGeneral(spec, {}, Shape(0, 0, 0));
}

TEST(RowConverterTest, AnInvalidRowAfterFlatOnesFailsTheWholeBody) {
  TableSpec spec = Spec();
  for (const char* last : {R"({"id":9,"name":"\ud800"})", R"({"id":1e999})", R"({"id":})"}) {
    std::string body = absl::StrCat("[", kFlatRows[0], ",", kFlatRows[1], ",", last, "]");
    Result array = Convert(spec, body, true);
    EXPECT_NE(array.status.find("parse error"), std::string::npos) << body << array.status;
    EXPECT_TRUE(array.ops.empty());
  }
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
