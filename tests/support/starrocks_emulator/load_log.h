// The record of every Stream Load the BE handled and every request the FE
// answered, in arrival order, for tests to assert on (GET /__emulator/loads,
// GET /__emulator/fe_requests).
//
// Thread-safety: thread-safe (internal mutex).
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_LOG_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_LOG_H_

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace dbmazz::starrocks_emulator {

struct LoadRecord {
  int64_t seq = 0;  // Assigned by LoadLog, from 1.
  int64_t start_unix_ms = 0;
  int64_t end_unix_ms = 0;
  std::string db, table, label, user;
  std::string status;  // Stream Load Status, or "HTTP <code>" / "DROPPED" for faults.
  std::string existing_job_status;
  std::string message;
  int64_t txn_id = -1;
  int64_t total_rows = 0, loaded_rows = 0, filtered_rows = 0, unselected_rows = 0;
  int64_t load_bytes = 0;
  bool applied = false;  // Rows were written to the table.
  std::string fault;     // The fault that fired, if any ("fail", "drop", ...).
  std::vector<std::pair<std::string, std::string>> headers;  // Authorization redacted.
};

struct FeRecord {
  int64_t seq = 0;
  int64_t unix_ms = 0;
  std::string method, target, label;
  bool expect_100_continue = false;
  int http_status = 0;
  std::string location;  // For redirects.
  std::string fault;
};

class LoadLog {
 public:
  void AddLoad(LoadRecord record);
  void AddFe(FeRecord record);

  // Loads, optionally filtered (empty filter matches all).
  [[nodiscard]] nlohmann::ordered_json LoadsJson(const std::string& db, const std::string& table,
                                                 const std::string& label) const;
  [[nodiscard]] nlohmann::ordered_json FeJson() const;
  [[nodiscard]] std::vector<LoadRecord> Loads() const;
  void Clear();

 private:
  mutable std::mutex mu_;
  std::vector<LoadRecord> loads_;
  std::vector<FeRecord> fe_;
  int64_t next_load_seq_ = 1;
  int64_t next_fe_seq_ = 1;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_LOG_H_
