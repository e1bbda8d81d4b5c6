#include "tests/support/starrocks_emulator/load_response.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::starrocks_emulator {
namespace {

std::string Quote(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Mimics rapidjson::PrettyWriter: "{\n    \"Key\": value,\n ...\n}".
class PrettyObject {
 public:
  explicit PrettyObject(int indent) : indent_(indent, ' ') {}
  void Add(std::string_view key, std::string_view raw_value) {
    out_.append(first_ ? "{\n" : ",\n");
    first_ = false;
    absl::StrAppend(&out_, indent_, Quote(key), ": ", AsAbsl(raw_value));
  }
  void AddString(std::string_view key, std::string_view value) { Add(key, Quote(value)); }
  void AddInt(std::string_view key, int64_t value) { Add(key, std::to_string(value)); }
  std::string Finish() {
    out_.append(first_ ? "{}" : "\n}");
    return std::move(out_);
  }

 private:
  std::string indent_;
  std::string out_;
  bool first_ = true;
};

}  // namespace

const char* LoadStatusName(LoadStatus status) {
  switch (status) {
    case LoadStatus::kSuccess:
      return "Success";
    case LoadStatus::kPublishTimeout:
      return "Publish Timeout";
    case LoadStatus::kLabelAlreadyExists:
      return "Label Already Exists";
    case LoadStatus::kFail:
      return "Fail";
  }
  return "Fail";
}

std::string RenderStreamLoadResult(const LoadResult& r) {
  PrettyObject o(4);
  o.AddInt("TxnId", r.txn_id);
  o.AddString("Label", r.label);
  o.AddString("Status", LoadStatusName(r.status));
  if (r.status == LoadStatus::kLabelAlreadyExists) {
    o.AddString("ExistingJobStatus", r.existing_job_status);
  }
  o.AddString("Message", r.status == LoadStatus::kSuccess ? "OK" : r.message);
  o.AddInt("NumberTotalRows", r.total_rows);
  o.AddInt("NumberLoadedRows", r.loaded_rows);
  o.AddInt("NumberFilteredRows", r.filtered_rows);
  o.AddInt("NumberUnselectedRows", r.unselected_rows);
  o.AddInt("LoadBytes", r.load_bytes);
  o.AddInt("LoadTimeMs", r.load_time_ms);
  o.AddInt("BeginTxnTimeMs", r.begin_txn_ms);
  o.AddInt("StreamLoadPlanTimeMs", r.plan_ms);
  o.AddInt("ReadDataTimeMs", r.read_data_ms);
  o.AddInt("WriteDataTimeMs", r.write_data_ms);
  o.AddInt("CommitAndPublishTimeMs", r.commit_publish_ms);
  if (!r.error_url.empty()) o.AddString("ErrorURL", r.error_url);
  return o.Finish();
}

std::string RenderFeLoadFailure(std::string_view message) {
  PrettyObject o(2);
  o.AddString("Status", "FAILED");
  o.AddString("Message",
              absl::StrCat("class com.starrocks.common.DdlException: ", AsAbsl(message)));
  return o.Finish();
}

std::string RenderRestFailure(std::string_view message) {
  return absl::StrCat("{\"status\":\"FAILED\",\"code\":\"1\",\"msg\":", Quote(message),
                      ",\"message\":", Quote(message), "}");
}

std::string RenderLoadState(std::string_view state, std::string_view reason) {
  std::string out = absl::StrCat("{\"state\":", Quote(state));
  if (!reason.empty()) absl::StrAppend(&out, ",\"reason\":", Quote(reason));
  absl::StrAppend(&out,
                  ",\"status\":\"OK\",\"code\":\"0\",\"msg\":\"Success\",\"message\":\"OK\"}");
  return out;
}

}  // namespace dbmazz::starrocks_emulator
