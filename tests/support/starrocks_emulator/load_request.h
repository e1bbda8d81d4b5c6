// A Stream Load request as the BE sees it once the HTTP layer has parsed it.
//
// Thread-safety: plain value type.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_REQUEST_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::starrocks_emulator {

struct LoadRequest {
  std::string db;
  std::string table;
  std::vector<std::pair<std::string, std::string>> headers;  // As received.
  std::string remote_host;
  std::optional<int64_t> content_length;  // nullopt for chunked bodies.

  // First header named `name` (case-insensitive).
  [[nodiscard]] std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (absl::EqualsIgnoreCase(key, AsAbsl(name))) return value;
    }
    return std::nullopt;
  }
  // Header value, "" if absent.
  [[nodiscard]] std::string HeaderOr(std::string_view name) const {
    return Header(name).value_or("");
  }
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_REQUEST_H_
