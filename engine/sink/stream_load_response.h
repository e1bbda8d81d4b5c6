// StarRocks Stream Load answers: parsing the response bodies (untrusted bytes)
// and deciding what the client does next.
//
// Two body shapes answer a Stream Load PUT with HTTP 200:
//   BE:  {"TxnId": 1002, "Label": "l", "Status": "Success", "Message": "OK",
//         "NumberTotalRows": 3, ..., "LoadTimeMs": 12, "ErrorURL": "..."}
//   FE:  {"Status": "FAILED", "Message": "class com...DdlException: ..."}
// and get_load_state answers {"state": "VISIBLE", "status": "OK", ...} or, on
// error, {"status": "FAILED", "msg": "...", ...}.
//
// Classification (ClassifyLoadResponse / ClassifyLoadError):
//   kLoaded          Status "Success" or "Publish Timeout" (committed; becomes
//                    visible by itself — never re-sent), or "Label Already
//                    Exists" with ExistingJobStatus FINISHED.
//   kLabelInProgress "Label Already Exists" with any other ExistingJobStatus
//                    (RUNNING, or missing): resolve with get_load_state.
//   kPermanent       a Fail/FAILED whose Message matches a known deterministic
//                    error (auth, unknown database/table, filtered rows,
//                    partial update on a non-primary-key table, key too long,
//                    running-transaction limit, malformed request), and
//                    transport/HTTP errors whose code says retrying cannot help
//                    (see ClassifyLoadError).
//   kRetryable       everything else: the known transient messages ("too many
//                    versions", "exceed http cuncurrent limit" (sic), "Service
//                    is shutting down", "timeout by txn manager", "Transaction
//                    status unknown", ...) AND unknown Fail messages. Unknown
//                    messages are retried because the label makes a retry
//                    harmless while giving up loses the pipeline; the client
//                    caps the attempts (StreamLoadOptions::max_retries) and
//                    then fails with the last message.
//
// Thread-safety: pure functions and value types.
#ifndef DBMAZZ_ENGINE_SINK_STREAM_LOAD_RESPONSE_H_
#define DBMAZZ_ENGINE_SINK_STREAM_LOAD_RESPONSE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dbmazz::sink {

enum class LoadStatus {
  kSuccess,             // "Success"
  kPublishTimeout,      // "Publish Timeout"
  kLabelAlreadyExists,  // "Label Already Exists"
  kFail,                // "Fail" (BE)
  kFeFailed,            // "FAILED" (FE-level error, no transaction)
};

[[nodiscard]] std::string_view LoadStatusName(LoadStatus status);

// One parsed Stream Load response body. Missing numeric fields stay at their
// defaults (StarRocks versions differ in which ones they send).
struct LoadResponse {
  LoadStatus status = LoadStatus::kFail;
  std::string label;
  std::string message;
  std::string existing_job_status;  // Only with kLabelAlreadyExists.
  std::string error_url;            // Where StarRocks keeps the rejected rows.
  int64_t txn_id = -1;              // -1: no transaction began.
  int64_t total_rows = 0;
  int64_t loaded_rows = 0;
  int64_t filtered_rows = 0;
  int64_t unselected_rows = 0;
  int64_t load_bytes = 0;
  int64_t load_time_ms = 0;
};

// Parses a Stream Load response body. Errors: DataLoss for anything that is
// not a JSON object with a string "Status" and correctly typed known fields
// (integers must fit int64); Internal for an unknown "Status" value. Never
// throws.
[[nodiscard]] absl::StatusOr<LoadResponse> ParseLoadResponse(std::string_view body);

// get_load_state's transaction states (FINISHED and RUNNING, the
// ExistingJobStatus names, are accepted as VISIBLE and PREPARE).
enum class TxnState { kUnknown, kPrepare, kPrepared, kCommitted, kVisible, kAborted };

[[nodiscard]] std::string_view TxnStateName(TxnState state);

struct LoadState {
  TxnState state = TxnState::kUnknown;
  std::string reason;  // Optional explanation (why it was aborted).
};

// Parses a get_load_state body. Errors: DataLoss for malformed bodies;
// Internal for an unknown state name; for {"status":"FAILED", "msg": m} the
// status of ClassifyFailMessage(m) (e.g. NotFound for an unknown database).
[[nodiscard]] absl::StatusOr<LoadState> ParseLoadStateResponse(std::string_view body);

enum class LoadOutcome { kLoaded, kLabelInProgress, kRetryable, kPermanent };

[[nodiscard]] std::string_view LoadOutcomeName(LoadOutcome outcome);

struct Classification {
  LoadOutcome outcome = LoadOutcome::kRetryable;
  // OK for kLoaded and kLabelInProgress. Otherwise the failure, with
  // StarRocks' own message (and the ErrorURL, if any):
  //   kPermanent: PermissionDenied ("Access denied"), Unauthenticated (no or
  //     bad credentials), NotFound (unknown database/table), InvalidArgument
  //     (too many filtered rows, key too long, malformed request or data),
  //     FailedPrecondition (other known permanent errors);
  //   kRetryable: Unavailable (or the transport error's own code).
  absl::Status error;
};

// Classifies a parsed response.
[[nodiscard]] Classification ClassifyLoadResponse(const LoadResponse& response);

// Classifies a Fail/FAILED message on its own (used by the two functions
// around it). The returned error carries `message` verbatim.
[[nodiscard]] Classification ClassifyFailMessage(std::string_view message);

// Classifies an error returned instead of a response (transport failure,
// non-2xx HTTP status, malformed body). Retryable: Unavailable,
// DeadlineExceeded, ResourceExhausted, Aborted, DataLoss, Internal, Unknown.
// Everything else (Unauthenticated, PermissionDenied, NotFound,
// InvalidArgument, FailedPrecondition, Cancelled, ...) is permanent. An OK
// status is a programming error and classified kRetryable with Internal.
[[nodiscard]] Classification ClassifyLoadError(const absl::Status& error);

// What one Stream Load PUT came back with, for metrics (bounded: one label
// value each).
enum class AttemptResult {
  kSuccess,             // Status "Success"
  kPublishTimeout,      // "Publish Timeout" (committed)
  kLabelAlreadyExists,  // "Label Already Exists"
  kFail,                // "Fail" or "FAILED"
  kHttpError,           // a non-2xx HTTP answer
  kTimeout,             // the request timed out
  kConnectionError,     // refused, reset, DNS, TLS, ...
  kBadResponse,         // an unparseable body
};
inline constexpr int kAttemptResultCount = 8;
using AttemptCounts = std::array<uint64_t, kAttemptResultCount>;

// "success", "publish_timeout", "label_already_exists", "fail",
// "http_error", "timeout", "connection_error", "bad_response".
[[nodiscard]] std::string_view AttemptResultName(AttemptResult result);

// The payload (absl::Status::GetPayload) under which transport errors of
// non-2xx answers carry the HTTP status code as decimal text.
inline constexpr char kHttpStatusPayload[] = "type.dbmazz.dev/http-status";

// Classifies the outcome of one PUT (a parsed response, or the error that
// came instead).
[[nodiscard]] AttemptResult ClassifyAttempt(const absl::StatusOr<LoadResponse>& response);

// A short human-readable message for an error body (non-2xx HTTP answers):
// the JSON "msg"/"message"/"Message" field if the body is such an object,
// else the body's first 300 characters with control and non-ASCII bytes
// replaced by '?'. "" for an empty body. Never throws.
[[nodiscard]] std::string ErrorBodyMessage(std::string_view body);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_STREAM_LOAD_RESPONSE_H_
