// Row semantics: conversions, filtering and max_filter_ratio, __op deletes,
// partial updates, merge conditions, body shapes and atomicity.
#include <string>

#include "tests/support/starrocks_emulator/emulator_test_util.h"

namespace dbmazz::starrocks_emulator {
namespace {

TEST_F(EmulatorTest, KeysMatchColumnsCaseInsensitivelyAndMissingGetDefaults) {
  nlohmann::json j =
      Load("orders", R"([{"ID":1,"Name":"a","unknown":5},{"id":2,"qty":7}])", JsonOptions("ci"));
  ASSERT_EQ(j["Status"], "Success") << j;
  nlohmann::json rows = Rows("orders");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["id"], 1);
  EXPECT_EQ(rows[0]["name"], "a");
  EXPECT_EQ(rows[0]["qty"], 0);  // DEFAULT 0.
  EXPECT_TRUE(rows[0]["amount"].is_null());
  EXPECT_EQ(rows[1]["qty"], 7);
}

TEST_F(EmulatorTest, ConvertsValuesLikeStarRocks) {
  nlohmann::json j = Load("typed", R"([
    {"k":1,"b":true,"t":"12","s":1.9,"big":"170141183460469231731687303715884105727","f":1.5,
     "d":"2.25","c":"abcd","ts":"2024-02-29T13:04:05.5","j":{"z":1,"a":[true,null]},
     "bin":"raw","arr":["x","toolong",7]},
    {"k":2,"b":"false","t":-128,"s":"32767","big":-5,"f":"3","d":1e3,"c":42,
     "ts":"2024-01-01","j":"text","bin":12,"arr":[]},
    {"k":3,"b":0,"j":[1,2],"c":{"a":1}}
  ])",
                          JsonOptions("types"));
  ASSERT_EQ(j["Status"], "Success") << j;
  EXPECT_EQ(j["NumberLoadedRows"], 3);
  nlohmann::json rows = Rows("typed");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["b"], true);
  EXPECT_EQ(rows[0]["t"], 12);
  EXPECT_EQ(rows[0]["s"], 1);  // Truncated, as StarRocks casts doubles.
  EXPECT_EQ(rows[0]["big"], "170141183460469231731687303715884105727");
  EXPECT_EQ(rows[0]["f"], 1.5);
  EXPECT_EQ(rows[0]["d"], 2.25);
  EXPECT_EQ(rows[0]["c"], "abcd");
  EXPECT_EQ(rows[0]["ts"], "2024-02-29 13:04:05.500000");
  EXPECT_EQ(rows[0]["j"], nlohmann::json::parse(R"({"a":[true,null],"z":1})"));
  EXPECT_EQ(rows[0]["bin"], "raw");
  EXPECT_EQ(rows[0]["arr"], nlohmann::json::parse(R"(["x",null,"7"])"));
  EXPECT_EQ(rows[1]["b"], false);
  EXPECT_EQ(rows[1]["t"], -128);
  EXPECT_EQ(rows[1]["s"], 32767);
  EXPECT_EQ(rows[1]["big"], "-5");
  EXPECT_EQ(rows[1]["f"], 3.0);
  EXPECT_EQ(rows[1]["d"], 1000.0);
  EXPECT_EQ(rows[1]["c"], "42");
  EXPECT_EQ(rows[1]["ts"], "2024-01-01 00:00:00");
  EXPECT_EQ(rows[1]["j"], "text");  // A JSON string stays a JSON string.
  EXPECT_EQ(rows[1]["bin"], "12");
  EXPECT_EQ(rows[1]["arr"], nlohmann::json::array());
  EXPECT_EQ(rows[2]["b"], false);
  EXPECT_EQ(rows[2]["j"], nlohmann::json::parse("[1,2]"));
  EXPECT_TRUE(rows[2]["c"].is_null());  // {"a":1} is 7 bytes > CHAR(4): NULL when not strict.
  EXPECT_TRUE(rows[2]["ts"].is_null());
}

TEST_F(EmulatorTest, BadValuesBecomeNullUnlessStrictOrNotNull) {
  const std::string body = R"([
    {"id":1,"name":"way too long","amount":"12345.678","qty":1,"day":"2023-02-29"},
    {"id":2,"name":"ok","amount":"abc","qty":"abc"},
    {"id":3,"amount":"9999.995","qty":2}
  ])";
  // Non-strict (default): bad values become NULL; qty is NOT NULL, so row 2 is
  // filtered; 9999.995 rounds to 10000.00, which overflows DECIMAL(6,2).
  nlohmann::json j = Load("orders", body, JsonOptions("lenient", {{"max_filter_ratio", "0.5"}}));
  ASSERT_EQ(j["Status"], "Success") << j;
  EXPECT_EQ(j["NumberTotalRows"], 3);
  EXPECT_EQ(j["NumberLoadedRows"], 2);
  EXPECT_EQ(j["NumberFilteredRows"], 1);
  EXPECT_TRUE(j.contains("ErrorURL"));
  nlohmann::json rows = Rows("orders");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0]["name"].is_null());
  EXPECT_TRUE(rows[0]["amount"].is_null());
  EXPECT_TRUE(rows[0]["day"].is_null());
  EXPECT_EQ(rows[1]["id"], 3);
  EXPECT_TRUE(rows[1]["amount"].is_null());

  // Strict: every bad value filters its row.
  emulator_->Reset();
  j = Load("orders", body,
           JsonOptions("strict", {{"strict_mode", "true"}, {"max_filter_ratio", "1"}}));
  ASSERT_EQ(j["Status"], "Success") << j;
  EXPECT_EQ(j["NumberFilteredRows"], 3);
  EXPECT_EQ(j["NumberLoadedRows"], 0);
}

TEST_F(EmulatorTest, TooManyFilteredRowsAppliesNothing) {
  ASSERT_EQ(Load("orders", R"([{"id":100,"qty":1}])", JsonOptions("seed"))["Status"], "Success");
  nlohmann::json j = Load("orders", R"([{"id":1,"qty":1},{"id":2,"qty":null},{"id":3,"qty":3}])",
                          JsonOptions("ratio"));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_EQ(j["Message"], "too many filtered rows");
  EXPECT_EQ(j["NumberTotalRows"], 3);
  EXPECT_EQ(j["NumberFilteredRows"], 1);
  EXPECT_TRUE(j.contains("ErrorURL"));
  EXPECT_GE(j["TxnId"].get<int64_t>(), 0);
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 1);

  j = Load("orders", R"([{"id":1,"qty":1},{"id":2,"qty":null},{"id":3,"qty":3}])",
           JsonOptions("ratio", {{"max_filter_ratio", "0.34"}}));
  EXPECT_EQ(j["Status"], "Success");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 3);
}

TEST_F(EmulatorTest, UnparseableBodiesFailTheWholeLoad) {
  struct Case {
    const char* body;
    bool strip;
    const char* message_part;
  };
  const Case cases[] = {
      {"abc", true, "illegal json started with a"},
      {"  5", false, "illegal json started with 5"},
      {R"({"id":1})", true, "the value should be array type with strip_outer_array=true"},
      {R"([{"id":1}])", false, "The value is array type in json document stream"},
      {R"([{"id":1},{"id":)", true, "parse error"},
      {R"([{"id":1},7])", true, "INCORRECT_TYPE"},
      {R"({"id":1} {"id":)", false, "parse error"},
      {R"({"id":1} 7)", false, "The value should be object type in json document stream"},
  };
  int n = 0;
  for (const Case& c : cases) {
    RequestOptions o;
    o.headers = {{"format", "json"}, {"label", "bad" + std::to_string(n++)}};
    if (c.strip) o.headers.emplace_back("strip_outer_array", "true");
    nlohmann::json j = Load("orders", c.body, o);
    EXPECT_EQ(j["Status"], "Fail") << c.body;
    EXPECT_NE(j["Message"].get<std::string>().find(c.message_part), std::string::npos)
        << c.body << " -> " << j["Message"];
    EXPECT_EQ(j["NumberLoadedRows"], 0);
  }
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);
}

TEST_F(EmulatorTest, ConcatenatedAndNdjsonBodies) {
  RequestOptions o;
  o.headers = {{"format", "json"}, {"label", "nd"}};
  nlohmann::json j =
      Load("orders", "{\"id\":1,\"qty\":1}\n{\"id\":2,\"qty\":2}{\"id\":3,\"qty\":3}\n", o);
  ASSERT_EQ(j["Status"], "Success") << j;
  EXPECT_EQ(j["NumberLoadedRows"], 3);
  o.headers = {{"format", "json"}, {"label", "single"}};
  j = Load("orders", R"({"id":4,"qty":4})", o);
  EXPECT_EQ(j["NumberLoadedRows"], 1);
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 4);
  o.headers = {{"format", "json"}, {"label", "empty"}};
  j = Load("orders", "  \n", o);
  EXPECT_EQ(j["Status"], "Success");
  EXPECT_EQ(j["NumberTotalRows"], 0);
}

TEST_F(EmulatorTest, OpDeletesAndOrderWithinALoad) {
  ASSERT_EQ(Load("orders", R"([{"id":1,"qty":1},{"id":2,"qty":2},{"id":3,"qty":3}])",
                 JsonOptions("seed"))["Status"],
            "Success");
  nlohmann::json j = Load("orders", R"([
      {"id":1,"qty":1,"__op":1},
      {"id":2,"qty":20},
      {"id":2,"qty":21},
      {"id":3,"qty":3,"__op":"1"},
      {"id":3,"qty":30,"__op":0},
      {"id":4,"qty":4,"__op":1}
  ])",
                          JsonOptions("ops"));
  ASSERT_EQ(j["Status"], "Success") << j;
  nlohmann::json rows = Rows("orders");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["id"], 2);
  EXPECT_EQ(rows[0]["qty"], 21);  // Last write in the body wins.
  EXPECT_EQ(rows[1]["id"], 3);
  EXPECT_EQ(rows[1]["qty"], 30);  // Delete then insert.

  j = Load("orders", R"([{"id":2,"qty":1,"__op":2}])", JsonOptions("badop"));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_EQ(j["NumberFilteredRows"], 1);

  // On a DUPLICATE KEY table __op is an unknown key: rows are appended.
  j = Load("events", R"([{"id":1,"note":"a"},{"id":1,"note":"b","__op":1}])", JsonOptions("dup"));
  EXPECT_EQ(j["Status"], "Success");
  rows = Rows("events");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["note"], "a");
  EXPECT_EQ(rows[1]["note"], "b");
}

TEST_F(EmulatorTest, DeletesAreValidatedLikeOtherRows) {
  ASSERT_EQ(Load("orders", R"([{"id":1,"qty":1}])", JsonOptions("seed"))["Status"], "Success");
  // qty is NOT NULL: a delete carrying only the key but qty=null is filtered.
  nlohmann::json j = Load("orders", R"([{"id":1,"qty":null,"__op":1}])", JsonOptions("del"));
  EXPECT_EQ(j["Status"], "Fail");
  // Omitting qty is fine (it has a default).
  j = Load("orders", R"([{"id":1,"__op":1}])", JsonOptions("del2"));
  EXPECT_EQ(j["Status"], "Success");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);
}

TEST_F(EmulatorTest, PartialUpdateKeepsOtherColumns) {
  ASSERT_EQ(Load("orders", R"([{"id":1,"name":"a","amount":1.5,"qty":1,"note":"keep"}])",
                 JsonOptions("full"))["Status"],
            "Success");
  nlohmann::json j = Load("orders", R"([{"id":1,"qty":5,"name":"ignored"},{"id":2,"qty":6}])",
                          JsonOptions("partial", {{"partial_update", "true"},
                                                  {"columns", "id,qty"},
                                                  {"partial_update_mode", "row"}}));
  ASSERT_EQ(j["Status"], "Success") << j;
  nlohmann::json rows = Rows("orders");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["qty"], 5);
  EXPECT_EQ(rows[0]["name"], "a");
  EXPECT_EQ(rows[0]["amount"], "1.50");
  EXPECT_EQ(rows[0]["note"], "keep");
  EXPECT_EQ(rows[1]["qty"], 6);
  EXPECT_TRUE(rows[1]["name"].is_null());

  // A full load (columns without partial_update) resets unlisted columns.
  j = Load("orders", R"([{"id":1,"qty":9}])", JsonOptions("full2", {{"columns", "id,qty"}}));
  ASSERT_EQ(j["Status"], "Success");
  EXPECT_TRUE(Rows("orders")[0]["name"].is_null());

  j = Load("orders", R"([{"qty":9}])",
           JsonOptions("nokey", {{"partial_update", "true"}, {"columns", "qty"}}));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_NE(j["Message"].get<std::string>().find("key"), std::string::npos);

  j = Load("events", R"([{"id":1}])",
           JsonOptions("dup", {{"partial_update", "true"}, {"columns", "id"}}));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_EQ(j["Message"], "Only primary key table support partial update");

  j = Load("orders", R"([{"id":1}])", JsonOptions("unk", {{"columns", "id,nope"}}));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_EQ(j["Message"], "Unknown column 'nope' in 'orders'");
}

TEST_F(EmulatorTest, MergeConditionKeepsNewerRows) {
  ASSERT_EQ(Load("orders", R"([{"id":1,"qty":5,"name":"v5"}])", JsonOptions("m0"))["Status"],
            "Success");
  auto opts = [](const std::string& label) {
    return JsonOptions(label, {{"merge_condition", "qty"}});
  };
  EXPECT_EQ(Load("orders", R"([{"id":1,"qty":4,"name":"v4"}])", opts("m1"))["Status"], "Success");
  EXPECT_EQ(Rows("orders")[0]["name"], "v5");
  EXPECT_EQ(Load("orders", R"([{"id":1,"qty":5,"name":"v5b"}])", opts("m2"))["Status"], "Success");
  EXPECT_EQ(Rows("orders")[0]["name"], "v5b");
  EXPECT_EQ(Load("orders", R"([{"id":1,"qty":1,"__op":1}])", opts("m3"))["Status"], "Success");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);  // Deletes are unconditional.
  nlohmann::json j =
      Load("orders", R"([{"id":1}])", JsonOptions("m4", {{"merge_condition", "nope"}}));
  EXPECT_EQ(j["Status"], "Fail");
}

TEST_F(EmulatorTest, DumpsSortByKey) {
  ASSERT_EQ(Load("orders", R"([{"id":10,"qty":1},{"id":-3,"qty":1},{"id":2,"qty":1}])",
                 JsonOptions("s"))["Status"],
            "Success");
  nlohmann::json rows = Rows("orders");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["id"], -3);
  EXPECT_EQ(rows[1]["id"], 2);
  EXPECT_EQ(rows[2]["id"], 10);
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
