// The emulator's catalogue description: users, databases and tables, read at
// start-up from a YAML or JSON file (JSON is valid YAML) or, for one table, from
// the admin endpoint. See docs/starrocks-emulator.md for the format.
//
// Thread-safety: plain value types and free functions.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_SCHEMA_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_SCHEMA_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/starrocks_emulator/column_type.h"

namespace dbmazz::starrocks_emulator {

struct ColumnSpec {
  std::string name;
  ColumnType type;
  bool not_null = false;
  // DEFAULT value, as text in the column's type (already validated).
  std::optional<std::string> default_value;
};

enum class KeyModel { kPrimary, kDuplicate };

struct TableSpec {
  std::string database;
  std::string name;
  KeyModel model = KeyModel::kPrimary;
  std::vector<ColumnSpec> columns;
  // Number of leading columns forming the key (StarRocks requires key columns
  // to be a prefix of the schema). At least 1.
  int key_count = 1;

  // Index of the column named `name` (case-insensitive), or -1.
  [[nodiscard]] int FindColumn(std::string_view name) const;
};

struct UserSpec {
  std::string name;
  std::string password;
};

struct EmulatorSchema {
  std::vector<UserSpec> users;         // Defaults to root with an empty password.
  std::vector<std::string> databases;  // Every database, including empty ones.
  std::vector<TableSpec> tables;
};

// Parses a whole schema document. Returns InvalidArgument (with the offending
// path) on malformed input, unknown types, duplicate names or bad keys.
[[nodiscard]] absl::StatusOr<EmulatorSchema> ParseSchema(std::string_view text);

// Reads and parses `path`. NotFound if it cannot be read.
[[nodiscard]] absl::StatusOr<EmulatorSchema> LoadSchemaFile(const std::string& path);

// Parses one table document (the admin endpoint's body): the table format of
// the schema file plus a "database" field.
[[nodiscard]] absl::StatusOr<TableSpec> ParseTableSpec(std::string_view text);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_SCHEMA_H_
