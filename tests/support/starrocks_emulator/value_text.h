// Canonical text forms of StarRocks scalar values, and the parsers that produce
// them from the loose spellings StarRocks accepts on load.
//
//   DECIMAL(p,s): "-12.50" (exactly s fraction digits, rounded half away from 0)
//   DATE:         "2024-02-29"
//   DATETIME:     "2024-02-29 13:04:05" or "2024-02-29 13:04:05.120000"
//
// Thread-safety: free functions, no shared state.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_VALUE_TEXT_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_VALUE_TEXT_H_

#include <optional>
#include <string>
#include <string_view>

#include "tests/support/starrocks_emulator/column_type.h"

namespace dbmazz::starrocks_emulator {

// Strips ASCII whitespace at both ends.
[[nodiscard]] std::string_view TrimSpace(std::string_view s);

// Parses a whole signed integer (optional sign, digits, surrounding spaces).
[[nodiscard]] std::optional<__int128> ParseInt128(std::string_view text);
[[nodiscard]] std::string Int128ToString(__int128 value);

// Parses a whole floating-point number ("1.5", "-2e3", " 7 "). No inf/nan.
[[nodiscard]] std::optional<double> ParseDouble(std::string_view text);

// Shortest text that round-trips the value.
[[nodiscard]] std::string FormatDouble(double value);
[[nodiscard]] std::string FormatFloat(float value);

// "1.235e2" -> DECIMAL(p,s) text; nullopt if unparseable or out of range.
[[nodiscard]] std::optional<std::string> ParseDecimal(std::string_view text, int precision,
                                                      int scale);

// Accepts Y-M-D, Y/M/D or YYYYMMDD, optionally followed by a time (ignored for
// DATE). nullopt for invalid calendar dates or garbage.
[[nodiscard]] std::optional<std::string> ParseDate(std::string_view text);
[[nodiscard]] std::optional<std::string> ParseDatetime(std::string_view text);

// The same three, appending the canonical text to *out; false, with *out
// untouched, where the Parse* functions give nullopt.
[[nodiscard]] bool AppendDecimal(std::string_view text, int precision, int scale, std::string* out);
[[nodiscard]] bool AppendDate(std::string_view text, std::string* out);
[[nodiscard]] bool AppendDatetime(std::string_view text, std::string* out);

// Three-way comparison of two canonical texts of the same scalar type (the
// order StarRocks sorts them in). Strings compare bytewise.
[[nodiscard]] int CompareCanonical(const ColumnType& type, std::string_view a, std::string_view b);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_VALUE_TEXT_H_
