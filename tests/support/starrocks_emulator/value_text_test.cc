// AppendDecimal / AppendDate / AppendDatetime (which write straight into a
// row) against the string-building implementation they replaced, on random
// and edge-case inputs.
#include "tests/support/starrocks_emulator/value_text.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dbmazz::starrocks_emulator {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The previous ParseDecimal, kept as the reference.
std::optional<std::string> ReferenceParseDecimal(std::string_view text, int precision, int scale) {
  std::string_view s = TrimSpace(text);
  size_t pos = 0;
  bool negative = false;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) negative = s[pos++] == '-';
  std::string digits;
  int frac_len = 0;
  bool any_digit = false;
  while (pos < s.size() && IsDigit(s[pos])) {
    digits.push_back(s[pos++]);
    any_digit = true;
  }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && IsDigit(s[pos])) {
      digits.push_back(s[pos++]);
      ++frac_len;
      any_digit = true;
    }
  }
  if (!any_digit) return std::nullopt;
  long exponent = 0;
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    bool exp_negative = false;
    if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) exp_negative = s[pos++] == '-';
    if (pos >= s.size() || !IsDigit(s[pos])) return std::nullopt;
    while (pos < s.size() && IsDigit(s[pos])) {
      if (exponent < 100000) exponent = exponent * 10 + (s[pos] - '0');
      ++pos;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (pos != s.size()) return std::nullopt;

  size_t first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? std::string() : digits.substr(first);
  long shift = exponent - frac_len + scale;  // value * 10^scale = digits * 10^shift
  if (!digits.empty()) {
    if (shift >= 0) {
      if (static_cast<long>(digits.size()) + shift > precision) return std::nullopt;
      digits.append(static_cast<size_t>(shift), '0');
    } else {
      size_t drop = static_cast<size_t>(-shift);
      bool round_up = false;
      if (drop > digits.size()) {
        digits.clear();
      } else {
        round_up = digits[digits.size() - drop] >= '5';
        digits.resize(digits.size() - drop);
      }
      if (round_up) {
        int i = static_cast<int>(digits.size()) - 1;
        while (i >= 0 && digits[i] == '9') digits[i--] = '0';
        if (i < 0) {
          digits.insert(digits.begin(), '1');
        } else {
          ++digits[i];
        }
      }
    }
  }
  if (static_cast<int>(digits.size()) > precision) return std::nullopt;
  bool zero = digits.empty();
  if (static_cast<int>(digits.size()) < scale + 1) {
    digits.insert(0, static_cast<size_t>(scale + 1) - digits.size(), '0');
  }
  std::string out;
  if (negative && !zero) out.push_back('-');
  out.append(digits, 0, digits.size() - scale);
  if (scale > 0) {
    out.push_back('.');
    out.append(digits, digits.size() - scale, scale);
  }
  return out;
}

void ExpectSameDecimal(const std::string& text, int precision, int scale) {
  std::optional<std::string> expected = ReferenceParseDecimal(text, precision, scale);
  EXPECT_EQ(ParseDecimal(text, precision, scale), expected)
      << text << " (" << precision << "," << scale << ")";
  std::string out = "prefix";
  bool ok = AppendDecimal(text, precision, scale, &out);
  EXPECT_EQ(ok, expected.has_value()) << text;
  EXPECT_EQ(out, expected ? "prefix" + *expected : "prefix") << text;
}

TEST(ValueTextAppendTest, DecimalsMatchTheReference) {
  const char* edge[] = {"0",
                        "-0",
                        "+0",
                        "00012.3400",
                        ".5",
                        "5.",
                        "-.5",
                        "9.995",
                        "99.995",
                        "-99.995",
                        "0.0005",
                        "0.005",
                        "1e2",
                        "1E-2",
                        "1.5e+1",
                        "-1.5e-1",
                        "1e",
                        "1e+",
                        "e5",
                        ".",
                        "-",
                        "",
                        "  7.25 ",
                        "1 2",
                        "1.2.3",
                        "1e100000",
                        "1e-99999",
                        "0e5",
                        "0.000e9",
                        "12345678901234567890123456789012345678",
                        "999999999999999999999999999999999999999.5"};
  for (const char* text : edge) {
    for (int precision : {1, 2, 4, 10, 18, 27, 38}) {
      for (int scale : {0, 1, 2, precision}) {
        if (scale <= precision) ExpectSameDecimal(text, precision, scale);
      }
    }
  }
  std::mt19937 rng(5);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const std::string alphabet = "0123456789.-+eE ";
  for (int round = 0; round < 100000; ++round) {
    std::string text;
    if (round % 2 == 0) {  // Free-form.
      int length = pick(14);
      for (int i = 0; i < length; ++i)
        text.push_back(alphabet[pick(static_cast<int>(alphabet.size()))]);
    } else {  // Number-shaped.
      if (pick(3) == 0) text.push_back(pick(2) == 0 ? '-' : '+');
      for (int i = pick(4) == 0 ? 0 : pick(25); i > 0; --i)
        text.push_back(static_cast<char>('0' + (pick(3) == 0 ? 9 : pick(10))));
      if (pick(2) == 0) {
        text.push_back('.');
        for (int i = pick(20); i > 0; --i)
          text.push_back(static_cast<char>('0' + (pick(3) == 0 ? 9 : pick(10))));
      }
      if (pick(4) == 0)
        absl::StrAppend(&text, pick(2) == 0 ? "e" : "E", pick(2) == 0 ? "-" : "", pick(45));
    }
    int precision = 1 + pick(38);
    int scale = pick(precision + 1);
    ExpectSameDecimal(text, precision, scale);
    if (HasFailure()) break;
  }
}

TEST(ValueTextAppendTest, DatesAndTimesRoundTrip) {
  std::mt19937 rng(9);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  for (int round = 0; round < 20000; ++round) {
    int year = pick(4) == 0 ? pick(1000) : 1900 + pick(200);
    int month = 1 + pick(12);
    int day = 1 + pick(28);
    int hour = pick(24);
    int minute = pick(60);
    int second = pick(60);
    int micros = pick(3) == 0 ? 0 : pick(1000000);
    std::string date = absl::StrFormat("%04d-%02d-%02d", year, month, day);
    std::string datetime = absl::StrFormat("%s %02d:%02d:%02d", date, hour, minute, second);
    if (micros != 0) absl::StrAppendFormat(&datetime, ".%06d", micros);
    std::string loose =
        absl::StrFormat("%04d/%d/%d %d:%d:%d", year, month, day, hour, minute, second);
    if (micros != 0) absl::StrAppendFormat(&loose, ".%06d", micros);
    EXPECT_EQ(ParseDate(datetime), date);
    EXPECT_EQ(ParseDatetime(datetime), datetime);
    EXPECT_EQ(ParseDatetime(loose), datetime) << loose;
    EXPECT_EQ(ParseDatetime(date), date + " 00:00:00");
    std::string out = "x";
    EXPECT_TRUE(AppendDatetime(loose, &out));
    EXPECT_EQ(out, "x" + datetime);
    if (HasFailure()) break;
  }
  std::string out = "x";
  EXPECT_FALSE(AppendDate("2023-02-29", &out));
  EXPECT_FALSE(AppendDatetime("2024-01-02 24:00:00", &out));
  EXPECT_EQ(out, "x");
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
