// StarRocks column types as the emulator understands them, parsed from the
// spelling used in DDL ("BIGINT", "DECIMAL(10,2)", "VARCHAR(64)", "ARRAY<INT>").
//
// Thread-safety: immutable value types and free functions.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_COLUMN_TYPE_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_COLUMN_TYPE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dbmazz::starrocks_emulator {

enum class TypeKind {
  kBoolean,
  kTinyInt,
  kSmallInt,
  kInt,
  kBigInt,
  kLargeInt,
  kFloat,
  kDouble,
  kDecimal,
  kChar,
  kVarchar,
  kString,
  kDate,
  kDatetime,
  kJson,
  kVarbinary,
  kArray,
};

// Lengths as StarRocks defines them (bytes).
inline constexpr int kStringLength = 65533;
inline constexpr int kMaxVarcharLength = 1048576;
inline constexpr int kMaxDecimalPrecision = 38;

struct ColumnType {
  TypeKind kind = TypeKind::kInt;
  int precision = 0;  // DECIMAL only.
  int scale = 0;      // DECIMAL only.
  int length = 0;     // CHAR / VARCHAR / STRING / VARBINARY: maximum length in bytes.
  std::shared_ptr<const ColumnType> element;  // ARRAY only.

  // "DECIMAL(10,2)", "VARCHAR(64)", "ARRAY<INT>", ...
  [[nodiscard]] std::string ToString() const;

  [[nodiscard]] bool IsInteger() const;
  [[nodiscard]] bool IsStringLike() const;  // CHAR, VARCHAR, STRING, VARBINARY.
  [[nodiscard]] bool IsNumeric() const;     // integers, FLOAT, DOUBLE, DECIMAL.
};

// Parses a type name, case-insensitively. Accepts the aliases INTEGER, BOOL,
// TEXT (= STRING), DECIMALV3, DECIMAL32/64/128, BINARY (= VARBINARY). Missing
// lengths take StarRocks' defaults (CHAR(1), VARCHAR(1), DECIMAL(10,0)).
// Returns InvalidArgument for anything else.
[[nodiscard]] absl::StatusOr<ColumnType> ParseColumnType(std::string_view text);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_COLUMN_TYPE_H_
