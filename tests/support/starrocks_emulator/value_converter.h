// Converts JSON field values into a column's canonical text the way StarRocks'
// JSON reader and load casts do (see docs/starrocks-emulator.md, "Row
// semantics"). Error messages reuse StarRocks' wording.
//
// Thread-safety: free functions, no shared state.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_VALUE_CONVERTER_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_VALUE_CONVERTER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "tests/support/starrocks_emulator/column_type.h"
#include "tests/support/starrocks_emulator/raw_value.h"

namespace dbmazz::starrocks_emulator {

// Converts a non-null `value` for column `column` of type `type`, appending
// the canonical text to *out (untouched on error). Returns InvalidArgument with
// the reason when the value does not fit the type; the caller turns that into
// NULL (non-strict mode) or a filtered row (strict mode).
[[nodiscard]] absl::Status ConvertValue(const ColumnType& type, std::string_view column,
                                        const RawValue& value, std::string* out);

// Converts a default value written in a schema file (any JSON scalar, or text).
[[nodiscard]] absl::Status ConvertDefault(const ColumnType& type, std::string_view column,
                                          std::string_view text, std::string* out);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_VALUE_CONVERTER_H_
