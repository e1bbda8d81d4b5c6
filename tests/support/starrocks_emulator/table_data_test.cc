// TableData against a std::map model: random upserts, deletes and
// re-inserts of a small key space (slots are freed and reused), rows that
// shrink (rewritten in place), grow (moved) or outgrow a whole block, partial
// updates and merge conditions, with a row store small enough that blocks fill
// up and compaction runs all the time.
#include "tests/support/starrocks_emulator/table_data.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/row_codec.h"

namespace dbmazz::starrocks_emulator {
namespace {

TableSpec Spec(const char* keys = "primary") {
  auto schema = ParseSchema(absl::StrCat(R"yaml(
databases:
  - name: d
    tables:
      - name: t
        keys: )yaml",
                                         keys, R"yaml(
        key_columns: [k]
        columns:
          - {name: k, type: BIGINT, not_null: true}
          - {name: v, type: STRING}
          - {name: n, type: INT}
)yaml"));
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

RowBatch Batch(const std::vector<std::pair<bool, std::string>>& ops) {
  RowBatch batch;
  for (const auto& [is_delete, row] : ops) batch.Append(is_delete, row);
  return batch;
}

// A row of the model; nullopt is NULL.
struct ModelRow {
  std::optional<std::string> v;
  std::optional<int> n;
};

std::string Encode(long k, const ModelRow& row) {
  std::string out;
  AppendCell(&out, std::to_string(k));
  if (row.v) {
    AppendCell(&out, *row.v);
  } else {
    AppendNullCell(&out);
  }
  if (row.n) {
    AppendCell(&out, std::to_string(*row.n));
  } else {
    AppendNullCell(&out);
  }
  return out;
}

std::vector<std::string> Sorted(const std::map<long, ModelRow>& model) {
  std::vector<std::string> rows;
  for (const auto& [k, row] : model) rows.push_back(Encode(k, row));
  return rows;
}

// How a round of the random test loads: full rows or a partial update of
// (k, v) or (k, n), with or without merge_condition on n.
struct Mode {
  std::vector<bool> written;  // Empty: full rows.
  bool merge = false;
};

// The model's version of TableData::Upsert.
void ModelUpsert(const Mode& mode, long k, const ModelRow& row, std::map<long, ModelRow>* model) {
  auto it = model->find(k);
  if (it == model->end()) {
    (*model)[k] = row;
    return;
  }
  ModelRow& old = it->second;
  bool n_written = mode.written.empty() || mode.written[2];
  if (mode.merge && n_written) {
    // NULL is the smallest; the new row wins ties.
    bool loses = old.n && (!row.n || *row.n < *old.n);
    if (loses) return;
  }
  if (mode.written.empty() || mode.written[1]) old.v = row.v;
  if (n_written) old.n = row.n;
}

struct RandomCase {
  const char* name;
  RowStore::Options storage;
};

void PrintTo(const RandomCase& c, std::ostream* os) { *os << c.name; }

class TableDataRandomTest : public testing::TestWithParam<RandomCase> {};

TEST_P(TableDataRandomTest, MatchesAMap) {
  TableData table(Spec(), GetParam().storage);
  std::map<long, ModelRow> model;
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const std::vector<Mode> modes = {{{}, false},
                                   {{}, true},
                                   {{true, true, false}, false},
                                   {{true, false, true}, true},
                                   {{true, true, false}, true}};
  for (int round = 0; round < 400; ++round) {
    const Mode& mode = modes[round < 100 ? 0 : pick(static_cast<int>(modes.size()))];
    RowBatch ops;
    for (int i = 0; i < 60; ++i) {
      long k = pick(300);
      bool del = pick(4) == 0;
      ModelRow row;
      int size_class = pick(10);
      if (size_class > 0) {
        // Mostly short values, some long ones, a few larger than a block.
        int length = size_class < 7 ? pick(12) : size_class < 9 ? 20 + pick(60) : 300 + pick(700);
        row.v = std::string(static_cast<size_t>(length), static_cast<char>('a' + pick(26)));
      }
      if (pick(6) > 0) row.n = pick(41) - 20;
      ops.Append(del, Encode(k, row));
      if (del) {
        model.erase(k);
      } else {
        ModelUpsert(mode, k, row, &model);
      }
    }
    TableData::ApplyOptions options;
    if (!mode.written.empty()) options.written_columns = &mode.written;
    if (mode.merge) options.merge_column = 2;
    table.Apply(ops, options);
    ASSERT_EQ(table.RowCount(), model.size()) << "round " << round;
    ASSERT_EQ(table.SortedRows(), Sorted(model)) << "round " << round;
    if (round == 250) {
      table.Clear();
      model.clear();
      ASSERT_EQ(table.RowCount(), 0u);
    }
  }
  RowStore::Stats stats = table.storage_stats();
  EXPECT_LE(stats.slots - stats.free_slots, 300u);
  if (GetParam().storage.compaction_floor_bytes == 0) {
    EXPECT_GT(stats.compactions, 10u);
  }
  table.Clear();
  EXPECT_EQ(table.RowCount(), 0u);
  EXPECT_TRUE(table.SortedRows().empty());
}

RowStore::Options TinyStorage() {
  RowStore::Options options;
  options.block_bytes = 512;  // Values over 128 bytes get a block of their own.
  options.compaction_floor_bytes = 0;
  return options;
}

INSTANTIATE_TEST_SUITE_P(Storage, TableDataRandomTest,
                         testing::Values(RandomCase{"Default", RowStore::Options{}},
                                         RandomCase{"Tiny", TinyStorage()}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(TableDataTest, PartialUpdatesAndMergeConditionsKeepOtherColumns) {
  TableData table(Spec());
  table.Apply(Batch({{false, Row("1", "a", "10")}, {false, Row("2", "b", "20")}}), {});
  std::vector<bool> written = {true, true, false};  // k and v only
  TableData::ApplyOptions partial;
  partial.written_columns = &written;
  table.Apply(Batch({{false, Row("1", "A", "0")}, {false, Row("3", "c", "0")}}), partial);
  TableData::ApplyOptions merge;
  merge.merge_column = 2;
  // Key 2: 15 < 20 loses; key 1: 11 >= 10 wins.
  table.Apply(Batch({{false, Row("2", "old", "15")}, {false, Row("1", "new", "11")}}), merge);
  EXPECT_EQ(
      table.SortedRows(),
      (std::vector<std::string>{Row("1", "new", "11"), Row("2", "b", "20"), Row("3", "c", "0")}));
}

TEST(TableDataTest, DuplicateKeyTablesKeepEveryRowInArrivalOrder) {
  TableData table(Spec("duplicate"), TinyStorage());
  std::vector<std::string> expected_1;
  std::vector<std::string> expected_2;
  for (int i = 0; i < 200; ++i) {
    std::string v(static_cast<size_t>(i % 7 == 0 ? 200 : i % 13), 'x');
    std::string row = Row(i % 2 == 0 ? "2" : "1", v, std::to_string(i));
    (i % 2 == 0 ? expected_2 : expected_1).push_back(row);
    // Deletes are ignored on DUPLICATE KEY tables.
    table.Apply(Batch({{false, row}, {true, row}}), {});
  }
  expected_1.insert(expected_1.end(), expected_2.begin(), expected_2.end());
  EXPECT_EQ(table.RowCount(), 200u);
  EXPECT_EQ(table.SortedRows(), expected_1);
  table.Clear();
  EXPECT_EQ(table.RowCount(), 0u);
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
