// Renders stored rows as typed JSON for the admin endpoints and tests, and
// computes an order-independent checksum of a table.
//
// Cell JSON: BOOLEAN -> true/false; TINYINT..BIGINT, FLOAT, DOUBLE -> numbers;
// LARGEINT, DECIMAL -> strings ("12.50"); CHAR/VARCHAR/STRING/VARBINARY, DATE,
// DATETIME -> strings; JSON and ARRAY -> embedded JSON; NULL -> null.
//
// Checksum: for each row, FNV-1a 64 of the compact JSON array of its cells in
// schema order (e.g. [1,"a",null]); the row hashes are summed modulo 2^64 and
// printed as 16 lowercase hex digits.
//
// Thread-safety: free functions; callers hold the lock guarding the table.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DUMP_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DUMP_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tests/support/starrocks_emulator/table_data.h"

namespace dbmazz::starrocks_emulator {

// {"database":..,"table":..,"keys":"PRIMARY"|"DUPLICATE","columns":[..],"rows":[{..},..]}
// with rows sorted by key.
[[nodiscard]] nlohmann::ordered_json DumpTable(const TableData& table);

// One encoded row as a JSON object keyed by column name.
[[nodiscard]] nlohmann::ordered_json RowToJson(const TableSpec& spec, std::string_view row);

// See the file comment.
[[nodiscard]] std::string TableChecksum(const TableData& table);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DUMP_H_
