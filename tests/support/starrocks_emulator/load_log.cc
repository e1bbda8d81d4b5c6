#include "tests/support/starrocks_emulator/load_log.h"

namespace dbmazz::starrocks_emulator {
namespace {

nlohmann::ordered_json ToJson(const LoadRecord& r) {
  nlohmann::ordered_json j;
  j["seq"] = r.seq;
  j["start_unix_ms"] = r.start_unix_ms;
  j["end_unix_ms"] = r.end_unix_ms;
  j["db"] = r.db;
  j["table"] = r.table;
  j["label"] = r.label;
  j["user"] = r.user;
  j["status"] = r.status;
  if (!r.existing_job_status.empty()) j["existing_job_status"] = r.existing_job_status;
  j["message"] = r.message;
  j["txn_id"] = r.txn_id;
  j["total_rows"] = r.total_rows;
  j["loaded_rows"] = r.loaded_rows;
  j["filtered_rows"] = r.filtered_rows;
  j["unselected_rows"] = r.unselected_rows;
  j["load_bytes"] = r.load_bytes;
  j["applied"] = r.applied;
  if (!r.fault.empty()) j["fault"] = r.fault;
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const auto& [name, value] : r.headers) headers[name] = value;
  j["headers"] = std::move(headers);
  return j;
}

}  // namespace

void LoadLog::AddLoad(LoadRecord record) {
  std::lock_guard<std::mutex> lock(mu_);
  record.seq = next_load_seq_++;
  loads_.push_back(std::move(record));
}

void LoadLog::AddFe(FeRecord record) {
  std::lock_guard<std::mutex> lock(mu_);
  record.seq = next_fe_seq_++;
  fe_.push_back(std::move(record));
}

nlohmann::ordered_json LoadLog::LoadsJson(const std::string& db, const std::string& table,
                                          const std::string& label) const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const LoadRecord& r : loads_) {
    if ((!db.empty() && r.db != db) || (!table.empty() && r.table != table) ||
        (!label.empty() && r.label != label)) {
      continue;
    }
    out.push_back(ToJson(r));
  }
  return out;
}

nlohmann::ordered_json LoadLog::FeJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const FeRecord& r : fe_) {
    nlohmann::ordered_json j;
    j["seq"] = r.seq;
    j["unix_ms"] = r.unix_ms;
    j["method"] = r.method;
    j["target"] = r.target;
    j["label"] = r.label;
    j["expect_100_continue"] = r.expect_100_continue;
    j["http_status"] = r.http_status;
    if (!r.location.empty()) j["location"] = r.location;
    if (!r.fault.empty()) j["fault"] = r.fault;
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<LoadRecord> LoadLog::Loads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loads_;
}

void LoadLog::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  loads_.clear();
  fe_.clear();
}

}  // namespace dbmazz::starrocks_emulator
