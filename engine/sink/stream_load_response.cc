#include "engine/sink/stream_load_response.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::sink {
namespace {

using Json = nlohmann::json;

// Known deterministic failures: retrying with the same request cannot help.
struct PermanentPattern {
  std::string_view needle;  // Case-insensitive substring of the Message.
  absl::StatusCode code;
};

constexpr PermanentPattern kPermanentPatterns[] = {
    {"Access denied", absl::StatusCode::kPermissionDenied},
    {"no valid Basic authorization", absl::StatusCode::kUnauthenticated},
    {"Need auth information", absl::StatusCode::kUnauthenticated},
    {"unknown database", absl::StatusCode::kNotFound},
    {"unknown table", absl::StatusCode::kNotFound},
    {"too many filtered rows", absl::StatusCode::kInvalidArgument},
    {"primary key size exceed", absl::StatusCode::kInvalidArgument},
    {"Only primary key table support partial update", absl::StatusCode::kFailedPrecondition},
    // The official SDK does not retry this one either: the database has too
    // many running transactions, an operator has to act.
    {"current running txns on db", absl::StatusCode::kFailedPrecondition},
    // Requests this client builds wrongly: retrying sends the same bytes.
    {"There is no 100-continue header", absl::StatusCode::kFailedPrecondition},
    {"Label format error", absl::StatusCode::kInvalidArgument},
    {"illegal json started with", absl::StatusCode::kInvalidArgument},
    {"unknown data format", absl::StatusCode::kInvalidArgument},
    {"Set ignore_json_size to skip the check", absl::StatusCode::kInvalidArgument},
    {"Must be bool type", absl::StatusCode::kInvalidArgument},
    {"Invalid timeout format", absl::StatusCode::kInvalidArgument},
    {"Unknown column", absl::StatusCode::kInvalidArgument},
    {"Duplicate column", absl::StatusCode::kInvalidArgument},
    {"partial update must include all key columns", absl::StatusCode::kInvalidArgument},
    {"Conditional update only support primary key table", absl::StatusCode::kFailedPrecondition},
    {"Merge condition column", absl::StatusCode::kInvalidArgument},
};

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return absl::ascii_tolower(static_cast<unsigned char>(a)) ==
                                 absl::ascii_tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end() || needle.empty();
}

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed StarRocks response: ", AsAbsl(what)));
}

// Finds the first of `keys` present in `obj`, or nullptr.
const Json* FindAny(const Json& obj, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = obj.find(key);
    if (it != obj.end()) return &*it;
  }
  return nullptr;
}

absl::Status ReadString(const Json& obj, std::initializer_list<const char*> keys,
                        std::string* out) {
  const Json* v = FindAny(obj, keys);
  if (v == nullptr || v->is_null()) return absl::OkStatus();
  if (!v->is_string()) {
    return Malformed(absl::StrCat("\"", *keys.begin(), "\" is not a string"));
  }
  *out = v->get_ref<const std::string&>();
  return absl::OkStatus();
}

absl::Status ReadInt(const Json& obj, const char* key, int64_t* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Malformed(absl::StrCat("\"", key, "\" is out of range"));
    }
    *out = static_cast<int64_t>(v);
    return absl::OkStatus();
  }
  if (it->is_number_integer()) {
    *out = it->get<int64_t>();
    return absl::OkStatus();
  }
  return Malformed(absl::StrCat("\"", key, "\" is not an integer"));
}

// Parses `body` as a JSON object (no exceptions escape).
absl::StatusOr<Json> ParseObject(std::string_view body) {
  if (body.empty()) return Malformed("empty body");
  // nlohmann's lexer takes a NUL byte for the end of input; valid JSON never
  // holds one (not even inside strings), so reject it instead of ignoring
  // what follows.
  if (body.find('\0') != std::string_view::npos) return Malformed("NUL byte in body");
  Json j;
  try {
    j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception& e) {
    return Malformed(e.what());
  }
  if (j.is_discarded()) return Malformed("not valid JSON");
  if (!j.is_object()) return Malformed("not a JSON object");
  return j;
}

// Bounded, printable rendering of untrusted text.
std::string Printable(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (s.size() > max) out.append("...");
  return out;
}

std::string Quoted(std::string_view s) { return absl::StrCat("\"", Printable(s, 64), "\""); }

absl::StatusOr<LoadStatus> ParseStatusName(std::string_view name) {
  // Exact names first: "Fail" (BE) and "FAILED" (FE) differ only by case.
  if (name == "Fail") return LoadStatus::kFail;
  if (name == "FAILED") return LoadStatus::kFeFailed;
  for (LoadStatus s : {LoadStatus::kSuccess, LoadStatus::kPublishTimeout,
                       LoadStatus::kLabelAlreadyExists, LoadStatus::kFail, LoadStatus::kFeFailed}) {
    if (absl::EqualsIgnoreCase(AsAbsl(name), AsAbsl(LoadStatusName(s)))) return s;
  }
  return absl::InternalError(
      absl::StrCat("unexpected StarRocks Stream Load Status ", Quoted(name)));
}

}  // namespace

std::string_view LoadStatusName(LoadStatus status) {
  switch (status) {
    case LoadStatus::kSuccess:
      return "Success";
    case LoadStatus::kPublishTimeout:
      return "Publish Timeout";
    case LoadStatus::kLabelAlreadyExists:
      return "Label Already Exists";
    case LoadStatus::kFail:
      return "Fail";
    case LoadStatus::kFeFailed:
      return "FAILED";
  }
  return "Fail";
}

std::string_view TxnStateName(TxnState state) {
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

std::string_view LoadOutcomeName(LoadOutcome outcome) {
  switch (outcome) {
    case LoadOutcome::kLoaded:
      return "loaded";
    case LoadOutcome::kLabelInProgress:
      return "label in progress";
    case LoadOutcome::kRetryable:
      return "retryable";
    case LoadOutcome::kPermanent:
      return "permanent";
  }
  return "retryable";
}

absl::StatusOr<LoadResponse> ParseLoadResponse(std::string_view body) {
  absl::StatusOr<Json> parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.status();
  const Json& j = *parsed;

  // BE and FE answers use "Status"/"Message"; some FE REST errors use the
  // lower-case RestBaseResult names.
  const Json* status = FindAny(j, {"Status", "status"});
  if (status == nullptr) return Malformed("no \"Status\" field");
  if (!status->is_string()) return Malformed("\"Status\" is not a string");
  absl::StatusOr<LoadStatus> kind = ParseStatusName(status->get_ref<const std::string&>());
  if (!kind.ok()) return kind.status();

  LoadResponse r;
  r.status = *kind;
  for (absl::Status st : {
           ReadString(j, {"Label"}, &r.label),
           ReadString(j, {"Message", "msg", "message"}, &r.message),
           ReadString(j, {"ExistingJobStatus"}, &r.existing_job_status),
           ReadString(j, {"ErrorURL"}, &r.error_url),
           ReadInt(j, "TxnId", &r.txn_id),
           ReadInt(j, "NumberTotalRows", &r.total_rows),
           ReadInt(j, "NumberLoadedRows", &r.loaded_rows),
           ReadInt(j, "NumberFilteredRows", &r.filtered_rows),
           ReadInt(j, "NumberUnselectedRows", &r.unselected_rows),
           ReadInt(j, "LoadBytes", &r.load_bytes),
           ReadInt(j, "LoadTimeMs", &r.load_time_ms),
       }) {
    if (!st.ok()) return st;
  }
  return r;
}

absl::StatusOr<LoadState> ParseLoadStateResponse(std::string_view body) {
  absl::StatusOr<Json> parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.status();
  const Json& j = *parsed;

  // StarRocks answers {"state": ...}; Doris-style servers {"data": ...}.
  const Json* state = FindAny(j, {"state", "State", "data"});
  if (state != nullptr && state->is_string()) {
    const std::string& name = state->get_ref<const std::string&>();
    LoadState out;
    if (absl::Status st = ReadString(j, {"reason"}, &out.reason); !st.ok()) return st;
    for (TxnState s : {TxnState::kUnknown, TxnState::kPrepare, TxnState::kPrepared,
                       TxnState::kCommitted, TxnState::kVisible, TxnState::kAborted}) {
      if (absl::EqualsIgnoreCase(AsAbsl(name), AsAbsl(TxnStateName(s)))) {
        out.state = s;
        return out;
      }
    }
    if (absl::EqualsIgnoreCase(name, "FINISHED")) {
      out.state = TxnState::kVisible;
      return out;
    }
    if (absl::EqualsIgnoreCase(name, "RUNNING")) {
      out.state = TxnState::kPrepare;
      return out;
    }
    return absl::InternalError(absl::StrCat("unexpected get_load_state state ", Quoted(name)));
  }
  if (state != nullptr && !state->is_null()) return Malformed("\"state\" is not a string");

  std::string status;
  if (absl::Status st = ReadString(j, {"status", "Status"}, &status); !st.ok()) return st;
  if (absl::EqualsIgnoreCase(status, "FAILED") || absl::EqualsIgnoreCase(status, "Fail")) {
    std::string message;
    if (absl::Status st = ReadString(j, {"msg", "message", "Message"}, &message); !st.ok()) {
      return st;
    }
    absl::Status error = ClassifyFailMessage(message).error;
    return absl::Status(error.code(), absl::StrCat("get_load_state failed: ", error.message()));
  }
  return Malformed("get_load_state answer has no \"state\"");
}

std::string ErrorBodyMessage(std::string_view body) {
  constexpr size_t kMax = 300;
  absl::StatusOr<Json> parsed = ParseObject(body);
  if (parsed.ok()) {
    const Json* msg = FindAny(*parsed, {"msg", "message", "Message"});
    if (msg != nullptr && msg->is_string()) {
      return Printable(msg->get_ref<const std::string&>(), kMax);
    }
  }
  return Printable(body, kMax);
}

Classification ClassifyFailMessage(std::string_view message) {
  for (const PermanentPattern& p : kPermanentPatterns) {
    if (ContainsIgnoreCase(message, p.needle)) {
      return {LoadOutcome::kPermanent, absl::Status(p.code, AsAbsl(message))};
    }
  }
  // Known transient failures ("too many versions", "exceed http cuncurrent
  // limit", "Service is shutting down", "timeout by txn manager", "Transaction
  // status unknown, you can retry with same label") and unknown messages.
  std::string text(message.empty() ? "(no message)" : message);
  return {LoadOutcome::kRetryable, absl::UnavailableError(text)};
}

Classification ClassifyLoadResponse(const LoadResponse& r) {
  switch (r.status) {
    case LoadStatus::kSuccess:
    case LoadStatus::kPublishTimeout:
      return {LoadOutcome::kLoaded, absl::OkStatus()};
    case LoadStatus::kLabelAlreadyExists:
      if (absl::EqualsIgnoreCase(r.existing_job_status, "FINISHED")) {
        return {LoadOutcome::kLoaded, absl::OkStatus()};
      }
      return {LoadOutcome::kLabelInProgress, absl::OkStatus()};
    case LoadStatus::kFail:
    case LoadStatus::kFeFailed:
      break;
  }
  Classification c = ClassifyFailMessage(r.message);
  std::string text = absl::StrCat("StarRocks Stream Load ", AsAbsl(LoadStatusName(r.status)), ": ",
                                  c.error.message());
  if (r.filtered_rows > 0) {
    absl::StrAppend(&text, "; ", r.filtered_rows, " of ", r.total_rows, " rows filtered");
  }
  if (!r.error_url.empty()) absl::StrAppend(&text, "; rejected rows: ", r.error_url);
  c.error = absl::Status(c.error.code(), text);
  return c;
}

Classification ClassifyLoadError(const absl::Status& error) {
  switch (error.code()) {
    case absl::StatusCode::kOk:
      return {LoadOutcome::kRetryable,
              absl::InternalError("ClassifyLoadError called with an OK status")};
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return {LoadOutcome::kRetryable, error};
    default:
      return {LoadOutcome::kPermanent, error};
  }
}

std::string_view AttemptResultName(AttemptResult result) {
  switch (result) {
    case AttemptResult::kSuccess:
      return "success";
    case AttemptResult::kPublishTimeout:
      return "publish_timeout";
    case AttemptResult::kLabelAlreadyExists:
      return "label_already_exists";
    case AttemptResult::kFail:
      return "fail";
    case AttemptResult::kHttpError:
      return "http_error";
    case AttemptResult::kTimeout:
      return "timeout";
    case AttemptResult::kConnectionError:
      return "connection_error";
    case AttemptResult::kBadResponse:
      return "bad_response";
  }
  return "fail";
}

AttemptResult ClassifyAttempt(const absl::StatusOr<LoadResponse>& response) {
  if (response.ok()) {
    switch (response->status) {
      case LoadStatus::kSuccess:
        return AttemptResult::kSuccess;
      case LoadStatus::kPublishTimeout:
        return AttemptResult::kPublishTimeout;
      case LoadStatus::kLabelAlreadyExists:
        return AttemptResult::kLabelAlreadyExists;
      case LoadStatus::kFail:
      case LoadStatus::kFeFailed:
        return AttemptResult::kFail;
    }
    return AttemptResult::kFail;
  }
  const absl::Status& error = response.status();
  if (error.GetPayload(kHttpStatusPayload).has_value()) return AttemptResult::kHttpError;
  switch (error.code()) {
    case absl::StatusCode::kDeadlineExceeded:
      return AttemptResult::kTimeout;
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kInternal:
      return AttemptResult::kBadResponse;
    default:
      return AttemptResult::kConnectionError;
  }
}

}  // namespace dbmazz::sink
