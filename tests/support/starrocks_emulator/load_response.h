// The JSON bodies StarRocks sends, byte-shaped like the real ones:
//  - the BE's Stream Load result (rapidjson PrettyWriter, 4-space indent, keys
//    in StarRocks' order);
//  - FE failures of the load action ({"Status":"FAILED","Message":...}, Gson
//    pretty printing, 2-space indent);
//  - FE REST results (RestBaseResult: status/code/msg/message) and
//    get_load_state's {"state":..,"status":"OK",...}.
//
// Thread-safety: plain value type and free functions.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_RESPONSE_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_RESPONSE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace dbmazz::starrocks_emulator {

enum class LoadStatus { kSuccess, kPublishTimeout, kLabelAlreadyExists, kFail };

[[nodiscard]] const char* LoadStatusName(LoadStatus status);

struct LoadResult {
  int64_t txn_id = -1;
  std::string label;
  LoadStatus status = LoadStatus::kFail;
  std::string existing_job_status;  // Only with kLabelAlreadyExists.
  std::string message;              // Rendered as "OK" for kSuccess.
  int64_t total_rows = 0;
  int64_t loaded_rows = 0;
  int64_t filtered_rows = 0;
  int64_t unselected_rows = 0;
  int64_t load_bytes = 0;
  int64_t load_time_ms = 0;
  int64_t begin_txn_ms = 0;
  int64_t plan_ms = 0;
  int64_t read_data_ms = 0;
  int64_t write_data_ms = 0;
  int64_t commit_publish_ms = 0;
  std::string error_url;  // Omitted when empty.
};

[[nodiscard]] std::string RenderStreamLoadResult(const LoadResult& result);

// {"Status": "FAILED", "Message": "class com.starrocks.common.DdlException: <message>"}
[[nodiscard]] std::string RenderFeLoadFailure(std::string_view message);

// RestBaseResult failure: {"status":"FAILED","code":"1","msg":m,"message":m}
[[nodiscard]] std::string RenderRestFailure(std::string_view message);

// get_load_state: {"state":S[,"reason":R],"status":"OK","code":"0","msg":"Success","message":"OK"}
[[nodiscard]] std::string RenderLoadState(std::string_view state, std::string_view reason);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_RESPONSE_H_
