// A reachability probe for HTTP endpoints (the StarRocks FE): one GET whose
// body is not read.
//
// Thread-safety: thread-safe (each call uses its own libcurl handle).
#ifndef DBMAZZ_ENGINE_PIPELINE_HTTP_PROBE_H_
#define DBMAZZ_ENGINE_PIPELINE_HTTP_PROBE_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dbmazz::pipeline {

// GETs `url` (http or https only, no redirects followed), waiting at most
// `timeout` in all. Returns the HTTP status code of any answer (an error
// status such as 401 or 404 still proves the server is there). Errors:
// kUnavailable (connection refused, DNS, TLS, reset), kDeadlineExceeded
// (timeout), kInvalidArgument (a URL libcurl refuses), kInternal (libcurl
// could not start). Messages name the URL as given (it must carry no
// credentials) and libcurl's description.
[[nodiscard]] absl::StatusOr<int> ProbeHttp(std::string_view url, absl::Duration timeout);

}  // namespace dbmazz::pipeline

#endif  // DBMAZZ_ENGINE_PIPELINE_HTTP_PROBE_H_
