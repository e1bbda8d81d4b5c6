// The rows of one emulated table. PRIMARY KEY tables keep one row per key
// (upsert / delete / partial update / merge condition); DUPLICATE KEY tables
// keep every row in arrival order.
//
// Thread-safety: not thread-safe. The emulator serialises all access under
// EmulatorState::mu; the spec is immutable after construction.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DATA_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DATA_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tests/support/starrocks_emulator/schema.h"

namespace dbmazz::starrocks_emulator {

class TableData {
 public:
  // One converted row of a load (see row_codec.h for the encoding). For
  // partial updates, columns the load does not write hold the value a new row
  // gets (default, NULL or the type's zero value).
  struct RowOp {
    bool is_delete = false;
    std::string row;
  };
  struct ApplyOptions {
    // Partial update: the columns the load writes (others of an existing row
    // keep their values). nullptr: full rows.
    const std::vector<bool>* written_columns = nullptr;
    // merge_condition column index, or -1. An upsert of an existing key only
    // wins if its value there is >= the stored one (NULL is the smallest).
    int merge_column = -1;
  };

  explicit TableData(TableSpec spec);

  [[nodiscard]] const TableSpec& spec() const { return spec_; }

  // Applies `ops` in order, consuming them. Deletes only apply to PRIMARY KEY
  // tables.
  void Apply(std::vector<RowOp>&& ops, const ApplyOptions& options);

  [[nodiscard]] size_t RowCount() const;

  // All rows (encoded), sorted by key (stable for DUPLICATE KEY tables).
  [[nodiscard]] std::vector<std::string> SortedRows() const;

  void Clear();

 private:
  void Upsert(std::string&& row, const ApplyOptions& options);

  const TableSpec spec_;
  // PRIMARY KEY: encoded key prefix -> encoded row.
  absl::flat_hash_map<std::string, std::string> rows_by_key_;
  // DUPLICATE KEY: rows in arrival order.
  std::vector<std::string> rows_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DATA_H_
