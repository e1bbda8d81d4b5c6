// Stream Load labels per database and the state of their transactions, with
// StarRocks' reuse rules: a label whose transaction is PREPARE (running),
// COMMITTED or VISIBLE cannot be used again; an ABORTED label is free at once.
//
// Timed states: a state may be set to last until a deadline and then become
// another one (COMMITTED -> VISIBLE after a publish timeout; a forced PREPARE
// -> VISIBLE/ABORTED/UNKNOWN). Transitions are evaluated lazily on access.
//
// Thread-safety: not thread-safe; guarded by EmulatorState::mu.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LABEL_REGISTRY_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LABEL_REGISTRY_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dbmazz::starrocks_emulator {

// StarRocks' TransactionStatus names; kUnknown means "no such label".
enum class TxnState { kUnknown, kPrepare, kPrepared, kCommitted, kVisible, kAborted };

[[nodiscard]] const char* TxnStateName(TxnState state);
// Parses a state name (case-insensitive); nullopt if unknown.
[[nodiscard]] std::optional<TxnState> ParseTxnState(std::string_view name);

class LabelRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  struct Entry {
    int64_t txn_id = -1;
    TxnState state = TxnState::kUnknown;
    std::string reason;                      // Why it was aborted.
    std::optional<Clock::time_point> until;  // When `state` turns into `then`.
    TxnState then = TxnState::kVisible;
  };

  // Starts a transaction for `label`. Returns false if the label is held, and
  // then sets *job_status to "RUNNING" (PREPARE/PREPARED) or "FINISHED"
  // (COMMITTED/VISIBLE).
  [[nodiscard]] bool Begin(const std::string& db, const std::string& label, int64_t txn_id,
                           std::string* job_status);

  // The job status "Label Already Exists" would report, or nullopt if free.
  [[nodiscard]] std::optional<std::string> HeldStatus(const std::string& db,
                                                      const std::string& label);

  // Sets the label's state, optionally only until `until` (then `then`).
  void Set(const std::string& db, const std::string& label, TxnState state,
           std::optional<Clock::time_point> until = std::nullopt,
           TxnState then = TxnState::kVisible, std::string reason = "");

  // The current entry (state kUnknown if the label was never used).
  [[nodiscard]] Entry Lookup(const std::string& db, const std::string& label);

  // All entries of `db` (resolved), by label.
  [[nodiscard]] std::map<std::string, Entry> List(const std::string& db);

  void Clear() { entries_.clear(); }

 private:
  // Applies a due timed transition; erases entries that became kUnknown.
  Entry* Resolve(const std::string& db, const std::string& label);

  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LABEL_REGISTRY_H_
