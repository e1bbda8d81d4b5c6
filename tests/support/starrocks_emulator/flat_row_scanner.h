// A fast reader for the shape almost every Stream Load body has: a JSON array
// (strip_outer_array=true) of flat objects whose keys carry no escapes and
// whose values are scalars (strings, numbers, true, false, null).
//
// It delivers exactly what JsonRowReader's general (nlohmann SAX) reader
// delivers for such a body — same slots, same first-key-wins rule, same value
// kinds (non-negative integers are kUint, negative ones kInt, an integer too
// large for 64 bits or any number with a fraction or exponent is kFloat with
// its text as written) — at a fraction of the cost. A body of any other shape,
// or with any syntax or UTF-8 error, is answered `false`: the caller then runs
// the general reader, whose errors carry StarRocks' wording.
//
// Thread-safety: not thread-safe; one scanner per load.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FLAT_ROW_SCANNER_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FLAT_ROW_SCANNER_H_

#include <functional>
#include <string_view>

#include "tests/support/starrocks_emulator/json_row_reader.h"

namespace dbmazz::starrocks_emulator {

class FlatRowScanner {
 public:
  // `reader` (borrowed) resolves keys to slots.
  explicit FlatRowScanner(const JsonRowReader& reader) : reader_(reader) {}

  // `body` starts at the outer '['. `row` (borrowed) is sized for the
  // reader's slots and reused for every object. Returns false, having called
  // nothing, when the body is not of the flat shape or is not valid JSON: it
  // checks the whole body before delivering (two passes).
  [[nodiscard]] bool Scan(std::string_view body, JsonRowReader::Row* row,
                          const JsonRowReader::RowCallback& on_row) const;

  // The same in one pass: rows are delivered as they are checked. When it
  // returns false after delivering rows, it first calls `on_abandon`, and the
  // consumer must forget every row delivered.
  [[nodiscard]] bool ScanOnce(std::string_view body, JsonRowReader::Row* row,
                              const JsonRowReader::RowCallback& on_row,
                              const std::function<void()>& on_abandon) const;

 private:
  const JsonRowReader& reader_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FLAT_ROW_SCANNER_H_
