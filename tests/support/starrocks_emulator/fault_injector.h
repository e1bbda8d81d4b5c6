// Runtime-switchable faults for Stream Load requests (POST /__emulator/faults).
// A rule fires for the next `count` matching requests (-1: forever). See
// docs/starrocks-emulator.md for the JSON format and what each action does.
//
// Thread-safety: thread-safe (internal mutex).
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FAULT_INJECTOR_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FAULT_INJECTOR_H_

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace dbmazz::starrocks_emulator {

enum class FaultAction { kFail, kPublishTimeout, kHttpError, kDelay, kDrop };
// The action's name in the faults JSON and the load log ("fail", "drop", ...).
const char* FaultActionName(FaultAction action);
enum class FaultTarget { kFe, kBe };
// When a BE fault fires: before the transaction begins (the body is not read),
// after the body is read and parsed but before commit, or after commit (the
// data is applied and visible).
enum class FaultPhase { kHeader, kBeforeApply, kAfterApply };

struct FaultRule {
  int64_t id = 0;
  FaultAction action = FaultAction::kFail;
  FaultTarget target = FaultTarget::kBe;
  FaultPhase phase = FaultPhase::kBeforeApply;
  int64_t remaining = 1;  // -1: unlimited.
  int64_t fired = 0;
  std::string message;           // kFail: the Stream Load Message.
  int http_status = 500;         // kHttpError.
  std::string body;              // kHttpError: response body.
  int64_t delay_ms = 0;          // kDelay.
  int64_t visible_after_ms = 0;  // kPublishTimeout: COMMITTED -> VISIBLE after this.
  std::string db, table, label;  // Optional filters ("" matches all).

  [[nodiscard]] nlohmann::ordered_json ToJson() const;
};

class FaultInjector {
 public:
  // Adds one rule object or an array of them. InvalidArgument on bad input
  // (nothing is added then).
  [[nodiscard]] absl::Status AddFromJson(std::string_view json);

  // Consumes and returns the first non-delay rule matching the request.
  [[nodiscard]] std::optional<FaultRule> TakeAction(FaultTarget target, FaultPhase phase,
                                                    const std::string& db, const std::string& table,
                                                    const std::string& label);

  // Consumes every matching delay rule and returns the summed delay (ms).
  [[nodiscard]] int64_t TakeDelay(FaultTarget target, FaultPhase phase, const std::string& db,
                                  const std::string& table, const std::string& label);

  [[nodiscard]] nlohmann::ordered_json ToJson() const;
  void Clear();

 private:
  static bool Matches(const FaultRule& rule, FaultTarget target, FaultPhase phase,
                      const std::string& db, const std::string& table, const std::string& label);
  void Consume(size_t index);

  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;
  int64_t next_id_ = 1;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FAULT_INJECTOR_H_
