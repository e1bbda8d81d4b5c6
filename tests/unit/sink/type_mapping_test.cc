#include "engine/sink/type_mapping.h"

#include <string>

#include "gtest/gtest.h"

namespace dbmazz::sink {
namespace {

int32_t NumericTypmod(int precision, int scale) {
  return ((precision << 16) | (scale & 0x7ff)) + 4;
}

struct Case {
  uint32_t oid;
  int32_t typmod;
  JsonEncoding encoding;
  const char* starrocks_type;
  const char* key_type;  // "" = cannot be a key
};

TEST(TypeMappingTest, ContractTable) {
  const Case cases[] = {
      {16, -1, JsonEncoding::kBool, "BOOLEAN", "BOOLEAN"},
      {21, -1, JsonEncoding::kInteger, "SMALLINT", "SMALLINT"},
      {23, -1, JsonEncoding::kInteger, "INT", "INT"},
      {20, -1, JsonEncoding::kInteger, "BIGINT", "BIGINT"},
      {26, -1, JsonEncoding::kInteger, "BIGINT", "BIGINT"},
      {700, -1, JsonEncoding::kFloat, "FLOAT", "VARCHAR(32)"},
      {701, -1, JsonEncoding::kFloat, "DOUBLE", "VARCHAR(32)"},
      {1700, NumericTypmod(12, 2), JsonEncoding::kDecimal, "DECIMAL(12,2)", "VARCHAR(15)"},
      {1700, NumericTypmod(38, 0), JsonEncoding::kDecimal, "DECIMAL(38,0)", "VARCHAR(41)"},
      {1700, -1, JsonEncoding::kDecimal, "VARCHAR(1048576)", "VARCHAR(1048576)"},
      {1700, NumericTypmod(39, 2), JsonEncoding::kDecimal, "VARCHAR(1048576)", "VARCHAR(1048576)"},
      {1700, NumericTypmod(2, -3), JsonEncoding::kDecimal, "DECIMAL(5,0)", "VARCHAR(8)"},
      {1700, NumericTypmod(3, 5), JsonEncoding::kDecimal, "DECIMAL(5,5)", "VARCHAR(8)"},
      {25, -1, JsonEncoding::kString, "VARCHAR(1048576)", "VARCHAR(1048576)"},
      {1043, 14, JsonEncoding::kString, "VARCHAR(40)", "VARCHAR(40)"},  // varchar(10)
      {1043, -1, JsonEncoding::kString, "VARCHAR(1048576)", "VARCHAR(1048576)"},
      {1043, 300004, JsonEncoding::kString, "VARCHAR(1048576)", "VARCHAR(1048576)"},
      {1042, 5, JsonEncoding::kString, "VARCHAR(4)", "VARCHAR(4)"},  // char(1)
      {19, -1, JsonEncoding::kString, "VARCHAR(64)", "VARCHAR(64)"},
      {2950, -1, JsonEncoding::kString, "VARCHAR(36)", "VARCHAR(36)"},
      {869, -1, JsonEncoding::kString, "VARCHAR(64)", "VARCHAR(64)"},
      {650, -1, JsonEncoding::kString, "VARCHAR(64)", "VARCHAR(64)"},
      {829, -1, JsonEncoding::kString, "VARCHAR(17)", "VARCHAR(17)"},
      {774, -1, JsonEncoding::kString, "VARCHAR(23)", "VARCHAR(23)"},
      {1083, -1, JsonEncoding::kString, "VARCHAR(15)", "VARCHAR(15)"},
      {1266, -1, JsonEncoding::kString, "VARCHAR(24)", "VARCHAR(24)"},
      {1186, -1, JsonEncoding::kString, "VARCHAR(128)", "VARCHAR(128)"},
      {142, -1, JsonEncoding::kString, "VARCHAR(1048576)", "VARCHAR(1048576)"},    // xml
      {790, -1, JsonEncoding::kString, "VARCHAR(1048576)", "VARCHAR(1048576)"},    // money
      {16385, -1, JsonEncoding::kString, "VARCHAR(1048576)", "VARCHAR(1048576)"},  // an enum
      {1082, -1, JsonEncoding::kDate, "DATE", "DATE"},
      {1114, 6, JsonEncoding::kDateTime, "DATETIME", "DATETIME"},
      {1184, -1, JsonEncoding::kDateTimeTz, "DATETIME", "DATETIME"},
      {114, -1, JsonEncoding::kJson, "JSON", ""},
      {3802, -1, JsonEncoding::kJson, "JSON", ""},
      {17, -1, JsonEncoding::kBinaryHex, "VARBINARY", ""},
      {1000, -1, JsonEncoding::kArray, "ARRAY<BOOLEAN>", ""},
      {1005, -1, JsonEncoding::kArray, "ARRAY<SMALLINT>", ""},
      {1007, -1, JsonEncoding::kArray, "ARRAY<INT>", ""},
      {1016, -1, JsonEncoding::kArray, "ARRAY<BIGINT>", ""},
      {1009, -1, JsonEncoding::kArray, "ARRAY<VARCHAR(1048576)>", ""},
      {1015, 14, JsonEncoding::kArray, "ARRAY<VARCHAR(40)>", ""},
      {1014, -1, JsonEncoding::kArray, "ARRAY<VARCHAR(1048576)>", ""},
      {1021, -1, JsonEncoding::kArray, "ARRAY<FLOAT>", ""},
      {1022, -1, JsonEncoding::kArray, "ARRAY<DOUBLE>", ""},
      {1231, NumericTypmod(10, 2), JsonEncoding::kArray, "ARRAY<DECIMAL(10,2)>", ""},
      {1231, -1, JsonEncoding::kArray, "ARRAY<VARCHAR(1048576)>", ""},
      {1182, -1, JsonEncoding::kArray, "ARRAY<DATE>", ""},
      {1115, -1, JsonEncoding::kArray, "ARRAY<DATETIME>", ""},
      {1185, -1, JsonEncoding::kArray, "ARRAY<DATETIME>", ""},
      {2951, -1, JsonEncoding::kArray, "ARRAY<VARCHAR(36)>", ""},
      {199, -1, JsonEncoding::kArray, "ARRAY<JSON>", ""},
      {3807, -1, JsonEncoding::kArray, "ARRAY<JSON>", ""},
      {1001, -1, JsonEncoding::kArray, "ARRAY<VARCHAR(1048576)>", ""},            // bytea[] as hex
      {1020, -1, JsonEncoding::kString, "VARCHAR(1048576)", "VARCHAR(1048576)"},  // box[]
  };
  for (const Case& c : cases) {
    const TypeMapping m = MapPostgresType(c.oid, c.typmod);
    EXPECT_EQ(m.value.encoding, c.encoding) << c.oid << "/" << c.typmod;
    EXPECT_EQ(m.starrocks_type, c.starrocks_type) << c.oid << "/" << c.typmod;
    EXPECT_EQ(m.key_type, c.key_type) << c.oid << "/" << c.typmod;
  }
}

TEST(TypeMappingTest, ArrayElementSpecs) {
  const TypeMapping ints = MapPostgresType(1007, -1);
  EXPECT_EQ(ints.element.encoding, JsonEncoding::kInteger);
  const TypeMapping decimals = MapPostgresType(1231, NumericTypmod(10, 2));
  EXPECT_EQ(decimals.element.encoding, JsonEncoding::kDecimal);
  EXPECT_EQ(decimals.element.decimal_precision, 10);
  EXPECT_EQ(decimals.element.decimal_scale, 2);
  const TypeMapping tstz = MapPostgresType(1185, -1);
  EXPECT_EQ(tstz.element.encoding, JsonEncoding::kDateTimeTz);
  const TypeMapping jsons = MapPostgresType(3807, -1);
  EXPECT_EQ(jsons.element.encoding, JsonEncoding::kJson);
  EXPECT_EQ(ArrayElementType(1007), 23u);
  EXPECT_EQ(ArrayElementType(23), 0u);
}

TEST(TypeMappingTest, DecimalSpecsCarryTheFitCheck) {
  const TypeMapping m = MapPostgresType(1700, NumericTypmod(12, 2));
  EXPECT_EQ(m.value.decimal_precision, 12);
  EXPECT_EQ(m.value.decimal_scale, 2);
  const TypeMapping unbounded = MapPostgresType(1700, -1);
  EXPECT_EQ(unbounded.value.decimal_precision, 0);  // string target: no fit check
}

TEST(TypeMappingTest, UnboundedNumericCanBeMappedToDecimal38) {
  TypeMappingOptions options;
  options.unbounded_numeric_scale = 10;
  const TypeMapping m = MapPostgresType(1700, -1, options);
  EXPECT_EQ(m.starrocks_type, "DECIMAL(38,10)");
  EXPECT_EQ(m.value.decimal_precision, 38);
  EXPECT_EQ(m.value.decimal_scale, 10);
  const TypeMapping wide = MapPostgresType(1700, NumericTypmod(60, 4), options);
  EXPECT_EQ(wide.starrocks_type, "DECIMAL(38,10)");
  // numeric(p,s) with p <= 38 is unaffected.
  EXPECT_EQ(MapPostgresType(1700, NumericTypmod(12, 2), options).starrocks_type, "DECIMAL(12,2)");
}

TEST(TypeMappingTest, VarcharLengthsAndLimits) {
  const TypeMapping v = MapPostgresType(1043, 10 + 4);
  EXPECT_EQ(v.value.max_bytes, 40u);
  const TypeMapping text = MapPostgresType(25, -1);
  EXPECT_EQ(text.value.max_bytes, 1048576u);
  TypeMappingOptions small;
  small.max_varchar_bytes = 65533;
  EXPECT_EQ(MapPostgresType(25, -1, small).starrocks_type, "VARCHAR(65533)");
  EXPECT_EQ(MapPostgresType(17, -1).value.max_bytes, 1048576u);
}

}  // namespace
}  // namespace dbmazz::sink
