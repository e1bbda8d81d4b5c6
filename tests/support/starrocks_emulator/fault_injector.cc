#include "tests/support/starrocks_emulator/fault_injector.h"

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::starrocks_emulator {
namespace {

using Json = nlohmann::json;

struct Preset {
  const char* name;
  const char* message;
};

// Messages real StarRocks returns (see /work/shared/reference/stream-load.md).
constexpr Preset kPresets[] = {
    {"too_many_versions",
     "Failed to load data into tablet 10086, because of too many versions, current/limit: "
     "1001/1000. You can reduce the loading job concurrency, or increase loading data batch "
     "size."},
    {"shutting_down", "Service is shutting down, please retry later!"},
    {"http_concurrent_limit",
     "Stream Load exceed http cuncurrent limit 1024, please try again later"},
    {"access_denied",
     "Access denied; you need (at least one of) the INSERT privilege(s) for this "
     "operation"},
    {"txn_limit", "current running txns on db 10001 is 1000, larger than limit 1000"},
    {"timeout_by_txn_manager", "timeout by txn manager"},
    {"commit_unknown",
     "Commit transaction fail cause THRIFT_RPC_ERROR, Transaction status unknown, you can retry "
     "with same label."},
};

}  // namespace

const char* FaultActionName(FaultAction a) {
  switch (a) {
    case FaultAction::kFail:
      return "fail";
    case FaultAction::kPublishTimeout:
      return "publish_timeout";
    case FaultAction::kHttpError:
      return "http_error";
    case FaultAction::kDelay:
      return "delay";
    case FaultAction::kDrop:
      return "drop";
  }
  return "?";
}

namespace {

const char* PhaseName(FaultPhase p) {
  switch (p) {
    case FaultPhase::kHeader:
      return "header";
    case FaultPhase::kBeforeApply:
      return "before_apply";
    case FaultPhase::kAfterApply:
      return "after_apply";
  }
  return "?";
}

absl::StatusOr<FaultRule> ParseRule(const Json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("a fault must be a JSON object");
  FaultRule rule;
  std::string action = j.value("action", "");
  if (action == "fail") {
    rule.action = FaultAction::kFail;
  } else if (action == "publish_timeout") {
    rule.action = FaultAction::kPublishTimeout;
    rule.phase = FaultPhase::kAfterApply;
  } else if (action == "http_error" || action == "http_status") {
    rule.action = FaultAction::kHttpError;
    rule.phase = FaultPhase::kHeader;
  } else if (action == "delay") {
    rule.action = FaultAction::kDelay;
  } else if (action == "drop") {
    rule.action = FaultAction::kDrop;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown fault action '", action, "' (fail, publish_timeout, http_error, delay, drop)"));
  }
  std::string target = j.value("target", "be");
  if (target == "fe") {
    rule.target = FaultTarget::kFe;
    if (rule.action == FaultAction::kPublishTimeout) {
      return absl::InvalidArgumentError("publish_timeout only applies to the BE");
    }
  } else if (target != "be") {
    return absl::InvalidArgumentError("target must be 'fe' or 'be'");
  }
  if (j.contains("phase")) {
    std::string phase = j.at("phase").get<std::string>();
    if (phase == "header") {
      rule.phase = FaultPhase::kHeader;
    } else if (phase == "before_apply" || phase == "body") {
      rule.phase = FaultPhase::kBeforeApply;
    } else if (phase == "after_apply") {
      rule.phase = FaultPhase::kAfterApply;
    } else {
      return absl::InvalidArgumentError("phase must be header, before_apply or after_apply");
    }
    if (rule.action == FaultAction::kPublishTimeout && rule.phase != FaultPhase::kAfterApply) {
      return absl::InvalidArgumentError("publish_timeout has no phase");
    }
  }
  rule.remaining = j.value("count", int64_t{1});
  if (rule.remaining == 0 || rule.remaining < -1) {
    return absl::InvalidArgumentError("count must be >= 1 or -1");
  }
  rule.message = j.value("message", "");
  if (j.contains("preset")) {
    std::string preset = j.at("preset").get<std::string>();
    bool found = false;
    for (const Preset& p : kPresets) {
      if (preset == p.name) {
        rule.message = p.message;
        found = true;
      }
    }
    if (!found) return absl::InvalidArgumentError(absl::StrCat("unknown preset '", preset, "'"));
  }
  if (rule.action == FaultAction::kFail && rule.message.empty()) rule.message = kPresets[0].message;
  rule.http_status = j.value("status", 500);
  if (rule.http_status < 100 || rule.http_status > 599) {
    return absl::InvalidArgumentError("status must be an HTTP status code");
  }
  rule.body = j.value("body", "");
  rule.delay_ms = j.value("delay_ms", int64_t{0});
  rule.visible_after_ms = j.value("visible_after_ms", int64_t{0});
  if (rule.delay_ms < 0 || rule.visible_after_ms < 0) {
    return absl::InvalidArgumentError("durations must be >= 0");
  }
  rule.db = j.value("db", "");
  rule.table = j.value("table", "");
  rule.label = j.value("label", "");
  return rule;
}

}  // namespace

nlohmann::ordered_json FaultRule::ToJson() const {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["action"] = FaultActionName(action);
  j["target"] = target == FaultTarget::kFe ? "fe" : "be";
  j["phase"] = PhaseName(phase);
  j["remaining"] = remaining;
  j["fired"] = fired;
  if (!message.empty()) j["message"] = message;
  if (action == FaultAction::kHttpError) j["status"] = http_status;
  if (!body.empty()) j["body"] = body;
  if (delay_ms > 0) j["delay_ms"] = delay_ms;
  if (visible_after_ms > 0) j["visible_after_ms"] = visible_after_ms;
  if (!db.empty()) j["db"] = db;
  if (!table.empty()) j["table"] = table;
  if (!label.empty()) j["label"] = label;
  return j;
}

absl::Status FaultInjector::AddFromJson(std::string_view text) {
  std::vector<FaultRule> parsed;
  try {
    Json j = Json::parse(text);
    if (j.is_array()) {
      for (const Json& item : j) {
        auto rule = ParseRule(item);
        if (!rule.ok()) return rule.status();
        parsed.push_back(*rule);
      }
    } else {
      auto rule = ParseRule(j);
      if (!rule.ok()) return rule.status();
      parsed.push_back(*rule);
    }
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("bad fault JSON: ", e.what()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (FaultRule& rule : parsed) {
    rule.id = next_id_++;
    rules_.push_back(std::move(rule));
  }
  return absl::OkStatus();
}

bool FaultInjector::Matches(const FaultRule& rule, FaultTarget target, FaultPhase phase,
                            const std::string& db, const std::string& table,
                            const std::string& label) {
  if (rule.remaining == 0 || rule.target != target) return false;
  if (target == FaultTarget::kBe && rule.phase != phase) return false;
  return (rule.db.empty() || rule.db == db) && (rule.table.empty() || rule.table == table) &&
         (rule.label.empty() || rule.label == label);
}

void FaultInjector::Consume(size_t index) {
  FaultRule& rule = rules_[index];
  ++rule.fired;
  if (rule.remaining > 0) --rule.remaining;
}

std::optional<FaultRule> FaultInjector::TakeAction(FaultTarget target, FaultPhase phase,
                                                   const std::string& db, const std::string& table,
                                                   const std::string& label) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].action == FaultAction::kDelay) continue;
    if (!Matches(rules_[i], target, phase, db, table, label)) continue;
    Consume(i);
    return rules_[i];
  }
  return std::nullopt;
}

int64_t FaultInjector::TakeDelay(FaultTarget target, FaultPhase phase, const std::string& db,
                                 const std::string& table, const std::string& label) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t total = 0;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].action != FaultAction::kDelay) continue;
    if (!Matches(rules_[i], target, phase, db, table, label)) continue;
    Consume(i);
    total += rules_[i].delay_ms;
  }
  return total;
}

nlohmann::ordered_json FaultInjector::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const FaultRule& rule : rules_) out.push_back(rule.ToJson());
  return out;
}

void FaultInjector::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

}  // namespace dbmazz::starrocks_emulator
