// Stream Load header parameters, validated in the two steps the BE uses:
// before the transaction begins (format, JSON size, timeout) and while
// planning (booleans, columns, partial update, compression). Messages are
// StarRocks' own.
//
// Thread-safety: plain value type and free functions.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_OPTIONS_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/support/starrocks_emulator/load_request.h"

namespace dbmazz::starrocks_emulator {

inline constexpr int64_t kDefaultJsonSizeLimit = int64_t{100} * 1024 * 1024;

struct LoadOptions {
  std::string format = "csv";
  bool strip_outer_array = false;
  bool ignore_json_size = false;
  double max_filter_ratio = 0;
  bool strict_mode = false;
  std::optional<std::vector<std::string>> columns;
  bool partial_update = false;
  std::string partial_update_mode;  // "", "row", "column" or "auto".
  std::string merge_condition;
  int64_t timeout_s = 600;
};

// Step 1 (before begin_txn): format, JSON body size, timeout.
[[nodiscard]] absl::Status ParsePreBeginOptions(const LoadRequest& request, int64_t json_size_limit,
                                                LoadOptions* options);

// Step 2 (planning): every other header. Also rejects the headers the
// emulator does not implement (jsonpaths, json_root, where, compression, CSV).
[[nodiscard]] absl::Status ParsePlanOptions(const LoadRequest& request, LoadOptions* options);

// The label check StarRocks' FE applies: ^[-\w]{1,128}$.
[[nodiscard]] bool IsValidLabel(const std::string& label);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_OPTIONS_H_
