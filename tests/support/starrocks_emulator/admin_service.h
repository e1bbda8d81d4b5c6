// Test-observability endpoints under /__emulator/ on the FE port (documented
// in docs/starrocks-emulator.md), also callable in-process.
//
// Thread-safety: thread-safe; every method takes EmulatorState's locks.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ADMIN_SERVICE_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ADMIN_SERVICE_H_

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tests/support/starrocks_emulator/emulator_state.h"

namespace dbmazz::starrocks_emulator {

class AdminService {
 public:
  // `state` must outlive the service.
  explicit AdminService(EmulatorState* state) : state_(state) {}

  void Register(httplib::Server& server);

  // NotFound if the table does not exist.
  [[nodiscard]] absl::StatusOr<nlohmann::ordered_json> DumpTable(const std::string& db,
                                                                 const std::string& table);
  [[nodiscard]] absl::StatusOr<int64_t> RowCount(const std::string& db, const std::string& table);
  [[nodiscard]] absl::StatusOr<std::string> Checksum(const std::string& db,
                                                     const std::string& table);
  [[nodiscard]] absl::Status Truncate(const std::string& db, const std::string& table);
  // Body: a table document (see schema.h). InvalidArgument / AlreadyExists.
  [[nodiscard]] absl::Status CreateTable(std::string_view spec);
  // Body: {"db","label","state"[,"duration_ms","then"]}.
  [[nodiscard]] absl::Status SetLabelState(std::string_view json);
  [[nodiscard]] nlohmann::ordered_json ListTables();
  [[nodiscard]] nlohmann::ordered_json ListLabels(const std::string& db);
  [[nodiscard]] nlohmann::ordered_json Stats();
  // Empties every table and forgets labels, error logs, faults, the load log
  // and the counters. Tables (also those created at run time) are kept.
  void Reset();

 private:
  EmulatorState* state_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ADMIN_SERVICE_H_
