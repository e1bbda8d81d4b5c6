// StarRocks Stream Load over HTTP (libcurl): one JSON-array batch per request,
// sent to the FE, which redirects (307) to a BE.
//
//   auto client = StreamLoadClient::Create(options);
//   LoadRequest request{.table = "orders", .label = MakeLabel(...), .body = json};
//   absl::Status st = (*client)->Load(request, [&] { return stopping.load(); });
//
// Load() is the whole protocol: a deterministic label makes every retry
// idempotent (StarRocks refuses a label it already committed), so transport
// errors, timeouts and retryable failures are retried with the SAME label and
// a possible double send is resolved through "Label Already Exists" and
// get_load_state. Classification rules: stream_load_response.h; the retry
// policy is LoadOperation's (load_operation.h), the HTTP exchange
// HttpTransfer's (http_transfer.h) — LoadDispatcher (load_dispatcher.h) runs
// the same policy asynchronously. StreamLoadOptions, LoadRequest and
// StreamLoadStats are in stream_load_request.h.
//
// Requests always carry `Expect: 100-continue` (the FE refuses loads without
// it; set explicitly rather than left to libcurl's size heuristics),
// `format: json`, `strip_outer_array: true`, `ignore_json_size: true` and
// `max_filter_ratio: 0` (a rejected row fails the whole load, never dropped
// silently). Credentials go through HTTP Basic auth and are re-sent to the BE
// the FE redirects to (that is the protocol: the FE chooses the BE); the
// password never appears in URLs, errors or stats.
//
// Ownership: the client owns one libcurl easy handle and the multi handle
// that drives it (which keeps the keep-alive connections to the FE and BEs).
// Thread-safety: thread-compatible — one thread at a time (each
// pipeline/table owns its own client); distinct clients are independent.
#ifndef DBMAZZ_ENGINE_SINK_STREAM_LOAD_CLIENT_H_
#define DBMAZZ_ENGINE_SINK_STREAM_LOAD_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/sink/stream_load_request.h"
#include "engine/sink/stream_load_response.h"

namespace dbmazz::sink {

class StreamLoadClient {
 public:
  // Validates the options. InvalidArgument for an fe_url that is not
  // http(s)://host[:port] or carries credentials, an empty database or user,
  // non-positive timeouts or negative retries; Internal if libcurl fails to
  // initialise.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StreamLoadClient>> Create(
      StreamLoadOptions options);

  ~StreamLoadClient();
  StreamLoadClient(const StreamLoadClient&) = delete;
  StreamLoadClient& operator=(const StreamLoadClient&) = delete;

  // One `PUT {fe}/api/{db}/{table}/_stream_load` (redirect followed).
  // Returns the parsed answer of any HTTP 2xx (whatever its Status), else:
  //   InvalidArgument   bad request (empty table, invalid label, CR/LF in a
  //                     header, partial_update without columns, bad URL);
  //   Unavailable       connection refused/reset, TLS or DNS errors, HTTP
  //                     5xx/408/429/3xx, too many redirects;
  //   DeadlineExceeded  connect or request timeout;
  //   Unauthenticated   HTTP 401; PermissionDenied HTTP 403; NotFound HTTP 404;
  //   InvalidArgument   other HTTP 4xx;
  //   DataLoss/Internal a 2xx body that is not a Stream Load answer (see
  //                     ParseLoadResponse) or larger than max_response_bytes;
  //   Cancelled         `cancelled` returned true during the transfer (the
  //                     load may or may not have been applied: retry with
  //                     the same label).
  // Whether the data was applied after a transport error is unknown.
  [[nodiscard]] absl::StatusOr<LoadResponse> SendOnce(
      const LoadRequest& request, const std::function<bool()>& cancelled = nullptr);

  // `GET {fe}/api/{db}/get_load_state?label=...`. Errors as SendOnce, plus
  // those of ParseLoadStateResponse.
  [[nodiscard]] absl::StatusOr<LoadState> GetLoadState(
      std::string_view label, const std::function<bool()>& cancelled = nullptr);

  // Loads `request` exactly once, retrying as needed:
  //   Success, Publish Timeout, Label Already Exists/FINISHED      -> OK;
  //   Label Already Exists/RUNNING -> poll get_load_state with backoff:
  //     VISIBLE/COMMITTED -> OK; ABORTED -> resend at once (same label);
  //     UNKNOWN -> resend after a backoff (same label: if StarRocks still
  //     holds it, it answers Label Already Exists again); PREPARE/PREPARED
  //     for longer than label_wait_timeout -> Unavailable (call Load() again
  //     later; it resumes from the label);
  //   retryable (stream_load_response.h) -> backoff, resend with the same
  //     label, at most max_retries times, then Unavailable with the last
  //     error's message;
  //   permanent -> that error (PermissionDenied, Unauthenticated, NotFound,
  //     InvalidArgument, FailedPrecondition) with StarRocks' message and
  //     ErrorURL, prefixed by "db.table".
  // `cancelled` is called at least every ~100 ms while sleeping and during
  // transfers (so it can double as a keep-alive tick);
  // when it returns true Load() returns Cancelled promptly (the batch's fate
  // is then unknown: a later Load() with the same label settles it).
  [[nodiscard]] absl::Status Load(const LoadRequest& request,
                                  const std::function<bool()>& cancelled = nullptr);

  [[nodiscard]] const StreamLoadOptions& options() const { return options_; }
  [[nodiscard]] StreamLoadStats stats() const { return stats_; }

 private:
  StreamLoadClient(StreamLoadOptions options, void* curl, void* multi);

  // Runs the prepared transfer on the multi handle, polling `cancelled` at
  // least every 100 ms; returns libcurl's result (CURLcode).
  [[nodiscard]] int Drive(const std::function<bool()>& cancelled, bool* was_cancelled);

  // Performs one request with the shared handle (see HttpTransfer).
  [[nodiscard]] absl::StatusOr<HttpReply> Perform(const HttpRequest& request,
                                                  const std::function<bool()>& cancelled);

  StreamLoadOptions options_;
  void* curl_;   // CURL*, owned; reused for every request.
  void* multi_;  // CURLM*, owned; drives curl_ and keeps its connection cache.
  std::mt19937_64 rng_;
  StreamLoadStats stats_;
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_STREAM_LOAD_CLIENT_H_
