#include "engine/sink/row_encoder.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dbmazz::sink {
namespace {

using nlohmann::json;
using pgoutput::ColumnKind;
using pgoutput::ColumnValue;
using pgoutput::Relation;
using pgoutput::TupleData;
using pgoutput::UpdateMessage;
using testing::HasSubstr;

struct Col {
  std::string name;
  uint32_t oid;
  int32_t typmod = -1;
  bool key = false;
};

Relation MakeRelation(uint32_t id, const std::vector<Col>& cols, uint64_t generation = 1) {
  Relation rel;
  rel.id = id;
  rel.schema = std::string("public");
  rel.name = std::string("t");
  rel.generation = generation;
  for (size_t i = 0; i < cols.size(); ++i) {
    rel.columns.push_back({cols[i].name, cols[i].oid, cols[i].typmod, cols[i].key});
    if (cols[i].key) rel.key_columns.push_back(static_cast<int>(i));
  }
  return rel;
}

ColumnValue T(std::string_view text) { return {ColumnKind::kText, text}; }
ColumnValue Null() { return {ColumnKind::kNull, {}}; }
ColumnValue Toast() { return {ColumnKind::kUnchangedToast, {}}; }
TupleData Tuple(std::vector<ColumnValue> values) { return TupleData{std::move(values)}; }

int32_t NumericTypmod(int precision, int scale) {
  return ((precision << 16) | (scale & 0x7ff)) + 4;
}

// The six-column shape of the benchmark: int8, text, numeric(12,2),
// timestamptz, bool, jsonb.
Relation SixColumns() {
  return MakeRelation(100, {{"id", 20, -1, true},
                            {"name", 25},
                            {"amount", 1700, NumericTypmod(12, 2)},
                            {"created_at", 1184},
                            {"active", 16},
                            {"attrs", 3802}});
}

class RowEncoderTest : public testing::Test {
 protected:
  RowEncoder encoder_;
  EncodeStats stats_;
  ColumnMask mask_;
  std::string out_;
};

TEST_F(RowEncoderTest, FullRowUpsert) {
  const Relation rel = SixColumns();
  const TupleData row =
      Tuple({T("42"), T("Ann \"the\" \\ one"), T("12.50"), T("2024-03-01 12:34:56.123456+00"),
             T("t"), T(R"({"tags": ["a", "é"], "n": 1})")});
  ASSERT_TRUE(encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_).ok());
  const json j = json::parse(out_);
  EXPECT_EQ(j["id"], 42);
  EXPECT_EQ(j["name"], "Ann \"the\" \\ one");
  EXPECT_EQ(j["amount"], "12.50");
  EXPECT_EQ(j["created_at"], "2024-03-01 12:34:56.123456");
  EXPECT_EQ(j["active"], true);
  EXPECT_EQ(j["attrs"], json::parse(R"({"tags": ["a", "é"], "n": 1})"));
  EXPECT_EQ(j["__op"], 0);
  EXPECT_EQ(j.size(), 7u);
  EXPECT_TRUE(mask_.All());
  EXPECT_EQ(mask_.width(), 6u);
  EXPECT_EQ(stats_.rows_upserted, 1u);
  // The op field comes last, as in the documented format.
  EXPECT_THAT(out_, testing::EndsWith(",\"__op\":0}"));
  EXPECT_THAT(out_, testing::StartsWith("{\"id\":42,"));
}

TEST_F(RowEncoderTest, NullsAreJsonNull) {
  const Relation rel = SixColumns();
  const TupleData row = Tuple({T("1"), Null(), Null(), Null(), Null(), Null()});
  ASSERT_TRUE(encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_).ok());
  const json j = json::parse(out_);
  EXPECT_TRUE(j["name"].is_null());
  EXPECT_TRUE(j["attrs"].is_null());
  EXPECT_TRUE(mask_.All());  // NULL is a value: the column is written
}

TEST_F(RowEncoderTest, UnchangedToastWithoutOldRowIsOmitted) {
  const Relation rel = SixColumns();
  const TupleData row =
      Tuple({T("7"), Toast(), T("1.00"), T("2024-01-01 00:00:00+00"), T("f"), Toast()});
  ASSERT_TRUE(encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_).ok());
  const json j = json::parse(out_);
  EXPECT_FALSE(j.contains("name"));
  EXPECT_FALSE(j.contains("attrs"));
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j.size(), 5u);  // 4 columns + __op
  EXPECT_FALSE(mask_.Test(1));
  EXPECT_FALSE(mask_.Test(5));
  EXPECT_TRUE(mask_.Test(0));
  EXPECT_TRUE(mask_.Test(4));
  EXPECT_EQ(mask_.Count(), 4u);
  EXPECT_EQ(stats_.toast_omitted, 2u);
  EXPECT_EQ(out_.find("null"), std::string::npos);
  EXPECT_EQ(out_.find("\"\""), std::string::npos);

  std::string header;
  ASSERT_TRUE(encoder_.AppendColumnsHeader(rel, mask_, &header).ok());
  EXPECT_EQ(header, "`id`,`amount`,`created_at`,`active`,__op");
}

TEST_F(RowEncoderTest, UnchangedToastTakenFromFullOldRow) {
  const Relation rel = SixColumns();
  const TupleData old_row =
      Tuple({T("7"), T("old name"), T("1.00"), T("2024-01-01 00:00:00+00"), T("f"), Null()});
  const TupleData row =
      Tuple({T("7"), Toast(), T("2.00"), T("2024-01-01 00:00:00+00"), T("t"), Toast()});
  ASSERT_TRUE(encoder_.AppendUpsert(rel, row, &old_row, 'O', &out_, &mask_, &stats_).ok());
  const json j = json::parse(out_);
  EXPECT_EQ(j["name"], "old name");
  EXPECT_TRUE(j["attrs"].is_null());  // a real NULL in the old image
  EXPECT_EQ(j["amount"], "2.00");
  EXPECT_TRUE(mask_.All());
  EXPECT_EQ(stats_.toast_omitted, 0u);
}

TEST_F(RowEncoderTest, KeyOnlyOldImageFillsOnlyKeyColumns) {
  const Relation rel = MakeRelation(5, {{"k", 25, -1, true}, {"v", 25}});
  // 'K' image: non-key columns are 'n' meaning "not sent", not NULL.
  const TupleData old_key = Tuple({T("big key"), Null()});
  const TupleData row = Tuple({Toast(), Toast()});
  ASSERT_TRUE(encoder_.AppendUpsert(rel, row, &old_key, 'K', &out_, &mask_, &stats_).ok());
  const json j = json::parse(out_);
  EXPECT_EQ(j["k"], "big key");
  EXPECT_FALSE(j.contains("v"));
  EXPECT_TRUE(mask_.Test(0));
  EXPECT_FALSE(mask_.Test(1));
}

TEST_F(RowEncoderTest, UnknownKeyValueIsAnError) {
  const Relation rel = MakeRelation(5, {{"k", 25, -1, true}, {"v", 25}});
  out_ = "[";
  const TupleData row = Tuple({Toast(), T("x")});
  const absl::Status st = encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(out_, "[");
  EXPECT_EQ(stats_.rows_upserted, 0u);
}

TEST_F(RowEncoderTest, ErrorsLeaveOutputAndStatsUntouched) {
  const Relation rel = MakeRelation(6, {{"id", 20, -1, true}, {"f", 701}, {"s", 25}});
  out_ = "[{\"previous\":1},";
  const std::string before = out_;
  // The float NaN would be a warning, but the row fails on invalid UTF-8.
  const TupleData row = Tuple({T("1"), T("NaN"), T("bad \xff")});
  const absl::Status st = encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("column \"s\""));
  EXPECT_THAT(std::string(st.message()), testing::Not(HasSubstr("bad")));
  EXPECT_EQ(out_, before);
  EXPECT_EQ(stats_.warnings, 0u);
  EXPECT_EQ(stats_.rows_upserted, 0u);

  const TupleData narrow = Tuple({T("1"), T("2")});
  EXPECT_EQ(encoder_.AppendUpsert(rel, narrow, nullptr, 0, &out_, &mask_, &stats_).code(),
            absl::StatusCode::kInvalidArgument);
  const TupleData binary = Tuple({T("1"), {ColumnKind::kBinary, "\x01"}, T("x")});
  EXPECT_EQ(encoder_.AppendUpsert(rel, binary, nullptr, 0, &out_, &mask_, &stats_).code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(out_, before);
}

TEST_F(RowEncoderTest, WarningsAreCountedAndValuesNulled) {
  const Relation rel = MakeRelation(7, {{"id", 20, -1, true}, {"f", 701}, {"d", 1082}});
  const TupleData row = Tuple({T("1"), T("Infinity"), T("0044-03-15 BC")});
  ASSERT_TRUE(encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_).ok());
  const json j = json::parse(out_);
  EXPECT_TRUE(j["f"].is_null());
  EXPECT_TRUE(j["d"].is_null());
  EXPECT_EQ(stats_.warnings, 2u);
  EXPECT_EQ(stats_.nan_or_infinity, 1u);
  EXPECT_EQ(stats_.datetime_out_of_range, 1u);
}

TEST_F(RowEncoderTest, HostileColumnNamesAreEscaped) {
  const Relation rel = MakeRelation(8, {{"id", 23, -1, true},
                                        {"we\"ird\\name", 25},
                                        {"tab\there", 25},
                                        {"back`tick", 25},
                                        {"ünï 😀", 25}});
  const TupleData row = Tuple({T("1"), T("a"), T("b"), T("c"), T("d")});
  ASSERT_TRUE(encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_).ok());
  const json j = json::parse(out_);
  EXPECT_EQ(j["we\"ird\\name"], "a");
  EXPECT_EQ(j["tab\there"], "b");
  EXPECT_EQ(j["back`tick"], "c");
  EXPECT_EQ(j["ünï 😀"], "d");

  std::string header;
  ASSERT_TRUE(encoder_.AppendColumnsHeader(rel, mask_, &header).ok());
  EXPECT_EQ(header, "`id`,`we\"ird\\name`,`tab\there`,`back``tick`,`ünï 😀`,__op");
}

TEST_F(RowEncoderTest, ReservedColumnNamesAreRejected) {
  const Relation rel = MakeRelation(9, {{"id", 23, -1, true}, {"__op", 23}});
  const TupleData row = Tuple({T("1"), T("2")});
  EXPECT_EQ(encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_).code(),
            absl::StatusCode::kInvalidArgument);
  const Relation rel2 = MakeRelation(10, {{"id", 23, -1, true}, {"__dbmazz_hex__x", 23}});
  EXPECT_EQ(encoder_.AppendUpsert(rel2, row, nullptr, 0, &out_, &mask_, &stats_).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RowEncoderTest, ByteaTravelsAsHexUnderTheTemporaryKey) {
  const Relation rel = MakeRelation(11, {{"id", 23, -1, true}, {"pic", 17}, {"pics", 1001}});
  const TupleData row = Tuple({T("1"), T("\\x0a0bff"), T(R"({"\\x00"})")});
  ASSERT_TRUE(encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_).ok());
  const json j = json::parse(out_);
  EXPECT_EQ(j["__dbmazz_hex__pic"], "0a0bff");
  EXPECT_FALSE(j.contains("pic"));
  EXPECT_EQ(j["pics"], json::array({"00"}));
  std::string header;
  ASSERT_TRUE(encoder_.AppendColumnsHeader(rel, mask_, &header).ok());
  EXPECT_EQ(header,
            "`id`,`__dbmazz_hex__pic`,`pic`=hex_decode_binary(`__dbmazz_hex__pic`),`pics`,__op");
}

TEST_F(RowEncoderTest, ArraysInRows) {
  const Relation rel =
      MakeRelation(12, {{"id", 23, -1, true}, {"tags", 1009}, {"m", 1007}, {"ts", 1185}});
  const TupleData row = Tuple(
      {T("1"), T(R"({"a b",NULL,"c\"d"})"), T("{{1,2},{3,4}}"), T("{\"2024-01-01 00:00:00+01\"}")});
  ASSERT_TRUE(encoder_.AppendUpsert(rel, row, nullptr, 0, &out_, &mask_, &stats_).ok());
  const json j = json::parse(out_);
  EXPECT_EQ(j["tags"], json::parse(R"(["a b", null, "c\"d"])"));
  EXPECT_TRUE(j["m"].is_null());
  EXPECT_EQ(j["ts"], json::array({"2023-12-31 23:00:00"}));
  EXPECT_EQ(stats_.unsupported_array, 1u);
}

TEST_F(RowEncoderTest, DeleteCarriesKeyColumnsOnly) {
  const Relation rel = MakeRelation(13, {{"a", 23, -1, true}, {"v", 25}, {"b", 25, -1, true}});
  const TupleData key = Tuple({T("5"), Null(), T("x\"y")});
  ColumnMask written;
  ASSERT_TRUE(encoder_.AppendDelete(rel, key, &out_, &stats_, &written).ok());
  EXPECT_EQ(out_, R"({"a":5,"b":"x\"y","__op":1})");
  EXPECT_EQ(json::parse(out_)["__op"], 1);
  EXPECT_TRUE(written.Test(0));
  EXPECT_FALSE(written.Test(1));
  EXPECT_TRUE(written.Test(2));
  EXPECT_EQ(stats_.rows_deleted, 1u);
  std::string header;
  ASSERT_TRUE(encoder_.AppendColumnsHeader(rel, written, &header).ok());
  EXPECT_EQ(header, "`a`,`b`,__op");
}

TEST_F(RowEncoderTest, DeleteErrors) {
  const Relation no_key = MakeRelation(14, {{"a", 23}});
  EXPECT_EQ(encoder_.AppendDelete(no_key, Tuple({T("1")}), &out_, &stats_).code(),
            absl::StatusCode::kFailedPrecondition);
  const Relation rel = MakeRelation(15, {{"a", 23, -1, true}});
  EXPECT_EQ(encoder_.AppendDelete(rel, Tuple({Toast()}), &out_, &stats_).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(encoder_.AppendDelete(rel, Tuple({T("x")}), &out_, &stats_).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(encoder_.AppendDelete(rel, Tuple({T("1"), T("2")}), &out_, &stats_).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(stats_.rows_deleted, 0u);
}

TEST_F(RowEncoderTest, ABatchOfRowsIsAValidJsonArray) {
  const Relation rel = SixColumns();
  std::string body = "[";
  for (int i = 0; i < 50; ++i) {
    if (i > 0) body.push_back(',');
    const std::string id = std::to_string(i);
    if (i % 5 == 4) {
      ASSERT_TRUE(encoder_
                      .AppendDelete(rel, Tuple({T(id), Null(), Null(), Null(), Null(), Null()}),
                                    &body, &stats_)
                      .ok());
    } else {
      const std::string name = "n\n" + id;  // outlives the row's string_views
      const TupleData row = Tuple({T(id), T(name), T("3.14"), T("2024-03-01 12:34:56+02"),
                                   T(i % 2 ? "t" : "f"), T("[1,{\"x\":null}]")});
      ASSERT_TRUE(encoder_.AppendUpsert(rel, row, nullptr, 0, &body, &mask_, &stats_).ok());
    }
  }
  body.push_back(']');
  const json j = json::parse(body);
  ASSERT_EQ(j.size(), 50u);
  EXPECT_EQ(j[3]["name"], "n\n3");
  EXPECT_EQ(j[3]["created_at"], "2024-03-01 10:34:56");
  EXPECT_EQ(j[4], json::parse(R"({"id":4,"__op":1})"));
  EXPECT_EQ(stats_.rows_upserted, 40u);
  EXPECT_EQ(stats_.rows_deleted, 10u);
}

TEST_F(RowEncoderTest, RedefinedRelationUsesTheNewPlan) {
  Relation rel = MakeRelation(16, {{"id", 23, -1, true}, {"v", 23}}, /*generation=*/1);
  ASSERT_TRUE(
      encoder_.AppendUpsert(rel, Tuple({T("1"), T("5")}), nullptr, 0, &out_, &mask_, &stats_).ok());
  EXPECT_EQ(json::parse(out_)["v"], 5);
  // ALTER COLUMN v TYPE text: pgoutput sends a new Relation message.
  rel = MakeRelation(16, {{"id", 23, -1, true}, {"v", 25}}, /*generation=*/2);
  out_.clear();
  ASSERT_TRUE(
      encoder_.AppendUpsert(rel, Tuple({T("1"), T("5")}), nullptr, 0, &out_, &mask_, &stats_).ok());
  EXPECT_EQ(json::parse(out_)["v"], "5");
}

TEST_F(RowEncoderTest, ColumnsHeaderRejectsWrongWidth) {
  const Relation rel = SixColumns();
  std::string header;
  EXPECT_EQ(encoder_.AppendColumnsHeader(rel, ColumnMask(3), &header).code(),
            absl::StatusCode::kInvalidArgument);
  ColumnMask all;
  all.SetAll(6);
  ASSERT_TRUE(encoder_.AppendColumnsHeader(rel, all, &header).ok());
  EXPECT_EQ(header, "`id`,`name`,`amount`,`created_at`,`active`,`attrs`,__op");
}

UpdateMessage Update(char old_kind, TupleData old_tuple, TupleData new_tuple) {
  UpdateMessage m;
  m.relation_id = 1;
  m.old_kind = old_kind;
  m.old_tuple = std::move(old_tuple);
  m.new_tuple = std::move(new_tuple);
  return m;
}

TEST(KeyChangedTest, DetectsPrimaryKeyChanges) {
  const Relation rel = MakeRelation(1, {{"a", 23, -1, true}, {"v", 25}, {"b", 23, -1, true}});
  // No old image: the key did not change.
  EXPECT_FALSE(*KeyChanged(rel, Update(0, {}, Tuple({T("1"), T("x"), T("2")}))));
  // 'K' with a different key value.
  EXPECT_TRUE(*KeyChanged(
      rel, Update('K', Tuple({T("1"), Null(), T("2")}), Tuple({T("1"), T("x"), T("3")}))));
  // 'K' sent because the key is stored out of line, but the value is the same.
  EXPECT_FALSE(*KeyChanged(
      rel, Update('K', Tuple({T("1"), Null(), T("2")}), Tuple({T("1"), T("x"), T("2")}))));
  // A key column unchanged-TOAST in the new tuple is unchanged.
  EXPECT_FALSE(*KeyChanged(
      rel, Update('K', Tuple({T("1"), Null(), T("2")}), Tuple({T("1"), T("x"), Toast()}))));
  // NULL vs value counts as a change (unique keys can be NULL).
  EXPECT_TRUE(*KeyChanged(
      rel, Update('K', Tuple({T("1"), Null(), Null()}), Tuple({T("1"), T("x"), T("2")}))));
  // Mismatched widths.
  EXPECT_FALSE(KeyChanged(rel, Update('K', Tuple({T("1")}), Tuple({T("1"), T("x"), T("2")}))).ok());
}

TEST(KeyChangedTest, ReplicaIdentityFullWithExplicitPrimaryKey) {
  // REPLICA IDENTITY FULL: pgoutput flags every column as key.
  const Relation rel = MakeRelation(2, {{"id", 23, -1, true}, {"v", 25, -1, true}});
  const UpdateMessage value_only =
      Update('O', Tuple({T("1"), T("old")}), Tuple({T("1"), T("new")}));
  EXPECT_TRUE(*KeyChanged(rel, value_only));  // every column counts as key
  const std::vector<int> primary_key = {0};
  EXPECT_FALSE(*KeyChanged(primary_key, rel.columns.size(), value_only));
  const UpdateMessage key_too = Update('O', Tuple({T("1"), T("old")}), Tuple({T("2"), T("old")}));
  EXPECT_TRUE(*KeyChanged(primary_key, rel.columns.size(), key_too));
  const std::vector<int> bad = {5};
  EXPECT_FALSE(KeyChanged(bad, rel.columns.size(), key_too).ok());
}

}  // namespace
}  // namespace dbmazz::sink
