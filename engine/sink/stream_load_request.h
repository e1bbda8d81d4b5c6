// The Stream Load protocol's data and requests, shared by the synchronous
// StreamLoadClient and the asynchronous LoadDispatcher: options, the load
// request, their validation, the two HTTP requests (Stream Load PUT and
// get_load_state GET) and the parsing of their replies. No I/O.
//
// Thread-safety: pure functions and value types.
#ifndef DBMAZZ_ENGINE_SINK_STREAM_LOAD_REQUEST_H_
#define DBMAZZ_ENGINE_SINK_STREAM_LOAD_REQUEST_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/sink/stream_load_response.h"

namespace dbmazz::sink {

struct StreamLoadOptions {
  std::string fe_url;  // "http://host:8030" (https also works); no credentials in it.
  std::string database;
  std::string user;
  std::string password;  // May contain ':'.
  std::chrono::milliseconds connect_timeout{5000};
  // Bound on one HTTP exchange, redirect included (libcurl CURLOPT_TIMEOUT_MS).
  std::chrono::milliseconds request_timeout{60000};
  // How long to wait for "100 Continue" before sending the body anyway.
  std::chrono::milliseconds expect_100_timeout{3000};
  // Retries after the first attempt for retryable failures (total attempts =
  // max_retries + 1). Resends after an ABORTED label count as retries.
  int max_retries = 8;
  // Backoff before retry n (n from 0): uniform in [0, min(max_backoff,
  // initial_backoff * 2^n)] ("full jitter").
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
  // How long Load() polls get_load_state while the label's transaction is
  // still running (PREPARE/PREPARED) before returning Unavailable.
  std::chrono::milliseconds label_wait_timeout{60000};
  // Responses larger than this are rejected (DataLoss) without being buffered.
  size_t max_response_bytes = 1 << 20;
};

struct LoadRequest {
  std::string table;            // Target table (URL-escaped by the client).
  std::string label;            // Required by Load(); see label.h.
  std::string_view body;        // JSON array of objects; not owned, must outlive the call.
  std::string columns;          // `columns` header; empty: none.
  bool partial_update = false;  // `partial_update: true`, `partial_update_mode: row`;
                                // requires `columns`.
  // More headers (e.g. "merge_condition"). Names and values must not contain
  // CR or LF.
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// Counters for metrics; monotonic except last_latency.
struct StreamLoadStats {
  int64_t attempts = 0;                       // Stream Load HTTP requests (SendOnce calls).
  int64_t retries = 0;                        // Attempts after the first, in Load().
  int64_t label_polls = 0;                    // get_load_state requests.
  int64_t bytes_sent = 0;                     // Body bytes handed to libcurl (resends included).
  int64_t connections_opened = 0;             // New TCP connections (the rest reused one).
  int64_t loads_succeeded = 0;                // Load() calls that returned OK.
  int64_t loads_failed = 0;                   // Load() calls that returned an error.
  std::chrono::microseconds last_latency{0};  // Of the last HTTP request.
};

// One HTTP request, ready for HttpTransfer.
struct HttpRequest {
  std::string url;
  bool put = false;                  // PUT `body` (with Expect: 100-continue); else GET.
  std::string_view body;             // Borrowed (LoadRequest::body).
  std::vector<std::string> headers;  // "Name: value".
};

// A completed exchange with a 2xx status.
struct HttpReply {
  long status = 0;
  std::string body;
  std::string effective_url;  // After redirects.
};

// InvalidArgument for an fe_url that is not http(s)://host[:port][/] or
// carries credentials, an empty database or user, non-positive timeouts,
// negative retries, inconsistent backoffs or a zero max_response_bytes.
[[nodiscard]] absl::Status ValidateStreamLoadOptions(const StreamLoadOptions& options);

// InvalidArgument for an empty table or body, a label (if any) that is not
// ^[-A-Za-z0-9_]{1,128}$, CR/LF in a header, partial_update without columns,
// an extra header the client sets itself.
[[nodiscard]] absl::Status ValidateLoadRequest(const LoadRequest& request);

// `PUT {fe}/api/{db}/{table}/_stream_load` with the headers described in
// stream_load_client.h. Errors as ValidateLoadRequest. The body is borrowed.
[[nodiscard]] absl::StatusOr<HttpRequest> BuildStreamLoadRequest(const StreamLoadOptions& options,
                                                                 const LoadRequest& request);

// `GET {fe}/api/{db}/get_load_state?label=...`. InvalidArgument for an
// invalid label.
[[nodiscard]] absl::StatusOr<HttpRequest> BuildLoadStateRequest(const StreamLoadOptions& options,
                                                                std::string_view label);

// ParseLoadResponse of the body; its errors name the URL and the body.
[[nodiscard]] absl::StatusOr<LoadResponse> ParseStreamLoadReply(const HttpReply& reply);

// Percent-encodes everything but [A-Za-z0-9._~-] (as curl_easy_escape).
[[nodiscard]] std::string UrlEscape(std::string_view text);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_STREAM_LOAD_REQUEST_H_
