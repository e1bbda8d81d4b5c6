// Plans a Stream Load against a table (which JSON keys feed which columns,
// partial update, merge condition) and converts the body's rows into table
// operations, filtering rows the way StarRocks does:
//  - a value that does not convert becomes NULL (strict_mode=false, the
//    default) or filters the row (strict_mode=true);
//  - NULL in a NOT NULL column filters the row;
//  - a key missing from the object gives NULL, or the column's DEFAULT.
//
// Thread-safety: Plan is immutable; ConvertBody is a pure function.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_CONVERTER_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_CONVERTER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/starrocks_emulator/load_options.h"
#include "tests/support/starrocks_emulator/row_batch.h"
#include "tests/support/starrocks_emulator/schema.h"

namespace dbmazz::starrocks_emulator {

struct LoadPlan {
  const TableSpec* spec = nullptr;  // Owned by the catalog's TableData.
  std::vector<std::string> slot_names;
  std::vector<int> slot_of_column;  // Per table column: slot or -1.
  int op_slot = -1;                 // "__op" (PRIMARY KEY tables only).
  bool partial_update = false;
  std::vector<bool> written_columns;  // Partial update: columns the load writes.
  int merge_column = -1;
  bool strict_mode = false;
  bool strip_outer_array = false;
};

// Validates the options against the table. Errors carry StarRocks' messages
// ("Only primary key table support partial update", "Unknown column ...").
[[nodiscard]] absl::StatusOr<LoadPlan> MakeLoadPlan(const TableSpec& spec,
                                                    const LoadOptions& options);

struct ConvertedLoad {
  RowBatch ops;  // Rows that passed, in body order.
  int64_t total_rows = 0;
  int64_t filtered_rows = 0;
  std::vector<std::string> error_lines;  // "Error: <why>. Row: <json>", at most 1000.
};

// Parses and converts the body. A body that does not parse fails as a whole
// (InvalidArgument with StarRocks' "parse error. ..." message).
[[nodiscard]] absl::StatusOr<ConvertedLoad> ConvertBody(const LoadPlan& plan,
                                                        std::string_view body);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_CONVERTER_H_
