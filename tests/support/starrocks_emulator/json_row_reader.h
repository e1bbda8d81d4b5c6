// Streams the rows of a JSON Stream Load body, with StarRocks' rules:
//   strip_outer_array=true:  the body is one array of objects;
//   strip_outer_array=false: the body is one object, or objects one after the
//                            other (NDJSON or simply concatenated).
// Keys are matched to slots case-insensitively; unknown keys are ignored; for
// a key repeated within one object the first value wins. Nested objects and
// arrays are delivered as compact JSON text.
//
// Any syntax or shape error fails the whole body with a message in StarRocks'
// wording ("parse error. illegal json started with x", ...).
//
// Thread-safety: not thread-safe; use one reader per load.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_JSON_ROW_READER_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_JSON_ROW_READER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "tests/support/starrocks_emulator/raw_value.h"

namespace dbmazz::starrocks_emulator {

class JsonRowReader {
 public:
  struct Row {
    std::vector<RawValue> values;  // One per slot.
    std::vector<uint8_t> present;  // 1 if the object had the slot's key.
  };
  using RowCallback = std::function<void(const Row&)>;

  // `flat_fast_path`: read array bodies of flat objects with FlatRowScanner
  // (same rows, far less CPU); off only to compare the two in tests.
  explicit JsonRowReader(std::vector<std::string> slot_names, bool flat_fast_path = true);

  using RestartCallback = std::function<void()>;

  // Calls `on_row` for every object, in body order. Returns OK (also for an
  // empty body) or InvalidArgument carrying StarRocks' parse error message.
  // Rows delivered before an error must be discarded by the caller.
  //
  // With `on_restart`, the fast path reads the body in one pass, delivering
  // rows as it checks them; should it then meet something only the general
  // reader handles, it calls `on_restart` (the consumer must forget every row
  // delivered so far) and the general reader starts over from the first row.
  // Without it, the fast path checks the whole body before delivering a row.
  [[nodiscard]] absl::Status Read(std::string_view body, bool strip_outer_array,
                                  const RowCallback& on_row,
                                  const RestartCallback& on_restart = nullptr);

  // Renders a row as a JSON object of its present slots (for error logs).
  [[nodiscard]] std::string RowToJson(const Row& row) const;

  // Slot of `key` (case-insensitive), or -1.
  [[nodiscard]] int FindSlot(std::string_view key) const;

 private:
  std::vector<std::string> slot_names_;
  bool flat_fast_path_;
  absl::flat_hash_map<std::string, int> slot_by_lower_name_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_JSON_ROW_READER_H_
