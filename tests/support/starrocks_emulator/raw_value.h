// One JSON field value as read from a Stream Load body, before conversion to a
// column type.
//
// Thread-safety: plain value type.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_RAW_VALUE_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_RAW_VALUE_H_

#include <cstdint>
#include <string>

namespace dbmazz::starrocks_emulator {

enum class RawKind : uint8_t { kNull, kBool, kInt, kUint, kFloat, kString, kNested };

struct RawValue {
  RawKind kind = RawKind::kNull;
  bool boolean = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double float_value = 0;
  // kFloat: the number as written; kString: the decoded string; kNested: the
  // object or array as compact JSON (keys in input order). Unused otherwise.
  std::string text;

  // The value as JSON text (for error logs).
  [[nodiscard]] std::string ToJson() const;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_RAW_VALUE_H_
