#include "engine/sink/json_text.h"

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dbmazz::sink {
namespace {

std::string Escape(std::string_view s) {
  std::string out;
  EXPECT_TRUE(AppendJsonString(s, &out)) << "input rejected";
  return out;
}

TEST(JsonTextTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Escape("plain"), "\"plain\"");
  EXPECT_EQ(Escape("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Escape(std::string("\n\t\x01\x1f", 4)), "\"\\u000a\\u0009\\u0001\\u001f\"");
  EXPECT_EQ(Escape(std::string("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(Escape("\x7f/"), "\"\x7f/\"");  // DEL and '/' need no escape
}

TEST(JsonTextTest, EveryAsciiByteRoundTripsThroughAJsonParser) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  const std::string json = Escape(all);
  EXPECT_EQ(nlohmann::json::parse(json).get<std::string>(), all);
}

TEST(JsonTextTest, ValidUtf8PassesThroughUnchanged) {
  const std::string s = "é ñ € 中文 😀 \xf4\x8f\xbf\xbf";  // includes U+10FFFF
  const std::string json = Escape(s);
  EXPECT_EQ(json, "\"" + s + "\"");
  EXPECT_EQ(nlohmann::json::parse(json).get<std::string>(), s);
}

TEST(JsonTextTest, InvalidUtf8IsRejected) {
  for (const std::string& bad : {
           std::string("\xff"),              // never valid
           std::string("\xc0\xaf"),          // overlong '/'
           std::string("\xe0\x80\xaf"),      // overlong
           std::string("\xed\xa0\x80"),      // UTF-16 surrogate
           std::string("\xf4\x90\x80\x80"),  // above U+10FFFF
           std::string("ab\xe2\x82"),        // truncated
           std::string("\x80"),              // lone continuation
       }) {
    std::string out;
    EXPECT_FALSE(AppendJsonString(bad, &out)) << testing::PrintToString(bad);
    EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(bad);
  }
  EXPECT_TRUE(IsValidUtf8("abc é 😀"));
}

TEST(JsonTextTest, NumberGrammar) {
  for (const char* ok : {"0", "-0", "1", "-12", "1.5", "1e+308", "1E5", "5e-324", "0.000001",
                         "1.7976931348623157e+308"}) {
    EXPECT_TRUE(IsJsonNumber(ok)) << ok;
  }
  for (const char* bad : {"", "-", "01", "+1", ".5", "1.", "1e", "1e+", "NaN", "Infinity", "0x10",
                          "1 ", " 1", "--1"}) {
    EXPECT_FALSE(IsJsonNumber(bad)) << bad;
  }
}

TEST(JsonTextTest, ValidateJsonAcceptsWellFormedDocuments) {
  for (const char* ok : {
           "{}",
           "[]",
           "null",
           "true",
           "false",
           "0",
           "-1.5e3",
           "\"x\"",
           " {\"a\": [1, 2, {}]} ",
           "{\"a\":{\"b\":{\"c\":[null,true,false,\"\\u00e9\\ud83d\\ude00\\n\"]}}}",
           "\"\\u0000\"",
           "{\"k\":1,\"k\":2}",
           "\"é😀\"",
           "\n[\r\t1 ]\n",
       }) {
    EXPECT_TRUE(ValidateJson(ok).ok()) << ok << ": " << ValidateJson(ok);
  }
}

TEST(JsonTextTest, ValidateJsonRejectsMalformedDocuments) {
  for (const std::string& bad : {
           std::string(""),
           std::string("   "),
           std::string("{"),
           std::string("{\"a\":1"),
           std::string("{\"a\" 1}"),
           std::string("{a:1}"),
           std::string("[1,]"),
           std::string("[1 2]"),
           std::string("{\"a\":1,}"),
           std::string("{} x"),
           std::string("01"),
           std::string("tru"),
           std::string("nul"),
           std::string("'x'"),
           std::string("\"unterminated"),
           std::string("\"tab\there\""),
           std::string("\"\\x\""),
           std::string("\"\\u12\""),
           std::string("\"\\ud800\""),
           std::string("\"\\udc00\""),
           std::string("\"\\ud800\\u0041\""),
           std::string("\"\xff\""),
           std::string("[1]]"),
           std::string("{\"a\":1}}"),
           std::string("NaN"),
       }) {
    EXPECT_FALSE(ValidateJson(bad).ok()) << testing::PrintToString(bad);
  }
}

TEST(JsonTextTest, ValidateJsonDepthLimit) {
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ValidateJson(ok).ok());
  const std::string deep =
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_FALSE(ValidateJson(deep).ok());
}

}  // namespace
}  // namespace dbmazz::sink

namespace dbmazz::sink {
namespace {

// An exponent of 3+ digits, e.g. 1E429.
bool HasBigExponent(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != 'e' && s[i] != 'E') continue;
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    size_t digits = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j, ++digits;
    if (digits >= 3) return true;
  }
  return false;
}

// Differential check against nlohmann::json on random JSON-like inputs: both
// must agree on what is a valid document.
TEST(JsonTextTest, ValidateJsonAgreesWithNlohmannOnRandomInputs) {
  static constexpr std::string_view kAlphabet = "{}[]\",:0123456789.eE+- \\utrfalsn\xc3\xa9\x01";
  std::mt19937 rng(12345);
  int valid = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    const int len = static_cast<int>(rng() % 12);
    for (int k = 0; k < len; ++k) s.push_back(kAlphabet[rng() % kAlphabet.size()]);
    const bool ours = ValidateJson(s).ok();
    const bool theirs = nlohmann::json::accept(s);
    // nlohmann also rejects numbers that overflow a double (e.g. 1E429),
    // which the JSON grammar allows.
    if (ours && !theirs && HasBigExponent(s)) continue;
    ASSERT_EQ(ours, theirs) << testing::PrintToString(s);
    valid += ours ? 1 : 0;
  }
  EXPECT_GT(valid, 1000);  // the generator does produce valid documents
}

}  // namespace
}  // namespace dbmazz::sink
