// FlatRowScanner must deliver exactly what the general (nlohmann SAX) reader
// delivers, and hand every body it does not fully understand back: untouched
// (Scan), or with the rows it delivered first revoked (one-pass ScanOnce).
#include "tests/support/starrocks_emulator/flat_row_scanner.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/json_row_reader.h"

namespace dbmazz::starrocks_emulator {
namespace {

const std::vector<std::string> kSlots = {"id", "name", "amount", "flag", "__op"};

// Everything a row carries that a converter can look at.
std::string Describe(const JsonRowReader::Row& row) {
  std::string out;
  for (size_t i = 0; i < row.values.size(); ++i) {
    if (!row.present[i]) {
      out += "-|";
      continue;
    }
    const RawValue& v = row.values[i];
    uint64_t bits = 0;
    std::memcpy(&bits, &v.float_value, sizeof(bits));
    switch (v.kind) {
      case RawKind::kNull:
        absl::StrAppend(&out, "null|");
        break;
      case RawKind::kBool:
        absl::StrAppend(&out, "bool:", v.boolean, "|");
        break;
      case RawKind::kInt:
        absl::StrAppend(&out, "int:", v.int_value, "|");
        break;
      case RawKind::kUint:
        absl::StrAppend(&out, "uint:", v.uint_value, "|");
        break;
      case RawKind::kFloat:
        absl::StrAppend(&out, "float:", bits, ":", v.text, "|");
        break;
      case RawKind::kString:
        absl::StrAppend(&out, "string:", v.text.size(), ":", v.text, "|");
        break;
      case RawKind::kNested:
        absl::StrAppend(&out, "nested:", v.text, "|");
        break;
    }
  }
  return out;
}

struct Outcome {
  std::string status;
  std::vector<std::string> rows;
};

Outcome ReadWith(bool fast, std::string_view body) {
  JsonRowReader reader(kSlots, fast);
  Outcome out;
  absl::Status st =
      reader.Read(body, /*strip_outer_array=*/true,
                  [&](const JsonRowReader::Row& row) { out.rows.push_back(Describe(row)); });
  out.status = st.ToString();
  if (!st.ok()) out.rows.clear();  // Rows before an error are discarded.
  return out;
}

// The one-pass fast path: rows arrive while the body is checked, and a
// restart tells the consumer to forget them.
Outcome ReadOnePass(std::string_view body, int* restarts) {
  JsonRowReader reader(kSlots);
  Outcome out;
  *restarts = 0;
  absl::Status st = reader.Read(
      body, /*strip_outer_array=*/true,
      [&](const JsonRowReader::Row& row) { out.rows.push_back(Describe(row)); },
      [&] {
        ++*restarts;
        out.rows.clear();
      });
  out.status = st.ToString();
  if (!st.ok()) out.rows.clear();
  return out;
}

void ExpectSameAsGeneral(std::string_view body) {
  Outcome fast = ReadWith(true, body);
  Outcome general = ReadWith(false, body);
  EXPECT_EQ(fast.status, general.status) << body;
  EXPECT_EQ(fast.rows, general.rows) << body;
  int restarts = 0;
  Outcome one_pass = ReadOnePass(body, &restarts);
  EXPECT_EQ(one_pass.status, general.status) << body;
  EXPECT_EQ(one_pass.rows, general.rows) << body;
  EXPECT_LE(restarts, 1) << body;
}

bool ScannerTakes(std::string_view body) {
  JsonRowReader reader(kSlots);
  JsonRowReader::Row row;
  row.values.resize(kSlots.size());
  row.present.assign(kSlots.size(), 0);
  int calls = 0;
  bool taken = FlatRowScanner(reader).Scan(body, &row, [&](const auto&) { ++calls; });
  if (!taken) {
    EXPECT_EQ(calls, 0) << "rows delivered before handing back: " << body;
  }
  return taken;
}

TEST(FlatRowScannerTest, DeliversWhatTheGeneralReaderDelivers) {
  const char* bodies[] = {
      R"([{"id":1,"name":"a","amount":"12.50","flag":true,"__op":0}])",
      R"( [ { "ID" : 7 , "Name" : "x y" } , {"id":-3,"flag":false,"__op":1} ] )",
      R"([{"id":0},{"id":-0},{"id":18446744073709551615},{"id":18446744073709551616}])",
      R"([{"id":-9223372036854775808},{"id":-9223372036854775809},{"id":1234567890123456789012}])",
      R"([{"amount":1.5},{"amount":-1E-3},{"amount":2e+10},{"amount":0.000001}])",
      R"([{"name":"tab\there \"quoted\" back\\slash \/ \b\f\n\r"}])",
      R"([{"name":"\u00e9\u4e2d\ud83d\ude00 caf\u00C9"},{"name":"raw é 中 😀"}])",
      R"([{"name":null,"id":null},{"id":1,"id":2,"ID":3,"unknown":"z","name":"n"}])",
      R"([{},{}])",
      R"([])",
      R"([{"__op":"1","id":"42"}])",
  };
  for (const char* body : bodies) {
    EXPECT_TRUE(ScannerTakes(body)) << body;
    ExpectSameAsGeneral(body);
  }
}

TEST(FlatRowScannerTest, HandsBackWhatItDoesNotFullyUnderstand) {
  const char* bodies[] = {
      R"([{"id":1,"name":{"nested":[1,2]}}])",  // Nested values.
      R"([{"id":[1]}])",
      R"([{"id":1}] trailing)",
      R"([{"id":01}])",
      R"([{"id":1.}])",
      R"([{"id":1e}])",
      R"([{"id":1e999}])",
      R"([{"name":"\ud800"}])",  // Lone surrogates.
      R"([{"name":"\udc00"}])",
      R"([{"name":"\x"}])",
      "[{\"name\":\"\xc3\x28\"}]",  // Ill-formed UTF-8.
      "[{\"name\":\"\xed\xa0\x80\"}]",
      "[{\"name\":\"a\nb\"}]",  // A raw control character.
      R"([{"na\u006de":1}])",   // An escaped key.
      R"([{"id":1},])",
      R"([{"id":1}{"id":2}])",
      R"([1,2])",
      R"([{"id":tru}])",
      R"([{"id":1)",
      R"([{"id":"open)",
  };
  for (const char* body : bodies) {
    EXPECT_FALSE(ScannerTakes(body)) << body;
    ExpectSameAsGeneral(body);
  }
}

// The one-pass fast path reads a body's first rows before it meets what it
// cannot take: the consumer is told once to forget them, and the general
// reader's rows (or error) are all that remains.
TEST(FlatRowScannerTest, OnePassHandsBackAfterDeliveringRows) {
  struct Case {
    const char* body;
    size_t general_rows;  // 0: the general reader fails too.
  };
  const Case cases[] = {
      {R"([{"id":1,"name":"a"},{"id":2,"flag":true},{"id":3,"name":{"x":[1]}},{"id":4}])", 4},
      {R"([{"id":1},{"id":2,"amount":[1,2]}])", 2},
      {R"([{"id":1},{"id":2}, {"id":3,"name":"\ud800"}])", 0},  // Lone surrogate.
      {"[{\"id\":1},{\"name\":\"\xc3\x28\"}]", 0},              // Ill-formed UTF-8.
      {R"([{"id":1},{"id":1e999}])", 0},                        // Overflow.
      {R"([{"id":1},{"id":2}] trailing)", 0},
      {R"([{"id":1},{"id":2},)", 0},
  };
  for (const Case& c : cases) {
    int restarts = 0;
    Outcome one_pass = ReadOnePass(c.body, &restarts);
    Outcome general = ReadWith(false, c.body);
    EXPECT_EQ(restarts, 1) << c.body;
    EXPECT_EQ(one_pass.status, general.status) << c.body;
    EXPECT_EQ(one_pass.rows, general.rows) << c.body;
    EXPECT_EQ(one_pass.rows.size(), c.general_rows) << c.body;
  }
  // Nothing delivered yet: no restart to announce.
  int restarts = 0;
  Outcome one_pass = ReadOnePass(R"([{"id":[1]},{"id":2}])", &restarts);
  EXPECT_EQ(restarts, 0);
  EXPECT_EQ(one_pass.rows.size(), 2u);
}

TEST(FlatRowScannerTest, ScanOnceCallsOnAbandonOnlyAfterDelivering) {
  JsonRowReader reader(kSlots);
  JsonRowReader::Row row;
  row.values.resize(kSlots.size());
  row.present.assign(kSlots.size(), 0);
  FlatRowScanner scanner(reader);
  int calls = 0;
  int abandons = 0;
  auto on_row = [&](const auto&) { ++calls; };
  auto on_abandon = [&] { ++abandons; };
  EXPECT_TRUE(scanner.ScanOnce(R"([{"id":1},{"id":2}])", &row, on_row, on_abandon));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(abandons, 0);
  EXPECT_FALSE(scanner.ScanOnce(R"([{"id":1},{"id":2},{"id":{}}])", &row, on_row, on_abandon));
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(abandons, 1);
  EXPECT_FALSE(scanner.ScanOnce(R"([{"id":{}},{"id":2}])", &row, on_row, on_abandon));
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(abandons, 1);
}

// Strings are checked 8 bytes at a time where they can be: put each kind of
// special byte at every position of longer strings, in keys and values.
TEST(FlatRowScannerTest, SpecialBytesAtEveryPositionOfLongStrings) {
  const std::string specials[] = {"\\\"",     "\\\\", "\\u00e9",          "\n",   "\x1f", "\x7f",
                                  "\xc3\xa9", "\xc3", "\xf0\x9f\x98\x80", "\xff", "\"",   "{"};
  for (const std::string& special : specials) {
    for (size_t length = 0; length < 24; ++length) {
      for (size_t at = 0; at <= length; ++at) {
        std::string text(length, 'a');
        text.insert(at, special);
        ExpectSameAsGeneral(absl::StrCat(R"([{"name":")", text, R"(","id":1}])"));
        ExpectSameAsGeneral(absl::StrCat(R"([{"id":1},{")", text, R"(":2}])"));
        if (HasFailure()) return;
      }
    }
  }
}

// Random bodies of the usual shape, then the same bodies with a byte changed:
// whatever the scanner takes, it must read exactly as the general reader.
TEST(FlatRowScannerTest, RandomBodiesAndMutations) {
  std::mt19937 rng(20261204);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const char* keys[] = {"id", "ID", "name", "amount", "flag", "__op", "other"};
  const char* values[] = {
      "1",    "-17",       "0",         "3.25",    "-0.5e3",      "true",   "false",
      "null", "\"text\"",  "\"\"",      "\"\\n\"", "\"\\u00fc\"", "\"ü😀\"", "99999999999999999999",
      "[1]",  "{\"a\":1}", "\"a\\\"b\""};
  const char spaces[] = {' ', '\n', '\t', '\r'};
  int taken = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string body = "[";
    int rows = pick(4);
    for (int r = 0; r < rows; ++r) {
      if (r > 0) body += ",";
      if (pick(4) == 0) body += spaces[pick(4)];
      body += "{";
      int members = pick(5);
      for (int m = 0; m < members; ++m) {
        if (m > 0) body += ",";
        absl::StrAppend(&body, "\"", keys[pick(7)], "\":");
        if (pick(5) == 0) body += spaces[pick(4)];
        body += values[pick(sizeof(values) / sizeof(values[0]))];
      }
      body += "}";
    }
    body += "]";
    if (round % 2 == 1 && !body.empty()) {
      body[pick(static_cast<int>(body.size()))] = static_cast<char>(rng() % 256);
    }
    if (ScannerTakes(body)) ++taken;
    ExpectSameAsGeneral(body);
    if (HasFailure()) break;
  }
  EXPECT_GT(taken, 500);  // The scanner really ran, not just the fallback.
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
