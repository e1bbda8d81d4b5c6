// TableData against a std::map model: random upserts, deletes and
// re-inserts of a small key space (slots are freed and reused), partial
// updates and merge conditions.
#include "tests/support/starrocks_emulator/table_data.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/support/starrocks_emulator/row_codec.h"

namespace dbmazz::starrocks_emulator {
namespace {

TableSpec Spec() {
  auto schema = ParseSchema(R"yaml(
databases:
  - name: d
    tables:
      - name: t
        keys: primary
        key_columns: [k]
        columns:
          - {name: k, type: BIGINT, not_null: true}
          - {name: v, type: STRING}
          - {name: n, type: INT}
)yaml");
  EXPECT_TRUE(schema.ok()) << schema.status();
  return schema->tables[0];
}

std::string Row(const std::string& k, const std::string& v, const std::string& n) {
  std::string row;
  AppendCell(&row, k);
  AppendCell(&row, v);
  AppendCell(&row, n);
  return row;
}

std::vector<std::string> Sorted(const std::map<long, std::string>& model) {
  std::vector<std::string> rows;
  for (const auto& [k, row] : model) rows.push_back(row);
  return rows;
}

TEST(TableDataTest, MatchesAMapUnderRandomUpsertsAndDeletes) {
  TableData table(Spec());
  std::map<long, std::string> model;
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<TableData::RowOp> ops;
    for (int i = 0; i < 100; ++i) {
      long k = static_cast<long>(rng() % 500);
      bool del = rng() % 3 == 0;
      std::string row = Row(std::to_string(k), "v" + std::to_string(rng() % 1000), "1");
      ops.push_back({del, row});
      if (del) {
        model.erase(k);
      } else {
        model[k] = row;
      }
    }
    table.Apply(std::move(ops), {});
    ASSERT_EQ(table.RowCount(), model.size()) << "round " << round;
  }
  EXPECT_EQ(table.SortedRows(), Sorted(model));
  table.Clear();
  EXPECT_EQ(table.RowCount(), 0u);
  EXPECT_TRUE(table.SortedRows().empty());
}

TEST(TableDataTest, PartialUpdatesAndMergeConditionsKeepOtherColumns) {
  TableData table(Spec());
  table.Apply({{false, Row("1", "a", "10")}, {false, Row("2", "b", "20")}}, {});
  std::vector<bool> written = {true, true, false};  // k and v only
  TableData::ApplyOptions partial;
  partial.written_columns = &written;
  table.Apply({{false, Row("1", "A", "0")}, {false, Row("3", "c", "0")}}, partial);
  TableData::ApplyOptions merge;
  merge.merge_column = 2;
  // Key 2: 15 < 20 loses; key 1: 11 >= 10 wins.
  table.Apply({{false, Row("2", "old", "15")}, {false, Row("1", "new", "11")}}, merge);
  EXPECT_EQ(
      table.SortedRows(),
      (std::vector<std::string>{Row("1", "new", "11"), Row("2", "b", "20"), Row("3", "c", "0")}));
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
