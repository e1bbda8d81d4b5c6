// A fast reader for the shape almost every Stream Load body has: a JSON array
// (strip_outer_array=true) of flat objects whose keys carry no escapes and
// whose values are scalars (strings, numbers, true, false, null).
//
// It delivers exactly what JsonRowReader's general (nlohmann SAX) reader
// delivers for such a body — same slots, same first-key-wins rule, same value
// kinds (non-negative integers are kUint, negative ones kInt, an integer too
// large for 64 bits or any number with a fraction or exponent is kFloat with
// its text as written) — at a fraction of the cost. It checks the whole body
// before it calls back once, so a body of any other shape, or with any syntax
// or UTF-8 error, is answered `false` with nothing delivered: the caller then
// runs the general reader, whose errors carry StarRocks' wording.
//
// Thread-safety: not thread-safe; one scanner per load.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FLAT_ROW_SCANNER_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FLAT_ROW_SCANNER_H_

#include <string_view>

#include "tests/support/starrocks_emulator/json_row_reader.h"

namespace dbmazz::starrocks_emulator {

class FlatRowScanner {
 public:
  // `reader` (borrowed) resolves keys to slots.
  explicit FlatRowScanner(const JsonRowReader& reader) : reader_(reader) {}

  // `body` starts at the outer '['. `row` (borrowed) is sized for the
  // reader's slots and reused for every object. Returns false, having called
  // nothing, when the body is not of the flat shape or is not valid JSON.
  [[nodiscard]] bool Scan(std::string_view body, JsonRowReader::Row* row,
                          const JsonRowReader::RowCallback& on_row) const;

 private:
  const JsonRowReader& reader_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FLAT_ROW_SCANNER_H_
