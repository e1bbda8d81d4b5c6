#include "engine/sink/value_encoder.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dbmazz::sink {
namespace {

int32_t NumericTypmod(int precision, int scale) {
  return ((precision << 16) | (scale & 0x7ff)) + 4;
}

class ValueEncoderTest : public testing::Test {
 protected:
  // Encodes `text` as type oid/typmod; returns the JSON text (or "ERROR").
  std::string Encode(uint32_t oid, int32_t typmod, std::string_view text,
                     const TypeMappingOptions& options = {}) {
    std::string out;
    const TypeMapping m = MapPostgresType(oid, typmod, options);
    const absl::Status st = AppendScalarValue(m.value, text, &out, &stats_);
    if (!st.ok()) return "ERROR";
    // Every successful output must be one valid JSON value.
    EXPECT_TRUE(nlohmann::json::accept(out)) << out;
    return out;
  }
  std::string Encode(uint32_t oid, std::string_view text) { return Encode(oid, -1, text); }

  EncodeStats stats_;
};

TEST_F(ValueEncoderTest, Bool) {
  EXPECT_EQ(Encode(16, "t"), "true");
  EXPECT_EQ(Encode(16, "f"), "false");
  EXPECT_EQ(Encode(16, "true"), "ERROR");
  EXPECT_EQ(Encode(16, ""), "ERROR");
}

TEST_F(ValueEncoderTest, IntegersIncludingInt8Extremes) {
  EXPECT_EQ(Encode(20, "-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(Encode(20, "9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(nlohmann::json::parse(Encode(20, "-9223372036854775808")).get<int64_t>(), INT64_MIN);
  EXPECT_EQ(nlohmann::json::parse(Encode(20, "9223372036854775807")).get<int64_t>(), INT64_MAX);
  EXPECT_EQ(Encode(21, "-32768"), "-32768");
  EXPECT_EQ(Encode(23, "0"), "0");
  EXPECT_EQ(Encode(26, "4294967295"), "4294967295");
  for (const char* bad :
       {"", "-", "01", "-0", "1.0", "1e3", "+1", " 1", "12a", "99999999999999999999"}) {
    EXPECT_EQ(Encode(20, bad), "ERROR") << bad;
  }
  EXPECT_EQ(stats_.warnings, 0u);
}

TEST_F(ValueEncoderTest, FloatsKeepExactTextAndNullNonFinite) {
  EXPECT_EQ(Encode(701, "1e+308"), "1e+308");
  EXPECT_EQ(Encode(701, "1.7976931348623157e+308"), "1.7976931348623157e+308");
  EXPECT_EQ(Encode(701, "5e-324"), "5e-324");
  EXPECT_EQ(Encode(701, "0.1"), "0.1");
  const std::string neg_zero = Encode(701, "-0");
  EXPECT_EQ(neg_zero, "-0");
  // Kept as "-0" (not "0"): a JSON double parser yields -0.0 from it.
  EXPECT_TRUE(std::signbit(std::strtod(neg_zero.c_str(), nullptr)));
  EXPECT_EQ(Encode(700, "3.4028235e+38"), "3.4028235e+38");
  EXPECT_EQ(stats_.warnings, 0u);

  EXPECT_EQ(Encode(701, "NaN"), "null");
  EXPECT_EQ(Encode(701, "Infinity"), "null");
  EXPECT_EQ(Encode(700, "-Infinity"), "null");
  EXPECT_EQ(stats_.warnings, 3u);
  EXPECT_EQ(stats_.nan_or_infinity, 3u);

  EXPECT_EQ(Encode(701, "inf"), "ERROR");
  EXPECT_EQ(Encode(701, ".5"), "ERROR");
}

TEST_F(ValueEncoderTest, NumericExactDigitsAsString) {
  EXPECT_EQ(Encode(1700, NumericTypmod(12, 2), "1.50"), "\"1.50\"");
  EXPECT_EQ(Encode(1700, NumericTypmod(12, 2), "-1234567890.12"), "\"-1234567890.12\"");
  EXPECT_EQ(Encode(1700, NumericTypmod(10, 4), "123.4500"), "\"123.4500\"");
  const std::string d38 = "12345678901234567890123456789012345678";
  EXPECT_EQ(Encode(1700, NumericTypmod(38, 0), d38), "\"" + d38 + "\"");
  EXPECT_EQ(Encode(1700, NumericTypmod(38, 38), "0." + d38), "\"0." + d38 + "\"");
  // 100 digits into an unbounded numeric (VARCHAR target): exact.
  std::string d100(100, '7');
  d100[0] = '1';
  EXPECT_EQ(Encode(1700, -1, d100), "\"" + d100 + "\"");
  EXPECT_EQ(Encode(1700, -1, "-" + d100 + "." + d100), "\"-" + d100 + "." + d100 + "\"");
  EXPECT_EQ(Encode(1700, -1, "0.00000000000000000001"), "\"0.00000000000000000001\"");
  EXPECT_EQ(stats_.warnings, 0u);
}

TEST_F(ValueEncoderTest, NumericNonFiniteAndOutOfRange) {
  EXPECT_EQ(Encode(1700, NumericTypmod(12, 2), "NaN"), "null");
  EXPECT_EQ(Encode(1700, -1, "Infinity"), "null");
  EXPECT_EQ(Encode(1700, -1, "-Infinity"), "null");
  EXPECT_EQ(stats_.nan_or_infinity, 3u);

  // A user mapping of unbounded numeric to DECIMAL(38,10).
  TypeMappingOptions options;
  options.unbounded_numeric_scale = 10;
  std::string d100(100, '9');
  EXPECT_EQ(Encode(1700, -1, d100, options), "null");
  EXPECT_EQ(Encode(1700, -1, "1.00000000001", options), "null");  // 11 fraction digits
  EXPECT_EQ(stats_.decimal_out_of_range, 2u);
  EXPECT_EQ(Encode(1700, -1, "1.12345678900000", options), "\"1.12345678900000\"");  // zeros
  EXPECT_EQ(Encode(1700, -1, "0000001.5", options), "\"0000001.5\"");
  EXPECT_EQ(stats_.warnings, 5u);

  for (const char* bad : {"", "-", "1e5", "+1", ".5", "1.", "1.2.3", "nan", "1,5"}) {
    EXPECT_EQ(Encode(1700, -1, bad), "ERROR") << bad;
  }
}

TEST_F(ValueEncoderTest, StringsAreValidJsonWhateverTheyContain) {
  const std::string hostile =
      std::string("quote\" backslash\\ slash/ nul\x01 tab\t nl\n cr\r bell\x07 esc\x1b del\x7f ") +
      "emoji😀 accents é ñ cjk 中 rtl \u202e end";
  const std::string json = Encode(25, hostile);
  ASSERT_NE(json, "ERROR");
  EXPECT_EQ(nlohmann::json::parse(json).get<std::string>(), hostile);
  EXPECT_EQ(Encode(25, ""), "\"\"");
  EXPECT_EQ(Encode(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
  EXPECT_EQ(Encode(1186, "1 year 2 mons -3 days +04:05:06.5"),
            "\"1 year 2 mons -3 days +04:05:06.5\"");
  EXPECT_EQ(Encode(1042, 8, "ab  "), "\"ab  \"");  // bpchar padding kept
}

TEST_F(ValueEncoderTest, InvalidUtf8IsAnErrorNeverAltered) {
  EXPECT_EQ(Encode(25, "ok\xff"), "ERROR");
  EXPECT_EQ(Encode(25, "\xc0\xaf"), "ERROR");
  EXPECT_EQ(Encode(25, "\xed\xa0\x80"), "ERROR");
  EXPECT_EQ(Encode(1043, 14, "abc\xe2\x82"), "ERROR");
}

TEST_F(ValueEncoderTest, OversizedStringsBecomeNullWithWarning) {
  TypeMappingOptions options;
  options.max_varchar_bytes = 8;
  EXPECT_EQ(Encode(25, -1, "12345678", options), "\"12345678\"");
  EXPECT_EQ(Encode(25, -1, "123456789", options), "null");
  EXPECT_EQ(stats_.oversized, 1u);
  EXPECT_EQ(stats_.warnings, 1u);
}

TEST_F(ValueEncoderTest, JsonIsEmbeddedNotQuoted) {
  const std::string doc =
      R"({"a": [1, 2.5, {"b": "\u00e9\ud83d\ude00 é 😀"}], "c": null, "d": true, "e": "q\"x"})";
  const std::string out = Encode(3802, doc);
  EXPECT_EQ(out, doc);
  EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(doc));
  EXPECT_EQ(Encode(114, "  [1,2]  "), "  [1,2]  ");
  EXPECT_EQ(Encode(114, "\"\\u0000\""), "\"\\u0000\"");
  EXPECT_EQ(Encode(114, "42"), "42");
  EXPECT_EQ(Encode(114, "{\"a\":1"), "ERROR");
  EXPECT_EQ(Encode(114, "{\"a\":1} {}"), "ERROR");
  EXPECT_EQ(Encode(114, "\"\\ud800\""), "ERROR");
  EXPECT_EQ(Encode(3802, ""), "ERROR");
}

TEST_F(ValueEncoderTest, ByteaAsLowercaseHex) {
  EXPECT_EQ(Encode(17, "\\x0a0bff"), "\"0a0bff\"");
  EXPECT_EQ(Encode(17, "\\xDEADBEEF"), "\"deadbeef\"");
  EXPECT_EQ(Encode(17, "\\x"), "\"\"");
  EXPECT_EQ(Encode(17, "abc"), "ERROR");     // escape format
  EXPECT_EQ(Encode(17, "\\x0a0"), "ERROR");  // odd digits
  EXPECT_EQ(Encode(17, "\\x0g"), "ERROR");   // not hex
  EXPECT_EQ(Encode(17, "\\\\001"), "ERROR");
}

TEST_F(ValueEncoderTest, DatesThroughTheDispatcher) {
  EXPECT_EQ(Encode(1082, "2024-02-29"), "\"2024-02-29\"");
  EXPECT_EQ(Encode(1114, "2024-03-01 12:34:56.5"), "\"2024-03-01 12:34:56.500000\"");
  EXPECT_EQ(Encode(1184, "2024-03-01 12:34:56.123456+05:30"), "\"2024-03-01 07:04:56.123456\"");
}

TEST_F(ValueEncoderTest, ArraySpecIsRejected) {
  std::string out;
  ValueSpec spec;
  spec.encoding = JsonEncoding::kArray;
  EXPECT_EQ(AppendScalarValue(spec, "{1}", &out, &stats_).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace dbmazz::sink
