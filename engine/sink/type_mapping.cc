#include "engine/sink/type_mapping.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dbmazz::sink {
namespace {

constexpr int32_t kVarHdrSz = 4;  // typmods of varchar/bpchar/numeric include it

struct ArrayType {
  uint32_t array_oid;
  uint32_t element_oid;
};

constexpr ArrayType kArrayTypes[] = {
    {1000, pg_oid::kBool},        {1001, pg_oid::kBytea},   {1002, pg_oid::kChar},
    {1003, pg_oid::kName},        {1005, pg_oid::kInt2},    {1007, pg_oid::kInt4},
    {1016, pg_oid::kInt8},        {1028, pg_oid::kOid},     {1021, pg_oid::kFloat4},
    {1022, pg_oid::kFloat8},      {1231, pg_oid::kNumeric}, {1009, pg_oid::kText},
    {1015, pg_oid::kVarchar},     {1014, pg_oid::kBpchar},  {2951, pg_oid::kUuid},
    {1041, pg_oid::kInet},        {651, pg_oid::kCidr},     {1040, pg_oid::kMacaddr},
    {775, pg_oid::kMacaddr8},     {1182, pg_oid::kDate},    {1115, pg_oid::kTimestamp},
    {1185, pg_oid::kTimestamptz}, {1183, pg_oid::kTime},    {1270, pg_oid::kTimetz},
    {1187, pg_oid::kInterval},    {199, pg_oid::kJson},     {3807, pg_oid::kJsonb},
    {143, pg_oid::kXml},          {791, pg_oid::kMoney},    {1561, pg_oid::kBit},
    {1563, pg_oid::kVarbit},
};

TypeMapping Simple(JsonEncoding encoding, std::string starrocks_type, bool key_ok,
                   std::string key_type = "") {
  TypeMapping m;
  m.value.encoding = encoding;
  if (key_ok) key_type = starrocks_type;
  m.starrocks_type = std::move(starrocks_type);
  m.key_type = std::move(key_type);
  return m;
}

// A string-encoded column of at most `bytes` bytes.
TypeMapping Varchar(uint32_t bytes, const TypeMappingOptions& options) {
  const uint32_t limit = std::min(options.max_varchar_bytes, kStarRocksMaxVarcharBytes);
  bytes = std::clamp<uint32_t>(bytes, 1, limit);
  TypeMapping m = Simple(JsonEncoding::kString, absl::StrCat("VARCHAR(", bytes, ")"), true);
  m.value.max_bytes = bytes;
  return m;
}

TypeMapping UnboundedText(const TypeMappingOptions& options) {
  return Varchar(options.max_varchar_bytes, options);
}

// varchar(n) / bpchar(n): n characters of up to 4 UTF-8 bytes each.
TypeMapping CharacterN(int32_t typmod, const TypeMappingOptions& options) {
  if (typmod < kVarHdrSz + 1) return UnboundedText(options);
  const uint64_t chars = static_cast<uint64_t>(typmod - kVarHdrSz);
  const uint64_t bytes = std::min<uint64_t>(chars * 4, kStarRocksMaxVarcharBytes);
  return Varchar(static_cast<uint32_t>(bytes), options);
}

TypeMapping Numeric(int32_t typmod, const TypeMappingOptions& options) {
  int precision = 0;
  int scale = 0;
  bool bounded = false;
  if (typmod >= kVarHdrSz) {
    const int32_t t = typmod - kVarHdrSz;
    const int p = (t >> 16) & 0xffff;
    const int s = ((t & 0x7ff) ^ 1024) - 1024;  // PG15+: scale is an 11-bit signed value
    if (s < 0) {                                // numeric(2,-3): integers of up to p - s digits
      precision = p - s;
      scale = 0;
    } else if (s > p) {  // numeric(3,5): 0.00xyz
      precision = s;
      scale = s;
    } else {
      precision = p;
      scale = s;
    }
    bounded = precision >= 1 && precision <= kStarRocksMaxDecimalPrecision;
  }
  if (!bounded) {
    if (options.unbounded_numeric_scale < 0 ||
        options.unbounded_numeric_scale > kStarRocksMaxDecimalPrecision) {
      TypeMapping m = UnboundedText(options);
      m.value.encoding = JsonEncoding::kDecimal;  // NaN/Infinity checks, digits as a string
      return m;
    }
    precision = kStarRocksMaxDecimalPrecision;
    scale = options.unbounded_numeric_scale;
  }
  TypeMapping m =
      Simple(JsonEncoding::kDecimal, absl::StrCat("DECIMAL(", precision, ",", scale, ")"), false,
             absl::StrCat("VARCHAR(", precision + 3, ")"));
  m.value.decimal_precision = static_cast<uint8_t>(precision);
  m.value.decimal_scale = static_cast<uint8_t>(scale);
  return m;
}

TypeMapping Scalar(uint32_t oid, int32_t typmod, const TypeMappingOptions& options) {
  switch (oid) {
    case pg_oid::kBool:
      return Simple(JsonEncoding::kBool, "BOOLEAN", true);
    case pg_oid::kInt2:
      return Simple(JsonEncoding::kInteger, "SMALLINT", true);
    case pg_oid::kInt4:
      return Simple(JsonEncoding::kInteger, "INT", true);
    case pg_oid::kInt8:
    case pg_oid::kOid:
      return Simple(JsonEncoding::kInteger, "BIGINT", true);
    case pg_oid::kFloat4:
      return Simple(JsonEncoding::kFloat, "FLOAT", false, "VARCHAR(32)");
    case pg_oid::kFloat8:
      return Simple(JsonEncoding::kFloat, "DOUBLE", false, "VARCHAR(32)");
    case pg_oid::kNumeric:
      return Numeric(typmod, options);
    case pg_oid::kDate:
      return Simple(JsonEncoding::kDate, "DATE", true);
    case pg_oid::kTimestamp:
      return Simple(JsonEncoding::kDateTime, "DATETIME", true);
    case pg_oid::kTimestamptz:
      return Simple(JsonEncoding::kDateTimeTz, "DATETIME", true);
    case pg_oid::kJson:
    case pg_oid::kJsonb:
      return Simple(JsonEncoding::kJson, "JSON", false);
    case pg_oid::kBytea: {
      TypeMapping m = Simple(JsonEncoding::kBinaryHex, "VARBINARY", false);
      m.value.max_bytes = kStarRocksMaxVarcharBytes;
      return m;
    }
    case pg_oid::kVarchar:
    case pg_oid::kBpchar:
      return CharacterN(typmod, options);
    // Text forms with a known maximum length (bytes).
    case pg_oid::kChar:
      return Varchar(4, options);  // one byte, or \ooo for non-ASCII bytes
    case pg_oid::kName:
      return Varchar(64, options);  // NAMEDATALEN - 1
    case pg_oid::kUuid:
      return Varchar(36, options);
    case pg_oid::kInet:
    case pg_oid::kCidr:
      return Varchar(64, options);
    case pg_oid::kMacaddr:
      return Varchar(17, options);
    case pg_oid::kMacaddr8:
      return Varchar(23, options);
    case pg_oid::kTime:
      return Varchar(15, options);  // HH:MM:SS.ffffff
    case pg_oid::kTimetz:
      return Varchar(24, options);  // + offset +HH:MM:SS
    case pg_oid::kInterval:
      return Varchar(128, options);
    default:
      // text, xml, money, bit, enums, domains, extension types, anything else.
      return UnboundedText(options);
  }
}

}  // namespace

uint32_t ArrayElementType(uint32_t array_type_oid) {
  for (const ArrayType& a : kArrayTypes) {
    if (a.array_oid == array_type_oid) return a.element_oid;
  }
  return 0;
}

TypeMapping MapPostgresType(uint32_t type_oid, int32_t type_modifier,
                            const TypeMappingOptions& options) {
  const uint32_t element_oid = ArrayElementType(type_oid);
  if (element_oid == 0) return Scalar(type_oid, type_modifier, options);

  // Arrays: the column's typmod applies to the elements.
  TypeMapping element = Scalar(element_oid, type_modifier, options);
  std::string element_type = element.starrocks_type;
  if (element.value.encoding == JsonEncoding::kBinaryHex) {
    // A VARBINARY element cannot be decoded inside a Stream Load column
    // expression: bytea[] is stored as ARRAY<VARCHAR> of hex strings.
    element_type = absl::StrCat("VARCHAR(", kStarRocksMaxVarcharBytes, ")");
    element.value.max_bytes = kStarRocksMaxVarcharBytes / 2;
  }
  TypeMapping m;
  m.value.encoding = JsonEncoding::kArray;
  m.element = element.value;
  m.starrocks_type = absl::StrCat("ARRAY<", element_type, ">");
  return m;  // key_type empty: arrays cannot be key columns
}

}  // namespace dbmazz::sink
