#include "engine/sink/array_encoder.h"

#include <iterator>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dbmazz::sink {
namespace {

using nlohmann::json;

int32_t NumericTypmod(int precision, int scale) {
  return ((precision << 16) | (scale & 0x7ff)) + 4;
}

class ArrayEncoderTest : public testing::Test {
 protected:
  // Encodes an array literal of array type `oid`; "ERROR" on failure.
  std::string Encode(uint32_t oid, std::string_view text, int32_t typmod = -1) {
    const TypeMapping m = MapPostgresType(oid, typmod);
    EXPECT_EQ(m.value.encoding, JsonEncoding::kArray) << oid;
    std::string out = "prefix:";
    const absl::Status st = encoder_.Append(m.element, text, &out, &stats_);
    if (!st.ok()) return "ERROR";
    EXPECT_EQ(out.substr(0, 7), "prefix:");
    out.erase(0, 7);
    EXPECT_TRUE(json::accept(out)) << out;
    return out;
  }

  ArrayEncoder encoder_;
  EncodeStats stats_;
};

TEST_F(ArrayEncoderTest, IntegersWithNulls) {
  EXPECT_EQ(Encode(1007, "{1,2,NULL,-3}"), "[1,2,null,-3]");
  EXPECT_EQ(Encode(1016, "{-9223372036854775808,9223372036854775807}"),
            "[-9223372036854775808,9223372036854775807]");
  EXPECT_EQ(Encode(1007, "{null,Null,NULL}"), "[null,null,null]");
  EXPECT_EQ(Encode(1007, "{ 1 , 2 }"), "[1,2]");
  EXPECT_EQ(Encode(1007, "{}"), "[]");
  EXPECT_EQ(Encode(1007, " { } "), "[]");
}

TEST_F(ArrayEncoderTest, TextQuotingAndEscapes) {
  // Exactly what PostgreSQL's array_out printed for
  // ARRAY['a b','c"d',NULL,'NULL','','x\y','{}',' lead'].
  const std::string out = Encode(1009, R"({"a b","c\"d",NULL,"NULL","","x\\y","{}"," lead"})");
  ASSERT_NE(out, "ERROR");
  const json expected = json::array({"a b", "c\"d", nullptr, "NULL", "", "x\\y", "{}", " lead"});
  EXPECT_EQ(json::parse(out), expected);
  EXPECT_EQ(Encode(1009, "{\"null\"}"), "[\"null\"]");
  // Control characters inside elements come out escaped.
  EXPECT_EQ(json::parse(Encode(1009, "{\"a\tb\",\"new\nline\"}")),
            json::array({"a\tb", "new\nline"}));
  // Backslash escapes in unquoted elements (accepted by array_in).
  EXPECT_EQ(json::parse(Encode(1009, R"({a\,b,c\\d,\NULL})")),
            json::array({"a,b", "c\\d", "NULL"}));
  // bpchar padding is part of the value.
  EXPECT_EQ(Encode(1014, "{\"ab  \"}"), "[\"ab  \"]");
  EXPECT_EQ(Encode(1009, "{é,😀}"), "[\"é\",\"😀\"]");
  EXPECT_EQ(Encode(1009, "{\"\xff\"}"), "ERROR");
}

TEST_F(ArrayEncoderTest, ElementEncodingsFollowTheElementType) {
  EXPECT_EQ(Encode(1000, "{t,f,NULL}"), "[true,false,null]");
  EXPECT_EQ(Encode(1231, "{1.50,-2.25,NULL}", NumericTypmod(10, 2)), "[\"1.50\",\"-2.25\",null]");
  EXPECT_EQ(Encode(1182, "{2024-01-01,NULL}"), "[\"2024-01-01\",null]");
  EXPECT_EQ(Encode(1185, "{\"2024-01-01 00:00:00+00\",\"2024-01-01 01:00:00+02\"}"),
            "[\"2024-01-01 00:00:00\",\"2023-12-31 23:00:00\"]");
  EXPECT_EQ(Encode(2951, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"),
            "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]");
  EXPECT_EQ(Encode(1001, R"({"\\x00ff",NULL})"), "[\"00ff\",null]");
  // jsonb[]: elements are embedded JSON values, not strings.
  const std::string jsons = Encode(3807, R"({"{\"a\": 1}","[1, \"x\"]",NULL})");
  EXPECT_EQ(json::parse(jsons), json::parse(R"([{"a": 1}, [1, "x"], null])"));
  EXPECT_EQ(Encode(3807, R"({"{\"a\": }"})"), "ERROR");
  EXPECT_EQ(Encode(1007, "{1,x}"), "ERROR");
  EXPECT_EQ(stats_.warnings, 0u);
}

TEST_F(ArrayEncoderTest, NonFiniteElementsAreNullWithWarning) {
  EXPECT_EQ(Encode(1022, "{1.5,NaN,-Infinity,1e+308}"), "[1.5,null,null,1e+308]");
  EXPECT_EQ(Encode(1182, "{infinity,2024-01-01}"), "[null,\"2024-01-01\"]");
  EXPECT_EQ(stats_.nan_or_infinity, 2u);
  EXPECT_EQ(stats_.datetime_out_of_range, 1u);
  EXPECT_EQ(stats_.warnings, 3u);
}

TEST_F(ArrayEncoderTest, MultiDimensionalAndExplicitBoundsAreNullWithWarning) {
  EXPECT_EQ(Encode(1007, "{{1,2},{3,4}}"), "null");
  EXPECT_EQ(Encode(1007, "[0:1]={1,2}"), "null");
  EXPECT_EQ(Encode(1007, "[2:2]={1}"), "null");
  EXPECT_EQ(Encode(1009, "{{\"a\"}}"), "null");
  EXPECT_EQ(stats_.unsupported_array, 4u);
  EXPECT_EQ(stats_.warnings, 4u);
}

TEST_F(ArrayEncoderTest, MalformedLiteralsAreErrors) {
  for (const char* bad : {"", "1,2", "{1,2", "{1,,2}", "{,1}", "{1,}", "{\"a}", "{1}x", "{a\"b}",
                          "{1 2}x", "{a\\}", "{1}}"}) {
    EXPECT_EQ(Encode(1009, bad), "ERROR") << bad;
  }
}

}  // namespace
}  // namespace dbmazz::sink

namespace dbmazz::sink {
namespace {

// Random array-literal-like inputs for several element types: every accepted
// input must produce exactly one valid JSON value, and nothing may crash.
TEST(ArrayEncoderRandomTest, AcceptedInputsAlwaysProduceValidJson) {
  static constexpr std::string_view kAlphabet = "{}[]\",\\ 01-.:eNULtfa\t\xc3\xa9\xff";
  const uint32_t array_types[] = {1007, 1009, 1022, 1000, 1182, 1185, 3807, 1001, 1231};
  std::mt19937 rng(777);
  ArrayEncoder encoder;
  EncodeStats stats;
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string s = "{";
    const int len = static_cast<int>(rng() % 10);
    for (int k = 0; k < len; ++k) s.push_back(kAlphabet[rng() % kAlphabet.size()]);
    if (rng() % 2) s.push_back('}');
    const TypeMapping m = MapPostgresType(array_types[rng() % std::size(array_types)], -1);
    std::string out;
    if (!encoder.Append(m.element, s, &out, &stats).ok()) continue;
    ++accepted;
    ASSERT_TRUE(nlohmann::json::accept(out)) << testing::PrintToString(s) << " -> " << out;
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace dbmazz::sink
