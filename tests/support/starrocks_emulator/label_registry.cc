#include "tests/support/starrocks_emulator/label_registry.h"

#include "absl/strings/ascii.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::starrocks_emulator {

const char* TxnStateName(TxnState state) {
  switch (state) {
    case TxnState::kUnknown:
      return "UNKNOWN";
    case TxnState::kPrepare:
      return "PREPARE";
    case TxnState::kPrepared:
      return "PREPARED";
    case TxnState::kCommitted:
      return "COMMITTED";
    case TxnState::kVisible:
      return "VISIBLE";
    case TxnState::kAborted:
      return "ABORTED";
  }
  return "UNKNOWN";
}

std::optional<TxnState> ParseTxnState(std::string_view name) {
  std::string upper = absl::AsciiStrToUpper(AsAbsl(name));
  for (TxnState s : {TxnState::kUnknown, TxnState::kPrepare, TxnState::kPrepared,
                     TxnState::kCommitted, TxnState::kVisible, TxnState::kAborted}) {
    if (upper == TxnStateName(s)) return s;
  }
  if (upper == "RUNNING") return TxnState::kPrepare;
  return std::nullopt;
}

LabelRegistry::Entry* LabelRegistry::Resolve(const std::string& db, const std::string& label) {
  auto it = entries_.find({db, label});
  if (it == entries_.end()) return nullptr;
  Entry& e = it->second;
  if (e.until && Clock::now() >= *e.until) {
    e.state = e.then;
    e.until.reset();
    if (e.state == TxnState::kUnknown) {
      entries_.erase(it);
      return nullptr;
    }
  }
  return &e;
}

std::optional<std::string> LabelRegistry::HeldStatus(const std::string& db,
                                                     const std::string& label) {
  Entry* e = Resolve(db, label);
  if (e == nullptr) return std::nullopt;
  switch (e->state) {
    case TxnState::kPrepare:
    case TxnState::kPrepared:
      return "RUNNING";
    case TxnState::kCommitted:
    case TxnState::kVisible:
      return "FINISHED";
    default:
      return std::nullopt;
  }
}

bool LabelRegistry::Begin(const std::string& db, const std::string& label, int64_t txn_id,
                          std::string* job_status) {
  if (auto held = HeldStatus(db, label)) {
    *job_status = *held;
    return false;
  }
  Entry& e = entries_[{db, label}];
  e = Entry{};
  e.txn_id = txn_id;
  e.state = TxnState::kPrepare;
  return true;
}

void LabelRegistry::Set(const std::string& db, const std::string& label, TxnState state,
                        std::optional<Clock::time_point> until, TxnState then, std::string reason) {
  if (state == TxnState::kUnknown && !until) {
    entries_.erase({db, label});
    return;
  }
  Entry& e = entries_[{db, label}];
  e.state = state;
  e.until = until;
  e.then = then;
  e.reason = std::move(reason);
}

LabelRegistry::Entry LabelRegistry::Lookup(const std::string& db, const std::string& label) {
  Entry* e = Resolve(db, label);
  return e == nullptr ? Entry{} : *e;
}

std::map<std::string, LabelRegistry::Entry> LabelRegistry::List(const std::string& db) {
  std::map<std::string, Entry> out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const auto [entry_db, label] = it->first;
    ++it;  // Resolve may erase the current entry.
    if (entry_db != db) continue;
    if (Entry* e = Resolve(entry_db, label)) out[label] = *e;
  }
  return out;
}

}  // namespace dbmazz::starrocks_emulator
