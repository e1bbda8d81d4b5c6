// PostgreSQL → StarRocks type mapping: for a column's type OID and typmod,
// how its TEXT-format value is written in a Stream Load JSON row and which
// StarRocks column type holds it. docs/type-mapping.md is the user-facing
// version of this table; keep both in sync.
//
// Thread-safety: pure functions.
#ifndef DBMAZZ_ENGINE_SINK_TYPE_MAPPING_H_
#define DBMAZZ_ENGINE_SINK_TYPE_MAPPING_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace dbmazz::sink {

// Built-in PostgreSQL type OIDs (pg_type.dat). OIDs >= 10000 are user or
// extension types (enums, domains, citext, ...) and are handled as text.
namespace pg_oid {
inline constexpr uint32_t kBool = 16;
inline constexpr uint32_t kBytea = 17;
inline constexpr uint32_t kChar = 18;
inline constexpr uint32_t kName = 19;
inline constexpr uint32_t kInt8 = 20;
inline constexpr uint32_t kInt2 = 21;
inline constexpr uint32_t kInt4 = 23;
inline constexpr uint32_t kText = 25;
inline constexpr uint32_t kOid = 26;
inline constexpr uint32_t kJson = 114;
inline constexpr uint32_t kXml = 142;
inline constexpr uint32_t kCidr = 650;
inline constexpr uint32_t kFloat4 = 700;
inline constexpr uint32_t kFloat8 = 701;
inline constexpr uint32_t kMacaddr8 = 774;
inline constexpr uint32_t kMoney = 790;
inline constexpr uint32_t kMacaddr = 829;
inline constexpr uint32_t kInet = 869;
inline constexpr uint32_t kBpchar = 1042;
inline constexpr uint32_t kVarchar = 1043;
inline constexpr uint32_t kDate = 1082;
inline constexpr uint32_t kTime = 1083;
inline constexpr uint32_t kTimestamp = 1114;
inline constexpr uint32_t kTimestamptz = 1184;
inline constexpr uint32_t kInterval = 1186;
inline constexpr uint32_t kTimetz = 1266;
inline constexpr uint32_t kBit = 1560;
inline constexpr uint32_t kVarbit = 1562;
inline constexpr uint32_t kNumeric = 1700;
inline constexpr uint32_t kUuid = 2950;
inline constexpr uint32_t kJsonb = 3802;
}  // namespace pg_oid

// How a value is written into the JSON row.
enum class JsonEncoding : uint8_t {
  kBool,        // t/f → true/false
  kInteger,     // JSON number, copied after validation
  kFloat,       // JSON number; NaN/±Infinity → null + warning
  kDecimal,     // JSON string with the exact digits; NaN/±Infinity → null + warning
  kString,      // JSON string of PostgreSQL's text form
  kDate,        // "YYYY-MM-DD"; ±infinity, BC, year > 9999 → null + warning
  kDateTime,    // "YYYY-MM-DD HH:MM:SS[.ffffff]"
  kDateTimeTz,  // the instant in UTC, same format as kDateTime
  kJson,        // the JSON value itself, validated and embedded
  kBinaryHex,   // JSON string of lowercase hex digits (see docs/type-mapping.md)
  kArray,       // JSON array of the element encoding
};

// Everything the encoder needs to write one (scalar) value.
struct ValueSpec {
  JsonEncoding encoding = JsonEncoding::kString;
  // kDecimal with a DECIMAL target: values must fit DECIMAL(precision, scale)
  // or they become null + warning. precision == 0: the target is a string
  // column and any digits fit.
  uint8_t decimal_precision = 0;
  uint8_t decimal_scale = 0;
  // kString / kBinaryHex: the most bytes (decoded bytes for bytea) the
  // StarRocks column holds; longer values become null + warning. 0 = no limit.
  uint32_t max_bytes = 0;
};

struct TypeMapping {
  ValueSpec value;             // value.encoding == kArray for one-dimensional arrays
  ValueSpec element;           // the elements' spec when value.encoding == kArray
  std::string starrocks_type;  // for DDL, e.g. "BIGINT", "DECIMAL(12,2)", "ARRAY<INT>"
  // StarRocks primary key columns accept BOOLEAN, integers, DATE, DATETIME and
  // VARCHAR only. When starrocks_type is not one of them, key_type is the
  // VARCHAR type to declare instead when the column is part of the key (the
  // JSON value loads into it unchanged), or empty when the column cannot be
  // a key at all (JSON, ARRAY, VARBINARY).
  std::string key_type;
};

struct TypeMappingOptions {
  // numeric without a precision (typmod -1) or with more than 38 digits:
  // < 0 → a VARCHAR column holding the exact digits (default);
  // 0..38 → DECIMAL(38, scale); values that do not fit become null + warning.
  int unbounded_numeric_scale = -1;
  // Length of VARCHAR columns for unbounded text (StarRocks' maximum; note
  // that StarRocks' STRING type is only VARCHAR(65533)).
  uint32_t max_varchar_bytes = 1048576;
};

inline constexpr uint32_t kStarRocksMaxVarcharBytes = 1048576;
inline constexpr int kStarRocksMaxDecimalPrecision = 38;

// The mapping for a column of type `type_oid` with modifier `type_modifier`
// (-1 when none). Unknown and custom types (OID >= 10000: enums, domains,
// extension types) map to text; arrays of unknown element types too (as their
// PostgreSQL array literal).
TypeMapping MapPostgresType(uint32_t type_oid, int32_t type_modifier,
                            const TypeMappingOptions& options = {});

// The element type OID of a supported one-dimensional array type, or 0.
uint32_t ArrayElementType(uint32_t array_type_oid);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_TYPE_MAPPING_H_
